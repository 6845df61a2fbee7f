"""programmes: consent per programme

Professionals consent to each programme they may be matched for (``programme_consents``); the
consent history names the programme a change was for (``consent_records.programme_id``, None
for the registry consent).

Existing deployments keep matching as before: every professional who has the registry consent
today is given consent to every programme that exists, recorded in the history with the
wording version of their registry consent.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 10:00:00.000000

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('programme_consents',
    sa.Column('professional_id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('given', sa.Boolean(), nullable=False),
    sa.Column('wording_version', sa.String(length=20), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['professional_id'], ['professionals.id'], name=op.f('fk_programme_consents_professional_id_professionals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_programme_consents_programme_id_programmes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('professional_id', 'programme_id', name=op.f('pk_programme_consents'))
    )
    with op.batch_alter_table('programme_consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_programme_consents_programme_id'), ['programme_id'], unique=False)

    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('programme_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_consent_records_programme_id'), ['programme_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_consent_records_programme_id_programmes'), 'programmes', ['programme_id'], ['id'], ondelete='CASCADE')

    _consent_to_every_programme()


def _consent_to_every_programme():
    """Professionals with the registry consent consent to every existing programme."""
    now = datetime.now(UTC)
    bind = op.get_bind()
    professionals = sa.table('professionals', sa.column('id'), sa.column('consent_given'),
                             sa.column('consent_version'))
    programmes = sa.table('programmes', sa.column('id'))
    consenting = bind.execute(sa.select(professionals.c.id, professionals.c.consent_version)
                              .where(professionals.c.consent_given.is_(True))).all()
    programme_ids = bind.execute(sa.select(programmes.c.id)).scalars().all()
    rows = [{'professional_id': professional_id, 'programme_id': programme_id,
             'version': version or 'migrated'}
            for professional_id, version in consenting for programme_id in programme_ids]
    if not rows:
        return
    consents = sa.table('programme_consents', sa.column('professional_id'),
                        sa.column('programme_id'), sa.column('given'),
                        sa.column('wording_version'), sa.column('changed_at'))
    records = sa.table('consent_records', sa.column('professional_id'),
                       sa.column('programme_id'), sa.column('given'),
                       sa.column('wording_version'), sa.column('recorded_at'),
                       sa.column('recorded_by_id'))
    op.bulk_insert(consents, [{'professional_id': r['professional_id'],
                               'programme_id': r['programme_id'], 'given': True,
                               'wording_version': r['version'], 'changed_at': now}
                              for r in rows])
    op.bulk_insert(records, [{'professional_id': r['professional_id'],
                              'programme_id': r['programme_id'], 'given': True,
                              'wording_version': r['version'], 'recorded_at': now,
                              'recorded_by_id': None} for r in rows])


def downgrade():
    # Per-programme history would read as registry consent once the column is gone.
    op.execute("DELETE FROM consent_records WHERE programme_id IS NOT NULL")
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_consent_records_programme_id_programmes'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_consent_records_programme_id'))
        batch_op.drop_column('programme_id')

    with op.batch_alter_table('programme_consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programme_consents_programme_id'))

    op.drop_table('programme_consents')
