"""Cash transfers (RULES-2 §8.1–8.2): the ``cash_transfer`` table (mutasi kas, journal type MK), and in every
existing cooperative the account 1105 Kas dalam Perjalanan (role ``cash_transit``, under 11) and the
role ``bank_charges`` on 6109 Beban Administrasi Bank (the transfer fee's account). New cooperatives
get both from chart-of-accounts.csv.

A cooperative whose treasurer already used the code 1105 gets the first free code of 1106–1109 (code
finds the account by its role); one that already has the roles is left alone.

Revision ID: 0017_cash_transfers
Revises: 0016_wallet_card_hash
Create Date: 2026-12-07 22:00:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017_cash_transfers'
down_revision = '0016_wallet_card_hash'
branch_labels = None
depends_on = None

TRANSIT_CODES = ("1105", "1106", "1107", "1108", "1109")


def _add_chart_accounts() -> None:
    conn = op.get_bind()
    now = datetime.now(UTC)
    coops = conn.execute(sa.text("SELECT id FROM cooperative ORDER BY id")).scalars().all()
    for coop_id in coops:
        roles = set(conn.execute(sa.text("SELECT role FROM account WHERE cooperative_id = :c AND role IS NOT NULL"),
                                 {"c": coop_id}).scalars())
        codes = set(conn.execute(sa.text("SELECT code FROM account WHERE cooperative_id = :c"), {"c": coop_id}).scalars())
        parent = conn.execute(sa.text("SELECT id FROM account WHERE cooperative_id = :c AND code = '11' AND postable = :f"),
                              {"c": coop_id, "f": False}).scalar()
        code = next((c for c in TRANSIT_CODES if c not in codes), None)
        if "cash_transit" not in roles and parent is not None and code is not None:
            conn.execute(sa.text(
                "INSERT INTO account (cooperative_id, code, parent_id, name_id, name_en, type, normal_balance, postable, role, "
                "subledger, statement_section, cash_flow, active, allow_overdraft, created_at) VALUES (:c, :code, :parent, "
                "'Kas dalam Perjalanan', 'Cash in Transit', 'asset', 'debit', :t, 'cash_transit', NULL, 'aset_lancar', 'cash', "
                ":t, :f, :now)"), {"c": coop_id, "code": code, "parent": parent, "t": True, "f": False, "now": now})
        if "bank_charges" not in roles:
            conn.execute(sa.text("UPDATE account SET role = 'bank_charges' WHERE cooperative_id = :c AND code = '6109' "
                                 "AND role IS NULL AND postable = :t"), {"c": coop_id, "t": True})


def upgrade():
    op.create_table('cash_transfer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('transfer_date', sa.Date(), nullable=False),
    sa.Column('from_account_id', sa.Integer(), nullable=False),
    sa.Column('to_account_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('fee', sa.BigInteger(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('via_transit', sa.Boolean(), nullable=False),
    sa.Column('expected_on', sa.Date(), nullable=True),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('arrival_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('arrival_number', sa.String(length=30), nullable=True),
    sa.Column('arrived_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cooperative_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_cash_transfer_amount_positive')),
    sa.CheckConstraint('fee >= 0', name=op.f('ck_cash_transfer_fee_not_negative')),
    sa.CheckConstraint('from_account_id <> to_account_id', name=op.f('ck_cash_transfer_two_accounts')),
    sa.CheckConstraint('via_transit OR arrival_entry_id IS NULL', name=op.f('ck_cash_transfer_arrival_only_in_transit')),
    sa.ForeignKeyConstraint(['cooperative_id', 'arrival_entry_id'], ['journal_entry.cooperative_id', 'journal_entry.id'], name='fk_cash_transfer_arrival_entry'),
    sa.ForeignKeyConstraint(['cooperative_id', 'entry_id'], ['journal_entry.cooperative_id', 'journal_entry.id'], name='fk_cash_transfer_entry'),
    sa.ForeignKeyConstraint(['cooperative_id', 'from_account_id'], ['account.cooperative_id', 'account.id'], name='fk_cash_transfer_from_account'),
    sa.ForeignKeyConstraint(['cooperative_id', 'to_account_id'], ['account.cooperative_id', 'account.id'], name='fk_cash_transfer_to_account'),
    sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], name=op.f('fk_cash_transfer_cooperative_id_cooperative'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_cash_transfer_created_by_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cash_transfer')),
    sa.UniqueConstraint('cooperative_id', 'entry_id', name=op.f('uq_cash_transfer_cooperative_id_entry_id')),
    sa.UniqueConstraint('cooperative_id', 'id', name=op.f('uq_cash_transfer_cooperative_id_id')),
    sa.UniqueConstraint('cooperative_id', 'number', name=op.f('uq_cash_transfer_cooperative_id_number'))
    )
    with op.batch_alter_table('cash_transfer', schema=None) as batch_op:
        batch_op.create_index('ix_cash_transfer_date', ['cooperative_id', 'transfer_date', 'id'], unique=False)

    _add_chart_accounts()


def downgrade():
    with op.batch_alter_table('cash_transfer', schema=None) as batch_op:
        batch_op.drop_index('ix_cash_transfer_date')
    op.drop_table('cash_transfer')
    # 1105 goes only where nothing was posted to it; the role on 6109 is dropped
    op.execute("DELETE FROM account WHERE role = 'cash_transit' AND NOT EXISTS (SELECT 1 FROM journal_line l "
               "WHERE l.cooperative_id = account.cooperative_id AND l.account_id = account.id)")
    op.execute("UPDATE account SET role = NULL WHERE role = 'bank_charges'")
