"""shortlist: the hard filters' indexes as each database can use them

SQLite uses a partial index only when the query states its WHERE the same way: the shortlist's
hard filters state consent as ``consent_given = 1`` there (SQLAlchemy's rendering of a boolean
test), so the index of consenting professionals by cadre and mode is rebuilt with that
predicate. On PostgreSQL (where ``consent_given = true`` is simplified to ``consent_given``)
the indexes the hard filters read also carry the columns they test, so that they are read by
index-only scans: the consenting professionals' ids and origin, the availability windows' kind,
mode and weekly hours, the licences' first day, the specialties' professionals.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 21:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

CADRE = ('ix_professionals_consenting_cadre', 'professionals',
         ['cadre', 'offers_physical', 'offers_virtual'])
COVERING = (  # PostgreSQL: index, table, columns, included columns
    CADRE + (['id', 'country_of_origin'],),
    ('ix_availability_windows_professional_range', 'availability_windows',
     ['professional_id', 'starts_on', 'ends_on'], ['kind', 'mode', 'hours_per_week']),
    ('ix_licences_professional_country', 'licences', ['professional_id', 'country', 'valid_until'],
     ['valid_from']),
    ('ix_professional_specialties_specialty', 'professional_specialties', ['specialty'],
     ['professional_id']),
)


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        name, table, columns = CADRE
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, unique=False,
                        sqlite_where=sa.text('consent_given = 1'))
        return
    for name, table, columns, included in COVERING:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, unique=False, postgresql_include=included,
                        postgresql_where=sa.text('consent_given') if name == CADRE[0] else None)


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        name, table, columns = CADRE
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, unique=False, sqlite_where=sa.text('consent_given'))
        return
    for name, table, columns, _included in COVERING:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, columns, unique=False,
                        postgresql_where=sa.text('consent_given') if name == CADRE[0] else None)
