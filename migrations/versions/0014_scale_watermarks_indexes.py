"""scale: scheduler watermarks and the indexes of what falls due

``scheduler_watermarks`` keeps, per reminder producer, the instant up to which its reminders
were stored. The indexes serve the producers' windowed queries (missions by status and end,
missions and professionals changed since a run, licences by end of validity, availability
bases), the pre-send re-checks (a professional's licences by country) and the shortlist's
hard filters (a partial index of the consenting professionals by cadre and mode).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 18:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

INDEXES = (
    ('missions', 'ix_missions_status_ends', ['status', 'ends_at']),
    ('missions', 'ix_missions_updated', ['updated_at']),
    ('mission_events', 'ix_mission_events_status_at', ['to_status', 'at']),
    ('licences', 'ix_licences_valid_until', ['valid_until']),
    ('licences', 'ix_licences_professional_country', ['professional_id', 'country', 'valid_until']),
    ('professionals', 'ix_professionals_updated', ['updated_at']),
    ('professionals', 'ix_professionals_consent_changed', ['consent_changed_at']),
    ('professionals', 'ix_professionals_availability_updated', ['availability_updated_at']),
    ('professionals', 'ix_professionals_created', ['created_at']),
)


def upgrade():
    op.create_table('scheduler_watermarks',
    sa.Column('producer', sa.String(length=80), nullable=False),
    sa.Column('ran_until', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('producer', name=op.f('pk_scheduler_watermarks'))
    )
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    # partial: the shortlist's hard filters start from the consenting professionals of a cadre
    op.create_index('ix_professionals_consenting_cadre', 'professionals',
                    ['cadre', 'offers_physical', 'offers_virtual'], unique=False,
                    postgresql_where=sa.text('consent_given'), sqlite_where=sa.text('consent_given'))


def downgrade():
    op.drop_index('ix_professionals_consenting_cadre', table_name='professionals')
    for table, name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_table('scheduler_watermarks')
