"""Consignment: goods received from or returned to a consignor move stock without value, so they
post no journal entry — ``stock_move.entry_id`` becomes optional, and a CHECK allows it to be empty
only for value-less consignment_in/consignment_out moves. Sale lines remember the consignor and
the commission they were sold for, so a later return undoes exactly that split even if the
product's commission changes in between.

Revision ID: 0006_consignment_moves
Revises: 0005_shop
Create Date: 2026-12-01 18:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_consignment_moves'
down_revision = '0005_shop'
branch_labels = None
depends_on = None

ENTRY_CHECK = "entry_id IS NOT NULL OR (kind IN ('consignment_in', 'consignment_out') AND value = 0)"


def _sqlite_triggers(create: bool) -> None:
    """SQLite's batch mode copies the table, which drops its immutability triggers: put them back."""
    if op.get_bind().dialect.name == "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS stock_move_no_update")
    op.execute("DROP TRIGGER IF EXISTS stock_move_no_delete")
    if create:
        op.execute("CREATE TRIGGER stock_move_no_update BEFORE UPDATE ON stock_move "
                   "BEGIN SELECT RAISE(ABORT, 'stock moves are immutable (UPDATE refused); correct with a new move'); END")
        op.execute("CREATE TRIGGER stock_move_no_delete BEFORE DELETE ON stock_move "
                   "BEGIN SELECT RAISE(ABORT, 'stock moves are immutable (DELETE refused); correct with a new move'); END")


def upgrade():
    with op.batch_alter_table('stock_move', schema=None) as batch_op:
        batch_op.alter_column('entry_id', existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True)
        batch_op.create_check_constraint(op.f('ck_stock_move_entry_unless_consignment'), ENTRY_CHECK)
    _sqlite_triggers(create=True)

    with op.batch_alter_table('sale_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consignor_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('commission', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.create_foreign_key('fk_sale_line_consignor', 'party', ['cooperative_id', 'consignor_id'],
                                    ['cooperative_id', 'id'])
        batch_op.create_check_constraint(op.f('ck_sale_line_commission'), 'commission >= 0 AND commission <= total')


def downgrade():
    with op.batch_alter_table('sale_line', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_sale_line_commission'), type_='check')
        batch_op.drop_constraint('fk_sale_line_consignor', type_='foreignkey')
        batch_op.drop_column('commission')
        batch_op.drop_column('consignor_id')

    # value-less moves have no entry to point at: the downgrade is refused while any exist
    with op.batch_alter_table('stock_move', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_stock_move_entry_unless_consignment'), type_='check')
        batch_op.alter_column('entry_id', existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False)
    _sqlite_triggers(create=True)
