"""races: a mission's bookings match its status, checked by the database at commit

A mission in a booking-holding status (proposed … closed, ``missions.core.models.HOLDING``)
has exactly one active booking per span it takes — a physical mission one for its whole span,
a virtual mission one for each session that is not cancelled — with its professional and the
same instants; a declined, cancelled or postponed mission has no active booking.

A mission is written before its bookings, and a status change before or after the release of
its bookings, so the rule is checked when the transaction commits: by deferred constraint
triggers on PostgreSQL; on SQLite, which has none, triggers note the missions that break the
rule after each write in ``booking_faults``, whose deferred foreign key fails the COMMIT while
a row is left. The rule itself is one view, ``mission_booking_faults``, read by both.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


# missions.core.models.HOLDING when this migration was written.
HOLDING = ("proposed", "accepted", "confirmed", "ready", "in_progress", "completed", "reported",
           "closed")

# The missions whose active bookings do not match their status (SQL both databases read).
FAULTS_VIEW = f"""
CREATE VIEW mission_booking_faults AS
SELECT m.id AS mission_id, m.status AS status
FROM missions AS m
WHERE CASE WHEN m.status IN {HOLDING!r} THEN
    -- an active booking that is not one of the mission's own spans ...
    EXISTS (SELECT 1 FROM bookings AS b
            WHERE b.mission_id = m.id AND b.active AND (
                b.professional_id <> m.professional_id
                OR CASE WHEN m.kind = 'physical' THEN
                       b.session_id IS NOT NULL
                       OR b.starts_at <> m.starts_at OR b.ends_at <> m.ends_at
                   ELSE NOT EXISTS (
                       SELECT 1 FROM mission_sessions AS s
                       WHERE s.id = b.session_id AND s.mission_id = m.id
                         AND s.status <> 'cancelled'
                         AND s.starts_at = b.starts_at AND s.ends_at = b.ends_at)
                   END))
    -- ... or a span held by no active booking, or by several
    OR CASE WHEN m.kind = 'physical' THEN
           (SELECT count(*) FROM bookings AS b WHERE b.mission_id = m.id AND b.active) <> 1
       ELSE EXISTS (
           SELECT 1 FROM mission_sessions AS s
           WHERE s.mission_id = m.id AND s.status <> 'cancelled'
             AND (SELECT count(*) FROM bookings AS b
                  WHERE b.mission_id = m.id AND b.session_id = s.id AND b.active) <> 1)
       END
  ELSE EXISTS (SELECT 1 FROM bookings AS b WHERE b.mission_id = m.id AND b.active)
  END
"""

POSTGRES = (
    """CREATE FUNCTION mission_bookings_check(mission integer) RETURNS void LANGUAGE plpgsql AS $$
       DECLARE fault record;
       BEGIN
           SELECT * INTO fault FROM mission_booking_faults WHERE mission_id = mission;
           IF FOUND THEN
               RAISE EXCEPTION 'the bookings of mission % do not match its status (%)',
                   fault.mission_id, fault.status
                   USING ERRCODE = 'check_violation', CONSTRAINT = 'mission_bookings_match_status';
           END IF;
       END $$""",
    # Fired at commit for each row written in the transaction; checks the mission(s) it touches.
    """CREATE FUNCTION mission_bookings_match_status() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
           IF TG_TABLE_NAME = 'missions' THEN
               PERFORM mission_bookings_check(NEW.id);
               RETURN NULL;
           END IF;
           IF TG_OP <> 'DELETE' THEN
               PERFORM mission_bookings_check(NEW.mission_id);
           END IF;
           IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.mission_id <> NEW.mission_id) THEN
               PERFORM mission_bookings_check(OLD.mission_id);
           END IF;
           RETURN NULL;
       END $$""",
    """CREATE CONSTRAINT TRIGGER mission_bookings_match_status
       AFTER INSERT OR UPDATE OF status, kind, professional_id, starts_at, ends_at ON missions
       DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION mission_bookings_match_status()""",
    """CREATE CONSTRAINT TRIGGER mission_bookings_match_status
       AFTER INSERT OR UPDATE OR DELETE ON bookings
       DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION mission_bookings_match_status()""",
    """CREATE CONSTRAINT TRIGGER mission_bookings_match_status
       AFTER INSERT OR UPDATE OF mission_id, status, starts_at, ends_at OR DELETE ON mission_sessions
       DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION mission_bookings_match_status()""",
)

# SQLite: after each write, the touched missions' rows in booking_faults say whether they break
# the rule now; what is left at COMMIT fails booking_faults' deferred foreign key.
SQLITE_TRIGGER = """
CREATE TRIGGER {name} AFTER {event} ON {table}
BEGIN
    DELETE FROM booking_faults WHERE mission_id IN ({missions});
    INSERT INTO booking_faults (mission_id)
        SELECT mission_id FROM mission_booking_faults WHERE mission_id IN ({missions});
END
"""
SQLITE_TRIGGERS = {
    # name: (event, table, the missions it touches)
    "missions_booking_faults_insert": ("INSERT", "missions", "NEW.id"),
    "missions_booking_faults_update": (
        "UPDATE OF status, kind, professional_id, starts_at, ends_at", "missions", "NEW.id"),
    "missions_booking_faults_delete": ("DELETE", "missions", "OLD.id"),
    "bookings_booking_faults_insert": ("INSERT", "bookings", "NEW.mission_id"),
    "bookings_booking_faults_update": ("UPDATE", "bookings", "NEW.mission_id, OLD.mission_id"),
    "bookings_booking_faults_delete": ("DELETE", "bookings", "OLD.mission_id"),
    "mission_sessions_booking_faults_insert": ("INSERT", "mission_sessions", "NEW.mission_id"),
    "mission_sessions_booking_faults_update": (
        "UPDATE OF mission_id, status, starts_at, ends_at", "mission_sessions",
        "NEW.mission_id, OLD.mission_id"),
    "mission_sessions_booking_faults_delete": ("DELETE", "mission_sessions", "OLD.mission_id"),
}


def upgrade():
    op.create_table('booking_faults',
    sa.Column('mission_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('unresolved', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['unresolved'], ['booking_faults.mission_id'], name=op.f('fk_booking_faults_unresolved_booking_faults'), initially='DEFERRED', deferrable=True),
    sa.PrimaryKeyConstraint('mission_id', name=op.f('pk_booking_faults'))
    )
    op.execute(FAULTS_VIEW)
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRES:
            op.execute(statement)
    else:
        for name, (event, table, missions) in SQLITE_TRIGGERS.items():
            op.execute(SQLITE_TRIGGER.format(name=name, event=event, table=table,
                                             missions=missions))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in ("missions", "bookings", "mission_sessions"):
            op.execute(f"DROP TRIGGER IF EXISTS mission_bookings_match_status ON {table}")
        op.execute("DROP FUNCTION IF EXISTS mission_bookings_match_status()")
        op.execute("DROP FUNCTION IF EXISTS mission_bookings_check(integer)")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP VIEW IF EXISTS mission_booking_faults")
    op.drop_table('booking_faults')
