"""Wallet cards keep the SHA-256 of their token, not the token (issue 18 §8).

``wallet_card.token`` (clear) becomes ``wallet_card.token_hash``: the hex SHA-256 of the token, as
API tokens are kept. The hashes of the existing cards are computed here, in Python, so every card
already printed keeps paying: a scanned token is found by its hash. No key enters the hash, so a
change of SECRET_KEY leaves the cards alone.

The downgrade cannot bring the clear tokens back: it puts the hashes in ``token`` (no printed card
carries them) and blocks every active card, so the pages say what is true — each card must be
reissued after a downgrade.

Revision ID: 0016_wallet_card_hash
Revises: 0015_books_start
Create Date: 2026-12-07 22:00:00

"""
import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016_wallet_card_hash'
down_revision = '0015_books_start'
branch_labels = None
depends_on = None

BATCH = 1000


def _card(*columns):
    return sa.table('wallet_card', sa.column('id', sa.Integer()), *columns)


def upgrade():
    with op.batch_alter_table('wallet_card', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_hash', sa.String(length=64), nullable=True))

    conn = op.get_bind()
    card = _card(sa.column('token', sa.String()), sa.column('token_hash', sa.String()))
    rows = conn.execute(sa.select(card.c.id, card.c.token).order_by(card.c.id)).all()
    update = card.update().where(card.c.id == sa.bindparam('card_id')).values(token_hash=sa.bindparam('digest'))
    for start in range(0, len(rows), BATCH):
        conn.execute(update, [{'card_id': row.id, 'digest': hashlib.sha256(row.token.encode('utf-8', 'surrogatepass')).hexdigest()}
                              for row in rows[start:start + BATCH]])

    with op.batch_alter_table('wallet_card', schema=None) as batch_op:
        batch_op.alter_column('token_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint('uq_wallet_card_cooperative_id_token', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_wallet_card_cooperative_id_token_hash'), ['cooperative_id', 'token_hash'])
        batch_op.drop_column('token')


def downgrade():
    with op.batch_alter_table('wallet_card', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.String(length=64), nullable=True))

    card = _card(sa.column('token', sa.String()), sa.column('token_hash', sa.String()), sa.column('status', sa.String()),
                 sa.column('blocked_at', sa.DateTime(timezone=True)))
    conn = op.get_bind()
    conn.execute(card.update().values(token=card.c.token_hash))
    conn.execute(card.update().where(card.c.status == 'active').values(status='blocked', blocked_at=datetime.now(UTC)))

    with op.batch_alter_table('wallet_card', schema=None) as batch_op:
        batch_op.alter_column('token', existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_constraint('uq_wallet_card_cooperative_id_token_hash', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_wallet_card_cooperative_id_token'), ['cooperative_id', 'token'])
        batch_op.drop_column('token_hash')
