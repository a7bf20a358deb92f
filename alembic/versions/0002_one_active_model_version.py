"""one active model version per engine: a partial unique index on model_version(engine)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 14:30:00

"""
from typing import Sequence, Union

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

INDEX = 'uq_model_version_active_engine'


def upgrade() -> None:
    """Keep the newest active version of each engine active, then forbid a second one."""
    versions = sa.table('model_version', sa.column('id', sa.Integer), sa.column('engine', sa.String),
                        sa.column('active', sa.Boolean))
    newest_active = (sa.select(sa.func.max(versions.c.id)).where(versions.c.active)
                     .group_by(versions.c.engine).correlate(None))
    op.execute(sa.update(versions).where(versions.c.active, versions.c.id.not_in(newest_active))
               .values(active=False))
    with op.batch_alter_table('model_version', schema=None) as batch_op:
        batch_op.create_index(INDEX, ['engine'], unique=True,
                              postgresql_where=sa.text('active'), sqlite_where=sa.text('active'))


def downgrade() -> None:
    """Drop the index (the rows stay as they are)."""
    with op.batch_alter_table('model_version', schema=None) as batch_op:
        batch_op.drop_index(INDEX)
