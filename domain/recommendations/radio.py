"""Radio from a seed track or artist: gather similar tracks, choose a pool, order it to listen.

Candidates are the tracks every trained engine finds similar to the seeds (content first, then
the collaborative engines' item-to-item neighbours); an artist's radio is seeded with the
artist's most popular tracks. The ``adventurous`` level decides how far the pool reaches (see
``LEVELS``); :func:`engines.sequencing.order` then orders it so that tempo and energy change
smoothly and no artist comes back within 3 tracks. The sequence starts with the (first) seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlmodel import Session, select

from domain.accounts.tables import User
from domain.catalog.tables import Artist, AudioFeatures, Track, TrackArtist
from domain.errors import NotFound, NotReady
from domain.recommendations import user_context
from domain.recommendations.service import RecommenderService
from domain.recommendations.similarity import nothing_similar, similar_engines
from domain.settings import RecommenderSettings
from engines.sequencing import order

ARTIST_SEEDS = 3  # an artist's radio starts from its most popular tracks
HOP_SEEDS = 3  # HIGH also asks for tracks similar to this many of its best candidates
HOP_DECAY = 0.9  # a second-hop track scores its similarity times this
SEED = "seed"


@dataclass(frozen=True)
class Level:
    """How far one ``adventurous`` level reaches."""

    neighbours: int  # tracks asked of each engine per seed, as a multiple of k
    genre_bonus: float  # added to the score of a track in the seed's genre (negative: other genres first)
    max_per_artist: int  # at most this many tracks of one artist
    seed_artist_share: float  # at most this share of the list by the seed's artist (at least 1: the seed)
    hops: bool  # also ask for tracks similar to the best candidates


LEVELS = {
    "LOW": Level(neighbours=2, genre_bonus=0.2, max_per_artist=3, seed_artist_share=0.34, hops=False),
    "MEDIUM": Level(neighbours=4, genre_bonus=0.05, max_per_artist=2, seed_artist_share=0.16, hops=False),
    "HIGH": Level(neighbours=8, genre_bonus=-0.1, max_per_artist=1, seed_artist_share=0.0, hops=True),
}


@dataclass(frozen=True)
class RadioTrack:
    track_id: int
    score: float  # similarity to the seed on the engine's scale; 1 for the seed itself
    engine: str
    reason: str


@dataclass(frozen=True)
class Radio:
    mix_id: str
    seed_track_ids: list[int]
    items: list[RadioTrack]

    @property
    def track_ids(self) -> list[int]:
        return [item.track_id for item in self.items]


@dataclass
class _Candidate:
    score: float  # the engine's similarity
    weight: float  # what ranks the pool: the similarity relative to the engine's best for that seed
    engine: str
    because: int  # the seed (or, for a second hop, the candidate) it is similar to
    hop: bool = False


def mix_id(level: str) -> str:
    return f"radio:{level.lower()}"


def artist_seed_tracks(session: Session, artist_id: int) -> list[int]:
    """The artist's most popular tracks (``NOT_FOUND`` for an unknown artist)."""
    if session.get(Artist, artist_id) is None:
        raise NotFound(f"No artist with id {artist_id}", argument="seedArtistId")
    seeds = list(session.exec(
        select(Track.id).join(TrackArtist, TrackArtist.track_id == Track.id).where(TrackArtist.artist_id == artist_id)
        .order_by(Track.popularity.desc(), Track.id).limit(ARTIST_SEEDS)
    ).all())
    if not seeds:
        raise NotReady(f"Artist {artist_id} has no tracks to start a radio from", reason="NO_TRACKS")
    return seeds


def seed_track(session: Session, track_id: int) -> list[int]:
    """``[track_id]`` (``NOT_FOUND`` for an unknown track)."""
    if session.get(Track, track_id) is None:
        raise NotFound(f"No track with id {track_id}", argument="seedTrackId")
    return [track_id]


def left_out(session: Session, user: User, settings: RecommenderSettings) -> set[int]:
    """What a radio leaves out for ``user``: rated tracks (``exclude_rated``) and tracks played
    in the last ``recent_window_days``."""
    listener = user_context.listener(session, user, settings.recent_window_days)
    rated = set(listener.rated) if settings.exclude_rated else set()
    return rated | user_context.played_since(listener.played, settings.recent_window_days)


def radio(session: Session, service: RecommenderService, seeds: list[int], level: str, k: int,
          exclude: set[int]) -> Radio:
    """Up to ``k`` tracks starting with ``seeds[0]``, then tracks similar to the seeds in listening order."""
    shape = LEVELS[level]
    found = _gather(service, seeds, shape, k)
    for track in exclude | set(seeds):
        found.pop(track, None)
    if not found:
        raise nothing_similar(session, service, seeds[0])
    if shape.hops:
        found = _second_hop(service, found, seeds, shape, k, exclude)
    facts = _facts(session, [seeds[0], *found])
    first = facts[seeds[0]]
    ranked = sorted((t for t in found if t in facts),
                    key=lambda t: (-(found[t].weight + shape.genre_bonus * _same_genre(facts, t, first)), t))
    want = k - 1
    while True:  # the spacing may leave tracks out: take more of the pool until k are placed
        pool = _cap_artists(ranked, facts, first, shape, k, want)
        ids = [seeds[0], *pool]
        features = np.array([facts[t][2:] for t in ids], dtype=np.float64)
        artists = np.array([facts[t][0] if facts[t][0] is not None else -t for t in ids], dtype=np.int64)
        path = order(features, artists, start=0, k=k)
        if len(path) >= k or len(pool) < want:
            break
        want += k - len(path)
    names = dict(session.exec(select(Track.id, Track.name).where(Track.id.in_({c.because for c in found.values()}))).all())
    items = [RadioTrack(seeds[0], 1.0, SEED, "the seed of this radio")]
    content = set(similar_engines(service))
    for track in (ids[i] for i in path[1:]):
        candidate = found[track]
        items.append(RadioTrack(track, candidate.score, candidate.engine, _reason(candidate, names, content)))
    return Radio(mix_id(level), seeds, items)


def _gather(service: RecommenderService, seeds: list[int], shape: Level, k: int) -> dict[int, _Candidate]:
    """The best score of every track any trained engine finds similar to a seed."""
    found: dict[int, _Candidate] = {}
    models = service.snapshot.models
    for name in sorted(models, key=lambda n: (service.info[n].get("similar") is None, n)):
        for seed in seeds:
            scored = service.similar_items(name, models[name].model, seed, shape.neighbours * k)
            if scored is not None:
                _keep(found, scored.item_ids.tolist(), scored.scores.tolist(), name, seed, 1.0)
    return found


def _second_hop(service, found, seeds, shape, k, exclude) -> dict[int, _Candidate]:
    """Adds the neighbours of the best candidates (their similarity damped by ``HOP_DECAY``)."""
    reached = dict(found)
    models = service.snapshot.models
    for parent in sorted(found, key=lambda t: (-found[t].weight, t))[:HOP_SEEDS]:
        for name in models:
            scored = service.similar_items(name, models[name].model, parent, shape.neighbours * k)
            if scored is not None:
                _keep(reached, scored.item_ids.tolist(), scored.scores.tolist(), name, parent,
                      HOP_DECAY * found[parent].weight, hop=True)
    for track in exclude | set(seeds):
        reached.pop(track, None)
    return reached


def _keep(found: dict[int, _Candidate], items: list[int], scores: list[float], engine: str, because: int,
          scale: float, hop: bool = False) -> None:
    """Keeps each item's best weight: engines score on their own scales, so each list is divided by
    its best score (content and collaborative neighbours then compete on equal terms)."""
    best = max((s for s in scores if np.isfinite(s)), default=0.0)
    for item, score in zip(items, scores, strict=True):
        if not np.isfinite(score):
            continue
        weight = scale * (score / best if best > 0 else 0.0)
        if item not in found or weight > found[item].weight:
            found[item] = _Candidate(float(score), weight, engine, because, hop)


def _facts(session: Session, ids: list[int]) -> dict[int, tuple[int | None, int | None, float, float]]:
    """Per track: (first artist, primary genre, tempo, energy); NaN where it has no audio features."""
    rows = session.exec(
        select(Track.id, Track.primary_genre_id, AudioFeatures.tempo, AudioFeatures.energy)
        .outerjoin(AudioFeatures, AudioFeatures.track_id == Track.id).where(Track.id.in_(ids))
    ).all()
    artist = dict(session.exec(  # ordered so that the lowest position wins
        select(TrackArtist.track_id, TrackArtist.artist_id).where(TrackArtist.track_id.in_(ids))
        .order_by(TrackArtist.track_id, TrackArtist.position.desc())
    ).all())
    nan = float("nan")
    return {track: (artist.get(track), genre, nan if tempo is None else tempo, nan if energy is None else energy)
            for track, genre, tempo, energy in rows}


def _same_genre(facts, track: int, seed: tuple) -> bool:
    return facts[track][1] is not None and facts[track][1] == seed[1]


def _cap_artists(ranked: list[int], facts, seed: tuple, shape: Level, k: int, want: int) -> list[int]:
    """The best ``want`` candidates, at most ``max_per_artist`` of an artist and fewer of the seed's."""
    per_artist: dict[int | None, int] = {seed[0]: 1}
    seed_cap = max(1, round(shape.seed_artist_share * k))
    pool = []
    for track in ranked:
        artist = facts[track][0]
        cap = seed_cap if artist == seed[0] else shape.max_per_artist
        if artist is not None and per_artist.get(artist, 0) >= cap:
            continue
        per_artist[artist] = per_artist.get(artist, 0) + 1
        pool.append(track)
        if len(pool) == want:
            break
    return pool


def _reason(candidate: _Candidate, names: dict[int, str], content: set[str]) -> str:
    name = names.get(candidate.because, "the seed")
    if candidate.hop:
        return f"further out from {name}"
    if candidate.engine in content:
        return f"sounds like {name}"
    return f"listeners of {name} also play it"
