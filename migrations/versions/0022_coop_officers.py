"""The cooperative's officers (pengurus, pengawas, manajer) with their terms, and the town its
documents are signed in.

Revision ID: 0022_coop_officers
Revises: 0021_operation_keys
Create Date: 2026-12-08 00:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0022_coop_officers'
down_revision = '0021_operation_keys'
branch_labels = None
depends_on = None


def upgrade():
    # plain ADD COLUMN (SQLite's batch mode would copy and drop the cooperative table, which every
    # other table references)
    op.add_column('cooperative', sa.Column('signing_town', sa.String(length=100), nullable=True))
    op.create_table('coop_officer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('term_start', sa.Date(), nullable=False),
    sa.Column('term_end', sa.Date(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('cooperative_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("role IN ('ketua', 'sekretaris', 'bendahara', 'pengawas', 'manajer')", name=op.f('ck_coop_officer_role')),
    sa.CheckConstraint('term_end IS NULL OR term_end >= term_start', name=op.f('ck_coop_officer_term')),
    sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], name=op.f('fk_coop_officer_cooperative_id_cooperative'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coop_officer'))
    )
    op.create_index('ix_coop_officer_cooperative_id_position', 'coop_officer', ['cooperative_id', 'position'], unique=False)


def downgrade():
    op.drop_index('ix_coop_officer_cooperative_id_position', table_name='coop_officer')
    op.drop_table('coop_officer')
    op.drop_column('cooperative', 'signing_town')  # in place on both databases (SQLite ≥ 3.35)
