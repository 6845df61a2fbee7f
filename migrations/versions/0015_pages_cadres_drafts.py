"""pages: further cadres per professional, the facility a coordinator asks for

A professional has one main cadre (``professionals.cadre``) and may hold others
(``professional_cadres``: a nurse-midwife is 2221 and 2222); matching accepts either. A
coordinator who registers names the facility they coordinate (``users.facility_requested``), so
the managers told of the registration know where to attach them.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 18:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('professional_cadres',
    sa.Column('professional_id', sa.Integer(), nullable=False),
    sa.Column('cadre', sa.String(length=4), nullable=False),
    sa.ForeignKeyConstraint(['professional_id'], ['professionals.id'], name=op.f('fk_professional_cadres_professional_id_professionals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('professional_id', 'cadre', name=op.f('pk_professional_cadres'))
    )
    with op.batch_alter_table('professional_cadres', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_professional_cadres_cadre'), ['cadre'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('facility_requested', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('facility_requested')

    with op.batch_alter_table('professional_cadres', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_professional_cadres_cadre'))

    op.drop_table('professional_cadres')
