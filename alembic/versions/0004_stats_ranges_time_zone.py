"""listening statistics over ranges, user time zone

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 13:45:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("time_zone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False,
                                   server_default="UTC"))
    op.create_table(
        "listening_rollup",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=False),
        sa.Column("plays", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["track_id"], ["track.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "day", "hour", "track_id"),
    )
    op.create_table(
        "overall_listening_rollup",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("track_id", sa.Integer(), nullable=False),
        sa.Column("plays", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["track_id"], ["track.id"]),
        sa.PrimaryKeyConstraint("day", "hour", "track_id"),
    )
    op.create_table(
        "artist_first_play",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("artist_id", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["artist_id"], ["artist.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "artist_id"),
    )
    op.create_index("ix_artist_first_play_user_day", "artist_first_play", ["user_id", "first_day", "artist_id"])
    op.create_table(
        "overall_artist_first_play",
        sa.Column("artist_id", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["artist_id"], ["artist.id"]),
        sa.PrimaryKeyConstraint("artist_id"),
    )
    op.create_index(op.f("ix_overall_artist_first_play_first_day"), "overall_artist_first_play", ["first_day"])


def downgrade() -> None:
    op.drop_index(op.f("ix_overall_artist_first_play_first_day"), table_name="overall_artist_first_play")
    op.drop_table("overall_artist_first_play")
    op.drop_index("ix_artist_first_play_user_day", table_name="artist_first_play")
    op.drop_table("artist_first_play")
    op.drop_table("overall_listening_rollup")
    op.drop_table("listening_rollup")
    # the rollups' watermark: a later upgrade starts from an empty rollup again
    op.execute("DELETE FROM job_state WHERE name = 'listening_rollups'")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("time_zone")
