"""One table of operation keys for every door (issue 19): the API's stored responses move into it.

Revision ID: 0021_operation_keys
Revises: 0020_cash_day
"""
import sqlalchemy as sa
from alembic import op

revision = '0021_operation_keys'
down_revision = '0020_cash_day'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'operation_key',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('operation', sa.String(length=120), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('result_ref', sa.Text(), nullable=True),
        sa.Column('status', sa.Integer(), nullable=True),
        sa.Column('body', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cooperative_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], name=op.f('fk_operation_key_cooperative_id_cooperative'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_operation_key')),
        sa.UniqueConstraint('cooperative_id', 'key', name=op.f('uq_operation_key_cooperative_id_key')),
    )
    # the API's answered requests keep replaying; those still running (status NULL) are dropped
    op.execute("INSERT INTO operation_key (key, operation, request_hash, status, body, created_at, cooperative_id) "
               "SELECT 'http:' || key, 'api', request_hash, status, body, created_at, cooperative_id "
               "FROM api_idempotency WHERE status IS NOT NULL")
    op.drop_table('api_idempotency')


def downgrade():
    op.create_table(
        'api_idempotency',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('request_hash', sa.String(length=64), nullable=False),
        sa.Column('status', sa.Integer(), nullable=True),
        sa.Column('body', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('cooperative_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], name=op.f('fk_api_idempotency_cooperative_id_cooperative'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_idempotency')),
        sa.UniqueConstraint('cooperative_id', 'key', name=op.f('uq_api_idempotency_cooperative_id_key')),
    )
    op.execute("INSERT INTO api_idempotency (key, request_hash, status, body, created_at, cooperative_id) "
               "SELECT substr(key, 6), request_hash, status, body, created_at, cooperative_id "
               "FROM operation_key WHERE operation = 'api' AND status IS NOT NULL")
    op.drop_table('operation_key')
