"""generated playlists

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 13:45:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("playlist") as batch:
        batch.add_column(sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False,
                                   server_default="user"))
        batch.add_column(sa.Column("generated_for", sa.Date(), nullable=True))
    with op.batch_alter_table("playlist_item") as batch:
        batch.add_column(sa.Column("position", sa.Integer(), nullable=True))
        batch.alter_column("rating", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    # generated playlists have no place in the old schema (and their items no rating)
    op.execute("DELETE FROM playlist_item WHERE playlist_id IN (SELECT id FROM playlist WHERE kind <> 'user')")
    op.execute("DELETE FROM playlist WHERE kind <> 'user'")
    with op.batch_alter_table("playlist_item") as batch:
        batch.alter_column("rating", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("position")
    with op.batch_alter_table("playlist") as batch:
        batch.drop_column("generated_for")
        batch.drop_column("kind")
