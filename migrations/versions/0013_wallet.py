"""Santri wallets (issue 9): santri and their wali, cards, wallet transactions (the santri subledger
of 2113 Dana Titipan Santri), wallet settings and transfers in transit; the role ``wali``; sales
paid with a santri's wallet (``sale.payment = 'wallet'``).

Revision ID: 0013_wallet
Revises: 0012_customer_credit
Create Date: 2026-12-01 23:37:59.229266

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013_wallet'
down_revision = '0012_customer_credit'
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('admin', 'treasurer', 'cashier', 'auditor', 'member')"
NEW_ROLES = "role IN ('admin', 'treasurer', 'cashier', 'auditor', 'member', 'wali')"
OLD_PAYMENTS = "payment IN ('cash', 'bank', 'credit')"
NEW_PAYMENTS = "payment IN ('cash', 'bank', 'credit', 'wallet')"


def _sale_payments(old: str, new: str) -> None:
    """Widen (or narrow back) ``sale``'s payment CHECK. PostgreSQL: drop and re-create it. SQLite
    cannot alter a CHECK, and rebuilding ``sale`` (copy, drop, rename) fails once sale lines, returns
    and stock moves reference its rows; so, as SQLite's documentation describes for changing a
    constraint that existing rows already satisfy, the table's stored definition is rewritten in
    place within the transaction (schema_version bumped so every connection reloads it)."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        with op.batch_alter_table('sale', schema=None) as batch_op:
            batch_op.drop_constraint(op.f('ck_sale_payment'), type_='check')
            batch_op.create_check_constraint(op.f('ck_sale_payment'), new)
        return
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    changed = bind.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, ?, ?) WHERE type = 'table' AND name = 'sale' AND instr(sql, ?) > 0",
        (f"CONSTRAINT ck_sale_payment CHECK ({old})", f"CONSTRAINT ck_sale_payment CHECK ({new})",
         f"CONSTRAINT ck_sale_payment CHECK ({old})")).rowcount
    bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    if changed != 1:
        raise RuntimeError("sale: the payment CHECK constraint was not found as expected")


def upgrade():
    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_role_assignment_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_role_assignment_role'), NEW_ROLES)
    _sale_payments(OLD_PAYMENTS, NEW_PAYMENTS)
    op.create_table('wallet_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('limit_daily', sa.BigInteger(), nullable=True),
    sa.Column('limit_weekly', sa.BigInteger(), nullable=True),
    sa.Column('limit_monthly', sa.BigInteger(), nullable=True),
    sa.Column('exempt_categories', sa.String(length=1000), nullable=False),
    sa.Column('cooperative_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('limit_daily IS NULL OR limit_daily >= 0', name=op.f('ck_wallet_settings_limit_daily')),
    sa.CheckConstraint('limit_monthly IS NULL OR limit_monthly >= 0', name=op.f('ck_wallet_settings_limit_monthly')),
    sa.CheckConstraint('limit_weekly IS NULL OR limit_weekly >= 0', name=op.f('ck_wallet_settings_limit_weekly')),
    sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], name=op.f('fk_wallet_settings_cooperative_id_cooperative'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_settings')),
    sa.UniqueConstraint('cooperative_id', name=op.f('uq_wallet_settings_cooperative_id'))
    )
    op.create_table('wallet_transit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_on', sa.Date(), nullable=True),
    sa.Column('cleared_by_id', sa.Integer(), nullable=True),
    sa.Column('cooperative_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount <> 0', name=op.f('ck_wallet_transit_amount_nonzero')),
    sa.ForeignKeyConstraint(['cleared_by_id'], ['user_account.id'], name=op.f('fk_wallet_transit_cleared_by_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], name=op.f('fk_wallet_transit_cooperative_id_cooperative'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_wallet_transit_created_by_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_transit')),
    sa.UniqueConstraint('cooperative_id', 'id', name=op.f('uq_wallet_transit_cooperative_id_id'))
    )
    with op.batch_alter_table('wallet_transit', schema=None) as batch_op:
        batch_op.create_index('ix_wallet_transit_cooperative_id_day', ['cooperative_id', 'day'], unique=False)

    op.create_table('santri',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nis', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kelas', sa.String(length=40), nullable=True),
    sa.Column('asrama', sa.String(length=60), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('limit_daily', sa.BigInteger(), nullable=True),
    sa.Column('limit_weekly', sa.BigInteger(), nullable=True),
    sa.Column('limit_monthly', sa.BigInteger(), nullable=True),
    sa.Column('wali_limit_daily', sa.BigInteger(), nullable=True),
    sa.Column('wali_limit_weekly', sa.BigInteger(), nullable=True),
    sa.Column('wali_limit_monthly', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cooperative_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('balance >= 0', name=op.f('ck_santri_balance')),
    sa.CheckConstraint('limit_daily IS NULL OR limit_daily >= 0', name=op.f('ck_santri_limit_daily')),
    sa.CheckConstraint('limit_monthly IS NULL OR limit_monthly >= 0', name=op.f('ck_santri_limit_monthly')),
    sa.CheckConstraint('limit_weekly IS NULL OR limit_weekly >= 0', name=op.f('ck_santri_limit_weekly')),
    sa.CheckConstraint('wali_limit_daily IS NULL OR wali_limit_daily >= 0', name=op.f('ck_santri_wali_limit_daily')),
    sa.CheckConstraint('wali_limit_monthly IS NULL OR wali_limit_monthly >= 0', name=op.f('ck_santri_wali_limit_monthly')),
    sa.CheckConstraint('wali_limit_weekly IS NULL OR wali_limit_weekly >= 0', name=op.f('ck_santri_wali_limit_weekly')),
    sa.ForeignKeyConstraint(['cooperative_id', 'member_id'], ['member.cooperative_id', 'member.id'], name='fk_santri_member'),
    sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], name=op.f('fk_santri_cooperative_id_cooperative'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_santri')),
    sa.UniqueConstraint('cooperative_id', 'id', name=op.f('uq_santri_cooperative_id_id')),
    sa.UniqueConstraint('cooperative_id', 'nis', name=op.f('uq_santri_cooperative_id_nis'))
    )
    with op.batch_alter_table('santri', schema=None) as batch_op:
        batch_op.create_index('ix_santri_cooperative_id_name', ['cooperative_id', 'name'], unique=False)

    op.create_table('santri_wali',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('santri_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cooperative_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cooperative_id', 'santri_id'], ['santri.cooperative_id', 'santri.id'], name='fk_santri_wali_santri'),
    sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], name=op.f('fk_santri_wali_cooperative_id_cooperative'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_santri_wali_user_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_santri_wali')),
    sa.UniqueConstraint('cooperative_id', 'santri_id', 'user_id', name=op.f('uq_santri_wali_cooperative_id_santri_id_user_id'))
    )
    with op.batch_alter_table('santri_wali', schema=None) as batch_op:
        batch_op.create_index('ix_santri_wali_cooperative_id_user_id', ['cooperative_id', 'user_id'], unique=False)

    op.create_table('wallet_card',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('santri_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('blocked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cooperative_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('active', 'blocked')", name=op.f('ck_wallet_card_status')),
    sa.ForeignKeyConstraint(['cooperative_id', 'santri_id'], ['santri.cooperative_id', 'santri.id'], name='fk_wallet_card_santri'),
    sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], name=op.f('fk_wallet_card_cooperative_id_cooperative'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_card')),
    sa.UniqueConstraint('cooperative_id', 'token', name=op.f('uq_wallet_card_cooperative_id_token'))
    )
    with op.batch_alter_table('wallet_card', schema=None) as batch_op:
        batch_op.create_index('ix_wallet_card_cooperative_id_santri_id', ['cooperative_id', 'santri_id'], unique=False)

    op.create_table('wallet_transaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('santri_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('balance_after', sa.BigInteger(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('limit_day', sa.Date(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=True),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('voucher', sa.String(length=30), nullable=False),
    sa.Column('sale_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('limited_amount', sa.BigInteger(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cooperative_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('topup', 'refund', 'purchase', 'return')", name=op.f('ck_wallet_transaction_kind')),
    sa.CheckConstraint("method IN ('cash', 'bank', 'wallet')", name=op.f('ck_wallet_transaction_method')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_wallet_transaction_amount_positive')),
    sa.CheckConstraint('balance_after >= 0', name=op.f('ck_wallet_transaction_balance_after')),
    sa.CheckConstraint('limited_amount >= 0 AND limited_amount <= amount', name=op.f('ck_wallet_transaction_limited_amount')),
    sa.ForeignKeyConstraint(['cooperative_id', 'entry_id'], ['journal_entry.cooperative_id', 'journal_entry.id'], name='fk_wallet_transaction_entry'),
    sa.ForeignKeyConstraint(['cooperative_id', 'sale_id'], ['sale.cooperative_id', 'sale.id'], name='fk_wallet_transaction_sale'),
    sa.ForeignKeyConstraint(['cooperative_id', 'santri_id'], ['santri.cooperative_id', 'santri.id'], name='fk_wallet_transaction_santri'),
    sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], name=op.f('fk_wallet_transaction_cooperative_id_cooperative'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_wallet_transaction_user_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wallet_transaction')),
    sa.UniqueConstraint('cooperative_id', 'id', name=op.f('uq_wallet_transaction_cooperative_id_id'))
    )
    with op.batch_alter_table('wallet_transaction', schema=None) as batch_op:
        batch_op.create_index('ix_wallet_transaction_day', ['cooperative_id', 'day'], unique=False)
        batch_op.create_index('ix_wallet_transaction_sale', ['cooperative_id', 'sale_id'], unique=False)
        batch_op.create_index('ix_wallet_transaction_santri', ['cooperative_id', 'santri_id', 'day'], unique=False)



def downgrade():
    with op.batch_alter_table('wallet_transaction', schema=None) as batch_op:
        batch_op.drop_index('ix_wallet_transaction_santri')
        batch_op.drop_index('ix_wallet_transaction_sale')
        batch_op.drop_index('ix_wallet_transaction_day')

    op.drop_table('wallet_transaction')
    with op.batch_alter_table('wallet_card', schema=None) as batch_op:
        batch_op.drop_index('ix_wallet_card_cooperative_id_santri_id')

    op.drop_table('wallet_card')
    with op.batch_alter_table('santri_wali', schema=None) as batch_op:
        batch_op.drop_index('ix_santri_wali_cooperative_id_user_id')

    op.drop_table('santri_wali')
    with op.batch_alter_table('santri', schema=None) as batch_op:
        batch_op.drop_index('ix_santri_cooperative_id_name')

    op.drop_table('santri')
    with op.batch_alter_table('wallet_transit', schema=None) as batch_op:
        batch_op.drop_index('ix_wallet_transit_cooperative_id_day')

    op.drop_table('wallet_transit')
    op.drop_table('wallet_settings')
    op.execute("DELETE FROM role_assignment WHERE role = 'wali'")
    with op.batch_alter_table('role_assignment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_role_assignment_role'), type_='check')
        batch_op.create_check_constraint(op.f('ck_role_assignment_role'), OLD_ROLES)
    if op.get_bind().exec_driver_sql("SELECT count(*) FROM sale WHERE payment = 'wallet'").scalar():
        raise RuntimeError("sales paid by santri wallets exist: the wallet cannot be downgraded away")
    _sale_payments(NEW_PAYMENTS, OLD_PAYMENTS)
