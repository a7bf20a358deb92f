"""recommendation impressions for online experiments

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 13:45:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('recommendation_impression',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('mix_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('experiment', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('arm', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('track_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('served_at', sa.DateTime(), nullable=False),
    sa.Column('surface', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.ForeignKeyConstraint(['track_id'], ['track.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('recommendation_impression', schema=None) as batch_op:
        batch_op.create_index('ix_recommendation_impression_experiment', ['experiment', 'arm', 'served_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('recommendation_impression', schema=None) as batch_op:
        batch_op.drop_index('ix_recommendation_impression_experiment')

    op.drop_table('recommendation_impression')
