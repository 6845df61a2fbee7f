"""match rows: the shortlist's hard filters and ceiling on one narrow row (PostgreSQL)

One row per consenting professional, cadre held (main or other) and mode offered in which
they have an available window, holding what the hard filters and the pool's ceiling read:
origin, the union of their available windows of that mode (a ``datemultirange``) and its
first and last day, the
host-country licences' validity by country, specialties, skills, languages, programmes
consented to, home and time zone. The shortlist reads it through one index
(cadre, mode, origin) instead of probing windows, licences, skills and languages per
professional.

PostgreSQL keeps it in step with its sources by triggers in the writing transaction (never
stale, whatever writes: services, imports, bulk SQL); the migration backfills it, and
``SELECT match_rows_rebuild()`` writes it again after a bulk load made with triggers off. On SQLite the
table exists (empty) and the shortlist keeps reading the source tables.

Revision ID: 0022_shortq
Revises: 0021
Create Date: 2026-12-08 00:10:00.000000

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0022_shortq'
down_revision = '0021'
branch_labels = None
depends_on = None

# The rows of the professionals ``{where}`` selects (``p`` is the professional).
ROWS = """
SELECT p.id, held.cadre, offered.mode, p.country_of_origin, windows.available,
       lower(windows.available), upper(windows.available) - 1, windows.hours,
       licensed.countries, licensed.spans,
       ARRAY(SELECT s.specialty FROM professional_specialties s WHERE s.professional_id = p.id),
       ARRAY(SELECT k.skill FROM professional_skills k WHERE k.professional_id = p.id),
       ARRAY(SELECT l.language FROM professional_languages l WHERE l.professional_id = p.id),
       ARRAY(SELECT c.programme_id FROM programme_consents c
             WHERE c.professional_id = p.id AND c.given),
       p.latitude, p.longitude, p.timezone
FROM professionals p
CROSS JOIN LATERAL (SELECT p.cadre AS cadre UNION
                    SELECT o.cadre FROM professional_cadres o WHERE o.professional_id = p.id) held
CROSS JOIN LATERAL (SELECT 'physical'::varchar AS mode WHERE p.offers_physical UNION ALL
                    SELECT 'virtual' WHERE p.offers_virtual) offered
CROSS JOIN LATERAL (
    SELECT range_agg(daterange(w.starts_on, w.ends_on, '[]')) AS available,
           max(w.hours_per_week) AS hours
    FROM availability_windows w
    WHERE w.professional_id = p.id AND w.kind = 'available'
      AND w.mode IN (offered.mode, 'either')
      AND (offered.mode = 'physical' OR w.hours_per_week IS NOT NULL)) windows
CROSS JOIN LATERAL (
    SELECT array_agg(country ORDER BY country) AS countries, array_agg(spans ORDER BY country) AS spans
    FROM (SELECT v.country, range_agg(daterange(v.valid_from, v.valid_until, '[]')) AS spans
          FROM licences v WHERE v.professional_id = p.id GROUP BY v.country) by_country) licensed
WHERE p.consent_given AND windows.available IS NOT NULL AND {where}
"""
COLUMNS = ("professional_id, cadre, mode, origin, available, first_day, last_day, hours, "
           "licence_countries, "
           "licence_spans, specialties, skills, languages, programmes, latitude, longitude, "
           "timezone")

FUNCTION = f"""
CREATE FUNCTION match_rows_refresh(professional integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    -- one writer per professional at a time: the next one's statements see this one's rows
    PERFORM 1 FROM professionals WHERE id = professional FOR NO KEY UPDATE;
    DELETE FROM match_rows WHERE professional_id = professional;
    INSERT INTO match_rows ({COLUMNS})
    {ROWS.format(where="p.id = professional")};
END $$"""

REBUILD = f"""
CREATE FUNCTION match_rows_rebuild() RETURNS void
LANGUAGE sql AS $$
    -- every row again, as after a bulk load with triggers off (session_replication_role)
    DELETE FROM match_rows;
    INSERT INTO match_rows ({COLUMNS})
    SELECT * FROM ({ROWS.format(where="true")}) rows ORDER BY 2, 3, 4, 1;
$$"""

TRIGGER_FUNCTION = """
CREATE FUNCTION match_rows_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'professionals' THEN
        PERFORM match_rows_refresh(NEW.id);
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM match_rows_refresh(OLD.professional_id);
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.professional_id <> OLD.professional_id) THEN
        PERFORM match_rows_refresh(NEW.professional_id);
    END IF;
    RETURN NULL;
END $$"""

# the professional's columns the rows read
PROFESSIONAL_COLUMNS = ("cadre", "country_of_origin", "consent_given", "offers_physical",
                        "offers_virtual", "latitude", "longitude", "timezone")
SOURCES = ("availability_windows", "licences", "professional_specialties", "professional_skills",
           "professional_languages", "professional_cadres", "programme_consents")


def triggers() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in PROFESSIONAL_COLUMNS)
    statements = [
        "CREATE TRIGGER match_rows_changed AFTER INSERT ON professionals "
        "FOR EACH ROW EXECUTE FUNCTION match_rows_changed()",
        f"CREATE TRIGGER match_rows_updated AFTER UPDATE OF {', '.join(PROFESSIONAL_COLUMNS)} "
        f"ON professionals FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION match_rows_changed()"]
    statements += [f"CREATE TRIGGER match_rows_changed AFTER INSERT OR UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION match_rows_changed()" for table in SOURCES]
    return statements


def backfill_sql() -> str:
    """Every row, in the index's order (so a cadre's rows start out on few pages)."""
    return (f"INSERT INTO match_rows ({COLUMNS}) SELECT * FROM ({ROWS.format(where='true')}) rows "
            "ORDER BY 2, 3, 4, 1")


def upgrade():
    postgres = op.get_bind().dialect.name == 'postgresql'
    dates = postgresql.DATEMULTIRANGE().with_variant(sa.Text(), 'sqlite')

    def strings(length):
        return postgresql.ARRAY(sa.String(length)).with_variant(sa.JSON(), 'sqlite')

    op.create_table('match_rows',
    sa.Column('professional_id', sa.Integer(), nullable=False),
    sa.Column('cadre', sa.String(length=4), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('origin', sa.String(length=2), nullable=False),
    sa.Column('available', dates, nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('hours', sa.Double(), nullable=True),
    sa.Column('licence_countries', strings(2), nullable=True),
    sa.Column('licence_spans', postgresql.ARRAY(
        postgresql.DATEMULTIRANGE()).with_variant(sa.JSON(), 'sqlite'), nullable=True),
    sa.Column('specialties', strings(40), nullable=False),
    sa.Column('skills', strings(80), nullable=False),
    sa.Column('languages', strings(3), nullable=False),
    sa.Column('programmes', postgresql.ARRAY(sa.Integer()).with_variant(sa.JSON(), 'sqlite'),
              nullable=False),
    sa.Column('latitude', sa.Double(), nullable=True),
    sa.Column('longitude', sa.Double(), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['professional_id'], ['professionals.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('professional_id', 'cadre', 'mode')
    )
    if postgres:
        op.execute(backfill_sql())
    op.create_index('ix_match_rows_available', 'match_rows',
                    ['cadre', 'mode', 'origin', 'first_day', 'last_day'], unique=False)
    if not postgres:
        return
    op.execute(FUNCTION)
    op.execute(REBUILD)
    op.execute(TRIGGER_FUNCTION)
    for statement in triggers():
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS match_rows_updated ON professionals")
        for table in ("professionals",) + SOURCES:
            op.execute(f"DROP TRIGGER IF EXISTS match_rows_changed ON {table}")
        op.execute("DROP FUNCTION IF EXISTS match_rows_changed()")
        op.execute("DROP FUNCTION IF EXISTS match_rows_refresh(integer)")
        op.execute("DROP FUNCTION IF EXISTS match_rows_rebuild()")
    op.drop_index('ix_match_rows_available', table_name='match_rows')
    op.drop_table('match_rows')
