"""attendance certificates of host health workers, their language, receipts on cost lines

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 21:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attendance_certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('mission_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.Integer(), nullable=False),
    sa.Column('holder_name', sa.String(length=200), nullable=False),
    sa.Column('programme_name', sa.String(length=200), nullable=True),
    sa.Column('facility_name', sa.String(length=255), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('training', sa.String(length=200), nullable=False),
    sa.Column('trainer_name', sa.String(length=200), nullable=True),
    sa.Column('online', sa.Boolean(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('hours', sa.Double(), nullable=True),
    sa.Column('sessions', sa.Integer(), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_attendance_certificates_issued_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['mission_id'], ['missions.id'], name=op.f('fk_attendance_certificates_mission_id_missions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['worker_id'], ['host_health_workers.id'], name=op.f('fk_attendance_certificates_worker_id_host_health_workers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_certificates')),
    sa.UniqueConstraint('code', name=op.f('uq_attendance_certificates_code')),
    sa.UniqueConstraint('mission_id', 'worker_id', name=op.f('uq_attendance_certificates_mission_id'))
    )
    with op.batch_alter_table('attendance_certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_certificates_worker_id'), ['worker_id'], unique=False)
    with op.batch_alter_table('host_health_workers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=10), nullable=True))
    with op.batch_alter_table('mission_documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cost_line_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_mission_documents_cost_line_id'), ['cost_line_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_mission_documents_cost_line_id_cost_lines'), 'cost_lines', ['cost_line_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('mission_documents', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_mission_documents_cost_line_id_cost_lines'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_mission_documents_cost_line_id'))
        batch_op.drop_column('cost_line_id')
    with op.batch_alter_table('host_health_workers', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('attendance_certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_certificates_worker_id'))
    op.drop_table('attendance_certificates')
