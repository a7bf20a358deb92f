"""Daily mixes and weekly exploration playlists (jobs.generated_playlists)."""

from __future__ import annotations

from collections import Counter
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from domain.accounts.tables import User
from domain.catalog.tables import Track, TrackArtist
from domain.playlists.tables import DAILY_MIX, WEEKLY_EXPLORATION, Playlist, PlaylistItem
from domain.recommendations.training_data import load_snapshot
from domain.recommendations.user_context import listener
from jobs.generated_playlists import capped, generate_daily_mixes, generate_weekly_exploration, interleave
from tests.support.activity import add_plays, at
from tests.support.mixes import DAY, seed_listeners

def _generated(engine, user_id: int, kind: str):
    with Session(engine) as session:
        playlists = session.exec(sa.select(Playlist).where(Playlist.user_id == user_id, Playlist.kind == kind)).scalars().all()
        items = {p.id: session.exec(sa.select(PlaylistItem.position, PlaylistItem.track_id, PlaylistItem.rating)
                                    .where(PlaylistItem.playlist_id == p.id).order_by(PlaylistItem.position)).all()
                 for p in playlists}
        return [(p.id, p.name, p.generated_for) for p in playlists], items


def _per_artist(engine, track_ids) -> Counter:
    with engine.connect() as conn:
        artist = dict(conn.execute(sa.select(TrackArtist.track_id, TrackArtist.artist_id)
                                   .where(TrackArtist.track_id.in_(track_ids))).all())
    return Counter(artist[t] for t in track_ids)


def test_daily_mix_mixes_favourites_and_discoveries(db_url):
    engine, ana, bo, played = seed_listeners(db_url)
    report = generate_daily_mixes(DAY, database_url=db_url)
    [(playlist_id, name, generated_for)], items = _generated(engine, ana, DAILY_MIX)
    rows = items[playlist_id]
    tracks = [t for _, t, _ in rows]
    assert report == {"kind": DAILY_MIX, "for": DAY, "users": 1, "tracks": 50}
    assert (name, generated_for) == ("Daily Mix", date(2024, 5, 10))
    assert [p for p, _, _ in rows] == list(range(50)) and len(set(tracks)) == 50
    assert all(rating is None for _, _, rating in rows)
    assert max(_per_artist(engine, tracks).values()) <= 2
    known = [t in played for t in tracks]
    assert sum(known) >= 15 and len(known) - sum(known) >= 15
    assert known[:4] == [True, False, True, False]  # interleaved
    assert _generated(engine, bo, DAILY_MIX)[0] == [] and _generated(engine, bo + 1, DAILY_MIX)[0] == []
    engine.dispose()


def test_regenerating_is_idempotent_and_the_next_day_replaces_in_place(db_url):
    engine, ana, _, _ = seed_listeners(db_url)
    generate_daily_mixes(DAY, database_url=db_url)
    first = _generated(engine, ana, DAILY_MIX)
    generate_daily_mixes(DAY, database_url=db_url)
    assert _generated(engine, ana, DAILY_MIX) == first
    generate_daily_mixes("2024-05-11", database_url=db_url)
    [(playlist_id, name, generated_for)], items = _generated(engine, ana, DAILY_MIX)
    assert (playlist_id, name, generated_for) == (first[0][0][0], "Daily Mix", date(2024, 5, 11))
    assert len(items[playlist_id]) == 50 and len({t for _, t, _ in items[playlist_id]}) == 50
    engine.dispose()


def test_weekly_exploration_holds_only_tracks_never_played(db_url):
    engine, ana, bo, played = seed_listeners(db_url)
    add_plays(engine, [(ana, t, at("2024-04-01 08:00")) for t in _all_tracks(engine)[120:130]])  # long ago
    played |= set(_all_tracks(engine)[120:130])
    assert generate_weekly_exploration(DAY, database_url=db_url)["for"] == "2024-05-06"
    generate_weekly_exploration("2024-05-08", database_url=db_url)  # the same week again
    [(playlist_id, name, generated_for)], items = _generated(engine, ana, WEEKLY_EXPLORATION)
    tracks = [t for _, t, _ in items[playlist_id]]
    assert (name, generated_for) == ("Weekly Exploration", date(2024, 5, 6))
    assert len(tracks) == 50 and not set(tracks) & played
    assert max(_per_artist(engine, tracks).values()) <= 2
    assert _generated(engine, bo, WEEKLY_EXPLORATION)[0] == []
    engine.dispose()


def _all_tracks(engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(Track.id).order_by(Track.spotify_id)).scalars())


def test_a_playlist_of_the_users_named_like_the_mix_keeps_its_name(db_url):
    engine, ana, _, _ = seed_listeners(db_url)
    with engine.begin() as conn:
        conn.execute(sa.insert(Playlist.__table__).values(user_id=ana, name="Daily Mix", is_default=False))
    generate_daily_mixes(DAY, database_url=db_url)
    with engine.connect() as conn:
        names = conn.execute(sa.select(Playlist.name, Playlist.kind).where(Playlist.user_id == ana)
                             .order_by(Playlist.id)).all()
    assert names == [("Daily Mix", "user"), ("Daily Mix 2", DAILY_MIX)]
    engine.dispose()


def test_generated_items_are_not_read_as_the_users_ratings(db_url):
    engine, ana, _, _ = seed_listeners(db_url)
    rated = _all_tracks(engine)[199]
    with engine.begin() as conn:
        own = conn.execute(sa.insert(Playlist.__table__).values(user_id=ana, name="Mine", is_default=True)
                           .returning(Playlist.id)).scalar_one()
        conn.execute(sa.insert(PlaylistItem.__table__).values(playlist_id=own, track_id=rated, rating=5))
    generate_daily_mixes(DAY, database_url=db_url)
    generate_weekly_exploration(DAY, database_url=db_url)
    snapshot = load_snapshot(engine, date(2024, 5, 10))
    assert snapshot.ratings[["user_id", "item_id", "rating"]].values.tolist() == [[ana, rated, 5.0]]
    with Session(engine) as session:
        person = listener(session, session.get(User, ana), 7)
    assert person.rated == frozenset({rated})
    engine.dispose()


def test_capped_and_interleave():
    assert interleave([1, 2, 3], [7]) == [1, 7, 2, 3]
    assert capped([1, 2, 3, 4, 2], {1: 9, 2: 9, 3: 9, 4: 8}, limit=3, per_artist=2) == [1, 2, 4]
    assert capped([1, 2, 3], {}, limit=2, per_artist=1) == [1, 2]  # tracks with no artist are not capped
