"""model_artifact.signature: an optional HMAC-SHA256 of the artifact

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 19:30:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('model_artifact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signature', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('model_artifact', schema=None) as batch_op:
        batch_op.drop_column('signature')
