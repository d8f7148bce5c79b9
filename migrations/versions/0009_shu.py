"""SHU: allocation rules per fiscal year, SHU runs with the snapshot of their inputs, member shares
(with their bases) and payouts (issue #7).

Revision ID: 0009_shu
Revises: 0007_api
Create Date: 2026-12-01 20:04:52.368671

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_shu'
down_revision = '0007_api'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('shu_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('components', sa.JSON(), nullable=False),
    sa.Column('savings_basis', sa.String(length=20), nullable=False),
    sa.Column('include_sukarela', sa.Boolean(), nullable=False),
    sa.Column('include_departed', sa.Boolean(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cooperative_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("savings_basis IN ('year_end', 'monthly_average')", name=op.f('ck_shu_rules_savings_basis')),
    sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], name=op.f('fk_shu_rules_cooperative_id_cooperative'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_shu_rules_updated_by_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shu_rules')),
    sa.UniqueConstraint('cooperative_id', 'fiscal_year', name=op.f('uq_shu_rules_cooperative_id_fiscal_year'))
    )
    op.create_table('shu_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('shu_amount', sa.BigInteger(), nullable=False),
    sa.Column('shu_member', sa.BigInteger(), nullable=False),
    sa.Column('shu_nonmember', sa.BigInteger(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('pools', sa.JSON(), nullable=False),
    sa.Column('prepared_by_id', sa.Integer(), nullable=True),
    sa.Column('prepared_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approval_date', sa.Date(), nullable=True),
    sa.Column('decision_number', sa.String(length=100), nullable=True),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('cooperative_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status = 'draft' OR (entry_id IS NOT NULL AND approval_date IS NOT NULL)", name=op.f('ck_shu_run_approved_has_entry')),
    sa.CheckConstraint("status IN ('draft', 'approved')", name=op.f('ck_shu_run_status')),
    sa.CheckConstraint('shu_amount > 0', name=op.f('ck_shu_run_shu_positive')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['user_account.id'], name=op.f('fk_shu_run_approved_by_id_user_account'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['cooperative_id', 'entry_id'], ['journal_entry.cooperative_id', 'journal_entry.id'], name='fk_shu_run_entry'),
    sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], name=op.f('fk_shu_run_cooperative_id_cooperative'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['prepared_by_id'], ['user_account.id'], name=op.f('fk_shu_run_prepared_by_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shu_run')),
    sa.UniqueConstraint('cooperative_id', 'fiscal_year', name=op.f('uq_shu_run_cooperative_id_fiscal_year')),
    sa.UniqueConstraint('cooperative_id', 'id', name=op.f('uq_shu_run_cooperative_id_id'))
    )
    op.create_table('shu_payout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('pay_date', sa.Date(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('netted', sa.BigInteger(), nullable=False),
    sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cooperative_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("method IN ('cash', 'sukarela', 'netting')", name=op.f('ck_shu_payout_method')),
    sa.CheckConstraint('amount > 0 AND netted >= 0 AND netted <= amount', name=op.f('ck_shu_payout_amounts')),
    sa.ForeignKeyConstraint(['cooperative_id', 'entry_id'], ['journal_entry.cooperative_id', 'journal_entry.id'], name='fk_shu_payout_entry'),
    sa.ForeignKeyConstraint(['cooperative_id', 'member_id'], ['member.cooperative_id', 'member.id'], name='fk_shu_payout_member'),
    sa.ForeignKeyConstraint(['cooperative_id', 'run_id'], ['shu_run.cooperative_id', 'shu_run.id'], name='fk_shu_payout_run'),
    sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], name=op.f('fk_shu_payout_cooperative_id_cooperative'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_shu_payout_created_by_id_user_account'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shu_payout')),
    sa.UniqueConstraint('cooperative_id', 'run_id', 'member_id', name=op.f('uq_shu_payout_cooperative_id_run_id_member_id'))
    )
    op.create_table('shu_share',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('savings_basis', sa.BigInteger(), nullable=False),
    sa.Column('usaha', sa.JSON(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('jasa_modal', sa.BigInteger(), nullable=False),
    sa.Column('jasa_usaha', sa.BigInteger(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.Column('cooperative_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('jasa_modal >= 0 AND jasa_usaha >= 0 AND total = jasa_modal + jasa_usaha', name=op.f('ck_shu_share_amounts')),
    sa.ForeignKeyConstraint(['cooperative_id', 'member_id'], ['member.cooperative_id', 'member.id'], name='fk_shu_share_member'),
    sa.ForeignKeyConstraint(['cooperative_id', 'run_id'], ['shu_run.cooperative_id', 'shu_run.id'], name='fk_shu_share_run'),
    sa.ForeignKeyConstraint(['cooperative_id'], ['cooperative.id'], name=op.f('fk_shu_share_cooperative_id_cooperative'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shu_share')),
    sa.UniqueConstraint('cooperative_id', 'run_id', 'member_id', name=op.f('uq_shu_share_cooperative_id_run_id_member_id'))
    )
    with op.batch_alter_table('shu_share', schema=None) as batch_op:
        batch_op.create_index('ix_shu_share_member', ['cooperative_id', 'member_id'], unique=False)



def downgrade():
    with op.batch_alter_table('shu_share', schema=None) as batch_op:
        batch_op.drop_index('ix_shu_share_member')

    op.drop_table('shu_share')
    op.drop_table('shu_payout')
    op.drop_table('shu_run')
    op.drop_table('shu_rules')
