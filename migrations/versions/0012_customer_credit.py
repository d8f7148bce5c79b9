"""Customer credit: a non-member customer pays off their shop receivable (1122) as a shop payment
of kind ``customer_receivable``, which names the customer (party).

Revision ID: 0012_customer_credit
Revises: 0011_security
Create Date: 2026-12-01 21:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012_customer_credit'
down_revision = '0011_security'
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('supplier', 'consignor', 'member_receivable')"
NEW_KINDS = "kind IN ('supplier', 'consignor', 'member_receivable', 'customer_receivable')"
PARTY_RULE = "kind = 'member_receivable' OR party_id IS NOT NULL"


def upgrade():
    with op.batch_alter_table('shop_payment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_shop_payment_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_shop_payment_kind'), NEW_KINDS)
        batch_op.create_check_constraint(op.f('ck_shop_payment_party_unless_member'), PARTY_RULE)


def downgrade():
    op.execute("DELETE FROM shop_payment WHERE kind = 'customer_receivable'")
    with op.batch_alter_table('shop_payment', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_shop_payment_party_unless_member'), type_='check')
        batch_op.drop_constraint(op.f('ck_shop_payment_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_shop_payment_kind'), OLD_KINDS)
