"""money: mission cost lines, rates, budgets and result targets

Cost lines of missions (``cost_lines``) with their history after approval
(``cost_line_changes``); per diem rates by country, city and year (``per_diem_rates``);
exchange rates by day (``exchange_rates``); budget lines by programme, category and period
(``budget_lines``); targets of the results framework (``result_targets``). The programme's
reporting currency is its existing ``programmes.currency``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 18:07:06.542131

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('budget_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=16, scale=3), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("category IN ('international_travel', 'local_transport', 'accommodation', 'living_allowance', 'insurance', 'visa', 'registration', 'ict', 'honorarium', 'other')", name=op.f('ck_budget_lines_category')),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_budget_lines_amount')),
    sa.CheckConstraint('quarter BETWEEN 0 AND 4', name=op.f('ck_budget_lines_quarter')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_budget_lines_programme_id_programmes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_budget_lines_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_lines')),
    sa.UniqueConstraint('programme_id', 'category', 'year', 'quarter', name='uq_budget_lines_period')
    )
    op.create_table('exchange_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('base', sa.String(length=3), nullable=False),
    sa.Column('quote', sa.String(length=3), nullable=False),
    sa.Column('rate_on', sa.Date(), nullable=False),
    sa.Column('rate', sa.Numeric(precision=20, scale=10), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('base <> quote', name=op.f('ck_exchange_rates_pair')),
    sa.CheckConstraint('rate > 0', name=op.f('ck_exchange_rates_rate')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_exchange_rates_entered_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_rates')),
    sa.UniqueConstraint('base', 'quote', 'rate_on', name='uq_exchange_rates_pair_day')
    )
    op.create_table('per_diem_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('daily_amount', sa.Numeric(precision=16, scale=3), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('daily_amount > 0', name=op.f('ck_per_diem_rates_daily_amount')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_per_diem_rates_entered_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_per_diem_rates')),
    sa.UniqueConstraint('country', 'city', 'year', name='uq_per_diem_rates_place_year')
    )
    op.create_table('result_targets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('indicator', sa.String(length=30), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('baseline', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('target', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("indicator IN ('missions_done', 'person_days', 'online_hours', 'people_trained', 'people_trained_female', 'practice_in_use_6', 'practice_in_use_12', 'counterparts_in_post')", name=op.f('ck_result_targets_indicator')),
    sa.CheckConstraint('baseline >= 0 AND target >= 0', name=op.f('ck_result_targets_values')),
    sa.CheckConstraint('quarter BETWEEN 0 AND 4', name=op.f('ck_result_targets_quarter')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_result_targets_programme_id_programmes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_result_targets_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_result_targets')),
    sa.UniqueConstraint('programme_id', 'indicator', 'year', 'quarter', name='uq_result_targets_period')
    )
    op.create_table('cost_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mission_id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('stage', sa.String(length=10), nullable=False),
    sa.Column('payer', sa.String(length=10), nullable=False),
    sa.Column('reimbursable', sa.Boolean(), nullable=False),
    sa.Column('payable_on', sa.Date(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=16, scale=3), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('incurred_on', sa.Date(), nullable=False),
    sa.Column('reporting_amount', sa.Numeric(precision=16, scale=3), nullable=False),
    sa.Column('reporting_currency', sa.String(length=3), nullable=False),
    sa.Column('exchange_rate', sa.Numeric(precision=20, scale=10), nullable=False),
    sa.Column('rate_on', sa.Date(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=True),
    sa.Column('daily_rate', sa.Numeric(precision=16, scale=3), nullable=True),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("category IN ('international_travel', 'local_transport', 'accommodation', 'living_allowance', 'insurance', 'visa', 'registration', 'ict', 'honorarium', 'other')", name=op.f('ck_cost_lines_category')),
    sa.CheckConstraint("payer IN ('programme', 'host')", name=op.f('ck_cost_lines_payer')),
    sa.CheckConstraint("stage IN ('estimated', 'committed', 'actual')", name=op.f('ck_cost_lines_stage')),
    sa.CheckConstraint('amount >= 0 AND reporting_amount >= 0 AND exchange_rate > 0', name=op.f('ck_cost_lines_amounts')),
    sa.CheckConstraint('days IS NULL OR days >= 1', name=op.f('ck_cost_lines_days')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_cost_lines_approved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_cost_lines_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['mission_id'], ['missions.id'], name=op.f('fk_cost_lines_mission_id_missions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_cost_lines_programme_id_programmes'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_lines'))
    )
    with op.batch_alter_table('cost_lines', schema=None) as batch_op:
        batch_op.create_index('ix_cost_lines_mission_stage', ['mission_id', 'stage'], unique=False)
        batch_op.create_index('ix_cost_lines_programme_incurred', ['programme_id', 'incurred_on'], unique=False)

    op.create_table('cost_line_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cost_line_id', sa.Integer(), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_cost_line_changes_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['cost_line_id'], ['cost_lines.id'], name=op.f('fk_cost_line_changes_cost_line_id_cost_lines'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cost_line_changes'))
    )
    with op.batch_alter_table('cost_line_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cost_line_changes_cost_line_id'), ['cost_line_id'], unique=False)



def downgrade():
    with op.batch_alter_table('cost_line_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cost_line_changes_cost_line_id'))

    op.drop_table('cost_line_changes')
    with op.batch_alter_table('cost_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_cost_lines_programme_incurred')
        batch_op.drop_index('ix_cost_lines_mission_stage')

    op.drop_table('cost_lines')
    op.drop_table('result_targets')
    op.drop_table('per_diem_rates')
    op.drop_table('exchange_rates')
    op.drop_table('budget_lines')
