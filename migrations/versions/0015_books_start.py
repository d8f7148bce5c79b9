"""Books start and no negative cash (issue 18): ``cooperative.books_start`` (awal pembukuan), before
which the ledger refuses every entry, and ``account.allow_overdraft`` (RULES-2 §8.1: a bank account
with a real overdraft facility may end a day below zero; every other cash account may not).

An existing cooperative's books start is the date of its first entry, or — with none yet — the first
day of its current fiscal year.

Revision ID: 0015_books_start
Revises: 0014_covering_indexes
Create Date: 2026-12-07 22:00:00

"""
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = '0015_books_start'
down_revision = '0014_covering_indexes'
branch_labels = None
depends_on = None


def _first_day_of_current_fiscal_year(start_month: int) -> date:
    from koppontren.tenancy.models import first_day_of_current_fiscal_year

    return first_day_of_current_fiscal_year(start_month or 1)


def upgrade():
    # plain ADD COLUMN on both databases (SQLite's batch mode would copy and drop the cooperative
    # table, which every other table references); the placeholder default is replaced just below
    op.add_column('cooperative', sa.Column('books_start', sa.Date(), nullable=False, server_default='1900-01-01'))
    op.add_column('account', sa.Column('allow_overdraft', sa.Boolean(), server_default=sa.false(), nullable=False))
    bind = op.get_bind()
    coops = bind.execute(sa.text("SELECT id, fiscal_year_start_month FROM cooperative")).all()
    for coop_id, start_month in coops:
        first = bind.execute(sa.text("SELECT min(entry_date) FROM journal_entry WHERE cooperative_id = :c"), {"c": coop_id}).scalar()
        if isinstance(first, str):
            first = date.fromisoformat(first[:10])
        start = first or _first_day_of_current_fiscal_year(start_month)
        bind.execute(sa.text("UPDATE cooperative SET books_start = :d WHERE id = :c"), {"d": start, "c": coop_id})
    if bind.dialect.name == "postgresql":  # SQLite can't drop a column default without copying the table
        op.alter_column('cooperative', 'books_start', server_default=None)


def downgrade():
    # in place on both databases (SQLite ≥ 3.35), as ADD COLUMN added them
    op.drop_column('account', 'allow_overdraft')
    op.drop_column('cooperative', 'books_start')
