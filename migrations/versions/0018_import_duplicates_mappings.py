"""people imports: rows held as possible duplicates, saved column mappings

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 21:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_duplicates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('row', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('cells', sa.JSON(), nullable=False),
    sa.Column('country_of_origin', sa.String(length=2), nullable=True),
    sa.Column('existing_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('professional_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'skipped', 'merged', 'created')", name=op.f('ck_import_duplicates_status')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_import_duplicates_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['existing_id'], ['professionals.id'], name=op.f('fk_import_duplicates_existing_id_professionals'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_import_duplicates_job_id_jobs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['professional_id'], ['professionals.id'], name=op.f('fk_import_duplicates_professional_id_professionals'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_duplicates'))
    )
    with op.batch_alter_table('import_duplicates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_duplicates_decided_by_id'), ['decided_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_duplicates_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_duplicates_existing_id'), ['existing_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_duplicates_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_duplicates_status'), ['status'], unique=False)

    op.create_table('import_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('header_key', sa.String(length=64), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_import_mappings_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_import_mappings_programme_id_programmes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_mappings')),
    sa.UniqueConstraint('programme_id', 'name', name=op.f('uq_import_mappings_programme_id'))
    )
    with op.batch_alter_table('import_mappings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_mappings_header_key'), ['header_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_mappings_programme_id'), ['programme_id'], unique=False)

    # A report imported from the programme's history may have no rating: none is made up.
    with op.batch_alter_table('outcome_reports', schema=None) as batch_op:
        batch_op.alter_column('rating', existing_type=sa.Integer(), nullable=True)


def downgrade():
    op.execute("UPDATE outcome_reports SET rating = 3 WHERE rating IS NULL")
    with op.batch_alter_table('outcome_reports', schema=None) as batch_op:
        batch_op.alter_column('rating', existing_type=sa.Integer(), nullable=False)
    op.drop_table('import_mappings')
    op.drop_table('import_duplicates')
