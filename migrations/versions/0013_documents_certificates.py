"""documents, verifications with evidence, certificates

Uploaded documents (the bytes are in the document storage, the rows say what and whose),
verifications of licences and qualifications against them, the documents of missions, and
certificates of service / CPD statements with their public verification codes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 18:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

PURPOSES = ('licence', 'qualification', 'temporary_registration', 'indemnity', 'mission_terms',
            'invitation_letter', 'receipt')
CONTENT_TYPES = ('application/pdf', 'image/png', 'image/jpeg', 'image/webp')


def upgrade():
    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('professional_id', sa.Integer(), nullable=True),
    sa.Column('purpose', sa.String(length=30), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=80), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(f'purpose IN {PURPOSES!r}', name=op.f('ck_documents_purpose')),
    sa.CheckConstraint(f'content_type IN {CONTENT_TYPES!r}', name=op.f('ck_documents_content_type')),
    sa.CheckConstraint('size > 0', name=op.f('ck_documents_size')),
    sa.ForeignKeyConstraint(['professional_id'], ['professionals.id'], name=op.f('fk_documents_professional_id_professionals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_documents_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_documents_storage_key')),
    sa.UniqueConstraint('professional_id', 'purpose', 'sha256', name=op.f('uq_documents_professional_id'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_professional_id'), ['professional_id'], unique=False)

    op.create_table('verifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('licence_id', sa.Integer(), nullable=True),
    sa.Column('qualification_id', sa.Integer(), nullable=True),
    sa.Column('register', sa.String(length=200), nullable=False),
    sa.Column('verified_by_id', sa.Integer(), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('number', sa.String(length=80), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.CheckConstraint('(licence_id IS NULL) <> (qualification_id IS NULL)', name=op.f('ck_verifications_one_subject')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_verifications_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['licence_id'], ['licences.id'], name=op.f('fk_verifications_licence_id_licences'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['qualification_id'], ['qualifications.id'], name=op.f('fk_verifications_qualification_id_qualifications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['verified_by_id'], ['users.id'], name=op.f('fk_verifications_verified_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verifications'))
    )
    with op.batch_alter_table('verifications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verifications_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_verifications_licence_id'), ['licence_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_verifications_qualification_id'), ['qualification_id'], unique=False)

    op.create_table('mission_documents',
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('mission_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_mission_documents_document_id_documents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mission_id'], ['missions.id'], name=op.f('fk_mission_documents_mission_id_missions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('document_id', name=op.f('pk_mission_documents'))
    )
    with op.batch_alter_table('mission_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mission_documents_mission_id'), ['mission_id'], unique=False)

    op.create_table('certificates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('mission_id', sa.Integer(), nullable=False),
    sa.Column('professional_id', sa.Integer(), nullable=False),
    sa.Column('holder_name', sa.String(length=200), nullable=False),
    sa.Column('programme_name', sa.String(length=200), nullable=True),
    sa.Column('facility_name', sa.String(length=255), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('hours', sa.Double(), nullable=True),
    sa.Column('sessions', sa.Integer(), nullable=True),
    sa.Column('people_trained', sa.Integer(), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('service', 'cpd')", name=op.f('ck_certificates_kind')),
    sa.ForeignKeyConstraint(['mission_id'], ['missions.id'], name=op.f('fk_certificates_mission_id_missions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['professional_id'], ['professionals.id'], name=op.f('fk_certificates_professional_id_professionals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_certificates')),
    sa.UniqueConstraint('code', name=op.f('uq_certificates_code')),
    sa.UniqueConstraint('mission_id', name=op.f('uq_certificates_mission_id'))
    )
    with op.batch_alter_table('certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_certificates_professional_id'), ['professional_id'], unique=False)


    # "Verified" now means verified against a document (issue 18): the one-click marks made
    # before, with no evidence behind them, are taken back.
    op.execute("UPDATE licences SET verified_at = NULL, verified_by_id = NULL "
               "WHERE verified_at IS NOT NULL")


def downgrade():
    op.drop_table('certificates')
    op.drop_table('mission_documents')
    op.drop_table('verifications')
    op.drop_table('documents')
