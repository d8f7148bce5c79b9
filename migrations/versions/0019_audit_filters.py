"""The audit log's filters (issue 18 §10): events of a cooperative by actor and by action, newest
first, read from an index that leads with cooperative_id (the page and its exports stay fast with a
million events; the existing (cooperative_id, created_at) index serves the date range alone).

Revision ID: 0019_audit_filters
Revises: 0018_session_epoch_login_delay
Create Date: 2026-12-07 22:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0019_audit_filters'
down_revision = '0018_session_epoch_login_delay'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_audit_event_actor', 'audit_event', ['cooperative_id', 'actor_id', 'created_at'], unique=False)
    op.create_index('ix_audit_event_action', 'audit_event', ['cooperative_id', 'action', 'created_at'], unique=False)


def downgrade():
    op.drop_index('ix_audit_event_action', table_name='audit_event')
    op.drop_index('ix_audit_event_actor', table_name='audit_event')
