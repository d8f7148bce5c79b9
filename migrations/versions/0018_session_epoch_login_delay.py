"""Sessions that end when they should, and a login delay an attacker can't turn against the owner
(issue 18 §3, §5): ``user_account.session_epoch`` (every browser session carries it; moving it on
ends every session of the person), and ``login_delay`` — failures and the waiting time per (login,
address) — in place of the account lock (``failed_logins``, ``locked_at``). Accounts locked before
this upgrade are open again afterwards; their owners' next wrong passwords start a fresh delay.

Revision ID: 0018_session_epoch_login_delay
Revises: 0017_cash_transfers
Create Date: 2026-12-07 22:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_session_epoch_login_delay'
down_revision = '0017_cash_transfers'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_column('locked_at')
        batch_op.drop_column('failed_logins')
    op.create_table(
        'login_delay',
        sa.Column('login', sa.String(length=80), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('failures', sa.Integer(), server_default='0', nullable=False),
        sa.Column('not_before', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('login', 'address', name=op.f('pk_login_delay')),
    )
    op.create_index('ix_login_delay_last_failure_at', 'login_delay', ['last_failure_at'], unique=False)


def downgrade():
    op.drop_index('ix_login_delay_last_failure_at', table_name='login_delay')
    op.drop_table('login_delay')
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_column('session_epoch')
