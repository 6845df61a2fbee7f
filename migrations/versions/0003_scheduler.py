"""scheduler: notifications outbox, calendar feeds, session attendance, series zone

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 13:08:04.968862

New columns are added and dropped with plain ALTER TABLE (SQLite 3.35+ drops columns natively):
a batch "copy and move" would drop and re-create ``missions`` / ``mission_sessions``, and with
foreign keys enforced that would cascade-delete their bookings and history.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_feeds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feeds_token_hash'))
    )
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feeds_user_id'), ['user_id'], unique=False)

    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('mission_id', sa.Integer(), nullable=True),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('skip_reason', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('email_status', sa.String(length=10), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_by', sa.String(length=80), nullable=True),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('emailed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.CheckConstraint("email_status IN ('pending', 'sent', 'failed')", name=op.f('ck_notifications_email_status')),
    sa.CheckConstraint("status IN ('pending', 'sent', 'skipped')", name=op.f('ck_notifications_status')),
    sa.ForeignKeyConstraint(['mission_id'], ['missions.id'], name=op.f('fk_notifications_mission_id_missions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['mission_sessions.id'], name=op.f('fk_notifications_session_id_mission_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('key', name=op.f('uq_notifications_key'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_due', ['status', 'due_at'], unique=False)
        batch_op.create_index('ix_notifications_email', ['email_status', 'claimed_until'], unique=False)
        batch_op.create_index('ix_notifications_inbox', ['user_id', 'status', 'sent_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_mission_id'), ['mission_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_session_id'), ['session_id'], unique=False)

    op.create_table('session_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('cadre', sa.String(length=4), nullable=False),
    sa.Column('gender', sa.String(length=12), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.CheckConstraint("gender IN ('female', 'male', 'other', 'undisclosed')", name=op.f('ck_session_attendance_gender')),
    sa.CheckConstraint('count > 0', name=op.f('ck_session_attendance_count')),
    sa.ForeignKeyConstraint(['session_id'], ['mission_sessions.id'], name=op.f('fk_session_attendance_session_id_mission_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_attendance')),
    sa.UniqueConstraint('session_id', 'cadre', 'gender', name='uq_session_attendance_session_cadre_gender')
    )
    with op.batch_alter_table('session_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_attendance_session_id'), ['session_id'], unique=False)

    op.add_column('mission_sessions', sa.Column('status_reason', sa.String(length=300), nullable=True))
    op.add_column('mission_sessions', sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('missions', sa.Column('series_timezone', sa.String(length=64), nullable=True))
    op.add_column('missions', sa.Column('report_overdue_at', sa.DateTime(timezone=True), nullable=True))
    # Existing virtual series followed the host's zone.
    op.execute("UPDATE missions SET series_timezone = timezone WHERE kind = 'virtual'")


def downgrade():
    op.drop_column('missions', 'report_overdue_at')
    op.drop_column('missions', 'series_timezone')
    op.drop_column('mission_sessions', 'status_changed_at')
    op.drop_column('mission_sessions', 'status_reason')

    with op.batch_alter_table('session_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_attendance_session_id'))

    op.drop_table('session_attendance')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_session_id'))
        batch_op.drop_index(batch_op.f('ix_notifications_mission_id'))
        batch_op.drop_index('ix_notifications_inbox')
        batch_op.drop_index('ix_notifications_email')
        batch_op.drop_index('ix_notifications_due')

    op.drop_table('notifications')
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feeds_user_id'))

    op.drop_table('calendar_feeds')
