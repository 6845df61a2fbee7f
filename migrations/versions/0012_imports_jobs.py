"""imports: background jobs, facilities from ministries' lists, managers' corrections

``jobs`` holds background work (imports) with its progress, result and error;
``facility_corrections`` a manager's values that survive re-imports; ``facility_links``
the review queue of ministry ↔ WHO-list facilities; ``facility_requests``
coordinators' requests for missing facilities; facilities gain the
identifiers, district, hierarchy path and closing day of a DHIS2 or mCSD source.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 18:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('input_name', sa.String(length=255), nullable=True),
    sa.Column('input_data', sa.LargeBinary(), nullable=True),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('worker', sa.String(length=120), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_jobs_status')),
    sa.ForeignKeyConstraint(['started_by_id'], ['users.id'], name=op.f('fk_jobs_started_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_started_by_id'), ['started_by_id'], unique=False)
        batch_op.create_index('ix_jobs_status_id', ['status', 'id'], unique=False)

    op.create_table('facility_corrections',
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=20), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('corrected_by_id', sa.Integer(), nullable=True),
    sa.Column('corrected_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("field IN ('name', 'category', 'tier', 'ownership', 'setting', 'ict_ready')", name=op.f('ck_facility_corrections_field')),
    sa.ForeignKeyConstraint(['corrected_by_id'], ['users.id'], name=op.f('fk_facility_corrections_corrected_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_facility_corrections_facility_id_facilities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('facility_id', 'field', name=op.f('pk_facility_corrections'))
    )
    with op.batch_alter_table('facility_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_facility_corrections_corrected_by_id'), ['corrected_by_id'], unique=False)

    op.create_table('facility_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('master_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.Column('distance_km', sa.Double(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('proposed', 'accepted', 'rejected')", name=op.f('ck_facility_links_status')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_facility_links_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_facility_links_facility_id_facilities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['master_id'], ['facilities.id'], name=op.f('fk_facility_links_master_id_facilities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility_links')),
    sa.UniqueConstraint('facility_id', name=op.f('uq_facility_links_facility_id'))
    )
    with op.batch_alter_table('facility_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_facility_links_decided_by_id'), ['decided_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_facility_links_master_id'), ['master_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_facility_links_status'), ['status'], unique=False)

    op.create_table('facility_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('admin1', sa.String(length=120), nullable=True),
    sa.Column('facility_type', sa.String(length=120), nullable=True),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('requested', 'added', 'declined')", name=op.f('ck_facility_requests_status')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_facility_requests_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['facility_id'], ['facilities.id'], name=op.f('fk_facility_requests_facility_id_facilities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_facility_requests_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility_requests'))
    )
    with op.batch_alter_table('facility_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_facility_requests_requested_by_id'), ['requested_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_facility_requests_status'), ['status'], unique=False)

    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_uid', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('source_code', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('admin2', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('source_path', sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_facilities_source_uid'), ['source_uid'], unique=False)


def downgrade():
    with op.batch_alter_table('facilities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_facilities_source_uid'))
        batch_op.drop_column('closed_on')
        batch_op.drop_column('source_path')
        batch_op.drop_column('admin2')
        batch_op.drop_column('source_code')
        batch_op.drop_column('source_uid')
    op.drop_table('facility_requests')
    op.drop_table('facility_links')
    with op.batch_alter_table('facility_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_facility_corrections_corrected_by_id'))
    op.drop_table('facility_corrections')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_status_id')
        batch_op.drop_index(batch_op.f('ix_jobs_started_by_id'))
    op.drop_table('jobs')
