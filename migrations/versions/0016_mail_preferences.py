"""mail: per-person mail preferences and the programme's reply-to address

``mail_opt_outs`` holds, per person, the reminder kinds they do not want e-mailed (they still
reach the inbox); essential notices are always mailed. ``programmes.reply_to`` is the address
a reply to the programme's mail goes to.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 18:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('mail_opt_outs',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mail_opt_outs_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_mail_opt_outs'))
    )
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply_to', sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.drop_column('reply_to')
    op.drop_table('mail_opt_outs')
