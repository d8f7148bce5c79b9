"""JSON API v1: bearer tokens (stored as SHA-256) and the first response to each Idempotency-Key.

Revision ID: 0007_api
Revises: 0006_consignment_moves
Create Date: 2026-12-01 20:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_api'
down_revision = '0006_consignment_moves'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'api_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('prefix', sa.String(length=16), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('cooperative_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], name=op.f('fk_api_token_cooperative_id_cooperative'),
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_api_token_user_id_user_account'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
        sa.UniqueConstraint('cooperative_id', 'token_hash', name=op.f('uq_api_token_cooperative_id_token_hash')),
    )
    op.create_index('ix_api_token_cooperative_id_user_id', 'api_token', ['cooperative_id', 'user_id'], unique=False)
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


def downgrade():
    op.drop_table('api_idempotency')
    op.drop_index('ix_api_token_cooperative_id_user_id', table_name='api_token')
    op.drop_table('api_token')
