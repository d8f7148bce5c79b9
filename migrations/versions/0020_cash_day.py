"""Cash day balances (issue 18, RULES-2 §8.1): ``cash_day`` holds each cash or bank account's net
movement per day, kept by the ledger's writers in the posting transaction, so that the rule "no cash
account ends a day below zero" reads a few hundred day rows, not every line the account ever had.
Filled here from the journal lines of every account with a cash role.

Revision ID: 0020_cash_day
Revises: 0019_audit_filters
Create Date: 2026-12-07 23:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0020_cash_day'
down_revision = '0019_audit_filters'
branch_labels = None
depends_on = None

CASH_ROLES = ("cash", "petty_cash", "till", "bank", "bank_santri", "cash_transit")


def upgrade():
    op.create_table('cash_day',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('net', sa.BigInteger(), nullable=False),
    sa.Column('cooperative_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cooperative_id', 'account_id'], ['account.cooperative_id', 'account.id'], name='fk_cash_day_account'),
    sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], name=op.f('fk_cash_day_cooperative_id_cooperative'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cash_day')),
    sa.UniqueConstraint('cooperative_id', 'account_id', 'day', name=op.f('uq_cash_day_cooperative_id_account_id_day'))
    )
    roles = ", ".join(f"'{r}'" for r in CASH_ROLES)
    op.execute(
        "INSERT INTO cash_day (cooperative_id, account_id, day, net) "  # noqa: S608 - constants only
        "SELECT l.cooperative_id, l.account_id, l.entry_date, SUM(l.debit) - SUM(l.credit) FROM journal_line l "
        "JOIN account a ON a.cooperative_id = l.cooperative_id AND a.id = l.account_id "
        f"WHERE a.role IN ({roles}) GROUP BY l.cooperative_id, l.account_id, l.entry_date"
    )


def downgrade():
    op.drop_table('cash_day')
