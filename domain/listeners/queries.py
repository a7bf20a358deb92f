"""Reading a listener's similar listeners (written by ``jobs.similar_users``) and what they share."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from domain.accounts.tables import User
from domain.catalog.tables import Artist, TrackArtist
from domain.columns import utcnow
from domain.listeners.tables import SimilarUser
from domain.plays.tables import PlayEvent

_similar = SimilarUser.__table__
_user = User.__table__
_play = PlayEvent.__table__
_track_artist = TrackArtist.__table__
_artist = Artist.__table__


@dataclass(frozen=True)
class Neighbour:
    """One similar listener: public fields only, and artists both of you played."""

    user_id: int
    nickname: str
    similarity: float
    shared_artists: list[str]


def _artist_plays(conn: Connection, user_ids: list[int], window_days: int) -> dict[int, dict[str, int]]:
    """Per user, plays per artist name over the window (one query for all users)."""
    since = utcnow() - timedelta(days=window_days)
    rows = conn.execute(
        sa.select(_play.c.user_id, _artist.c.name, sa.func.count())
        .select_from(_play.join(_track_artist, _track_artist.c.track_id == _play.c.track_id)
                     .join(_artist, _artist.c.id == _track_artist.c.artist_id))
        .where(_play.c.user_id.in_(user_ids), _play.c.played_at >= since)
        .group_by(_play.c.user_id, _artist.c.name))
    plays: dict[int, dict[str, int]] = defaultdict(dict)
    for user_id, name, n in rows:
        plays[user_id][name] = n
    return plays


def similar_users(conn: Connection, user_id: int, k: int, *, window_days: int, shared: int) -> list[Neighbour]:
    """The ``k`` most similar listeners of ``user_id``, best first, each with up to ``shared``
    artists both played in the window (most played together first); empty before the job ran."""
    rows = conn.execute(
        sa.select(_similar.c.neighbour_id, _similar.c.similarity, _user.c.nickname)
        .join(_user, _user.c.id == _similar.c.neighbour_id)
        .where(_similar.c.user_id == user_id).order_by(_similar.c.rank).limit(k)).all()
    if not rows:
        return []
    plays = _artist_plays(conn, [user_id, *(r.neighbour_id for r in rows)], window_days)
    mine = plays.get(user_id, {})

    def shared_artists(neighbour_id: int) -> list[str]:
        theirs = plays.get(neighbour_id, {})
        both = sorted(mine.keys() & theirs.keys(), key=lambda name: (-min(mine[name], theirs[name]), name))
        return both[:shared]

    return [Neighbour(r.neighbour_id, r.nickname, r.similarity, shared_artists(r.neighbour_id)) for r in rows]
