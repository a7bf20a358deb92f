"""The demo generator's taste model over a real catalog's genres and audio features (pure numpy).

The demo (:mod:`jobs.demo_data`) tilts genre taste by age group and gender over its 10 genres.
A real catalog has many more genres (the Spotify tracks CSV: 114), so each real genre follows a
*family*, one of the demo's 10: its namesake when the catalog has one, else the family whose
audio profile is nearest. A demographic's preference for a genre is its family's tilt plus a
deterministic offset of its own, so genres within a family are not all alike. Users add
personal noise, and the appeal of a track mixes genre taste (averaged over every genre the track
is listed under), audio taste (danceability, energy, acousticness, valence) and the track's
Spotify popularity. Playlists draw without replacement and plays with replacement from
``softmax(appeal)`` (:class:`Draws`), a block of users at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from jobs.demo_data import (
    AUDIO_NOISE,
    AUDIO_TASTE_COLUMNS,
    AUDIO_WEIGHT,
    GENDERS,
    GENRE_NOISE,
    GENRE_PROFILE_COLUMNS,
    GENRE_PROFILES,
    GENRE_WEIGHT,
    GENRES,
    TASTE_GROUPS,
    add_demographic_tilt,
    demographic_audio_taste,
    standardise,
    star_ratings,
)

# Spread of a demographic's own preference for each real genre, on top of its family's tilt.
DEMOGRAPHIC_GENRE_SPREAD = 0.5
# Appeal added per 100 points of Spotify popularity: the popular tracks of the real catalog are
# played more, so the stored popularity and the generated plays agree.
POPULARITY_WEIGHT = 2.0


@dataclass(frozen=True)
class TasteCatalog:
    """What the taste model needs of the catalog: genres listed per track, audio, popularity."""

    genres: tuple[str, ...]  # every genre of the catalog
    genre_codes: np.ndarray  # indices into ``genres``: each track's genres, track after track
    genre_starts: np.ndarray  # per track, where its genres start in ``genre_codes``
    profiles: np.ndarray  # (tracks, GENRE_PROFILE_COLUMNS) raw audio features
    popularity: np.ndarray  # 0–100 per track

    @property
    def tracks(self) -> int:
        return len(self.genre_starts)

    @property
    def genre_counts(self) -> np.ndarray:
        return np.diff(np.append(self.genre_starts, len(self.genre_codes)))

    @property
    def audio(self) -> np.ndarray:
        """Standardised AUDIO_TASTE_COLUMNS per track."""
        return standardise(self.profiles[:, [GENRE_PROFILE_COLUMNS.index(c) for c in AUDIO_TASTE_COLUMNS]])

    @property
    def primary_genre(self) -> np.ndarray:
        return self.genre_codes[self.genre_starts]


def genre_families(catalog: TasteCatalog) -> np.ndarray:
    """The demo family (index into GENRES) each catalog genre follows: its namesake or the nearest profile."""
    track_of_code = np.repeat(np.arange(catalog.tracks), catalog.genre_counts)
    counts = np.bincount(catalog.genre_codes, minlength=len(catalog.genres))
    means = np.stack([np.bincount(catalog.genre_codes, catalog.profiles[track_of_code, j], len(catalog.genres))
                      for j in range(len(GENRE_PROFILE_COLUMNS))], axis=1) / np.maximum(counts, 1)[:, None]
    index = {g: i for i, g in enumerate(catalog.genres)}
    # A family's profile is measured on the catalog when it has the genre, else the demo's.
    centroids = np.array([means[index[f]] if f in index else GENRE_PROFILES[f] for f in GENRES])
    scale = catalog.profiles.std(0) + 1e-9
    distance = (((means[:, None, :] - centroids[None, :, :]) / scale) ** 2).sum(axis=2)
    families = distance.argmin(axis=1)
    for genre, i in index.items():
        if genre in GENRES:
            families[i] = GENRES.index(genre)
    return families


def demographic_index(taste_groups: np.ndarray, genders: np.ndarray) -> np.ndarray:
    """Row of the demographic tables for each (age group, gender index)."""
    return np.searchsorted(TASTE_GROUPS, taste_groups) * len(GENDERS) + genders


def demographic_genre_taste(catalog: TasteCatalog, rng: np.random.Generator) -> np.ndarray:
    """(age groups × genders, catalog genres): each demographic's preference for each genre."""
    families = genre_families(catalog)
    tilt = np.array([add_demographic_tilt(np.zeros(len(GENRES)), group, gender)[families]
                     for group in TASTE_GROUPS for gender in GENDERS])
    return tilt + rng.normal(0, DEMOGRAPHIC_GENRE_SPREAD, tilt.shape)


@dataclass(frozen=True)
class Tastes:
    """Personal tastes of every user: over the catalog's genres, and over audio."""

    genre: np.ndarray  # (users, catalog genres)
    audio: np.ndarray  # (users, AUDIO_TASTE_COLUMNS)


def user_tastes(
    catalog: TasteCatalog, taste_groups: np.ndarray, genders: np.ndarray, rng: np.random.Generator
) -> Tastes:
    """Each user's tastes: their demographic's plus personal noise (as in the demo)."""
    demographic = demographic_index(taste_groups, genders)
    genre = demographic_genre_taste(catalog, rng)[demographic]
    genre += rng.normal(0, GENRE_NOISE, genre.shape)
    audio = np.array([demographic_audio_taste(int(g)) for g in TASTE_GROUPS])[np.searchsorted(TASTE_GROUPS, taste_groups)]
    audio = audio + rng.normal(0, AUDIO_NOISE, audio.shape)
    return Tastes(genre, audio)


class AppealModel:
    """Appeal of every track for blocks of users, and the draws made from it."""

    def __init__(self, catalog: TasteCatalog, tastes: Tastes):
        self.catalog, self.tastes = catalog, tastes
        self._audio = catalog.audio
        self._prior = POPULARITY_WEIGHT * catalog.popularity / 100.0

    def appeal(self, users: slice) -> np.ndarray:
        """(users in the slice, tracks): the latent appeal of each track to each user."""
        catalog = self.catalog
        per_code = self.tastes.genre[users][:, catalog.genre_codes]
        genre = np.add.reduceat(per_code, catalog.genre_starts, axis=1) / catalog.genre_counts
        return GENRE_WEIGHT * genre + AUDIO_WEIGHT * self.tastes.audio[users] @ self._audio.T + self._prior


class Draws:
    """Tracks drawn from softmax(appeal), for one block of users (the rows of ``appeal``)."""

    def __init__(self, rng: np.random.Generator, appeal: np.ndarray):
        self.rng, self.appeal, self.tracks = rng, appeal, appeal.shape[1]
        cdf = np.cumsum(np.exp(appeal - appeal.max(axis=1, keepdims=True)), axis=1)
        cdf /= cdf[:, -1:]
        # Row r's cumulative shares shifted into (r, r + 1]: one search serves every row.
        cdf += np.arange(len(appeal))[:, None]
        self._shifted = cdf.ravel()

    def with_replacement(self, rows: np.ndarray) -> np.ndarray:
        """One track for each entry of ``rows`` (a row of ``appeal`` each)."""
        found = np.searchsorted(self._shifted, rows + self.rng.random(len(rows)), side="right")
        return np.minimum(found - rows * self.tracks, self.tracks - 1)

    def plays(self, counts: np.ndarray) -> np.ndarray:
        """``counts[r]`` tracks with replacement for each row r, row after row."""
        return self.with_replacement(np.repeat(np.arange(len(self.appeal)), counts))

    def without_replacement(self, rows: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """``sizes[i]`` distinct tracks for each list i of the user in row ``rows[i]``, list after list."""
        if 4 * int(sizes.max(initial=0)) > self.tracks:
            return self._gumbel_top_k(rows, sizes)  # lists near the catalog's size: skipping repeats is slow
        return self._skipping_repeats(rows, sizes)

    def _skipping_repeats(self, rows: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """Draw with replacement and skip repeats until each list is full.

        The first k distinct tracks of such a sequence are a sample without replacement (each
        new track comes with probability proportional to its weight among those not drawn
        yet), at the cost of the draws, not of the catalog's size. A list still short after a
        round is extended with more draws, never drawn afresh.
        """
        owner = track = np.zeros(0, dtype=np.int64)  # the draws so far of the lists not full yet
        pending = np.flatnonzero(sizes > 0)
        full_owner, full_track = [], []
        factor = 1.25
        while pending.size:
            more = np.repeat(pending, (sizes[pending] * factor).astype(np.int64) + 16)
            owner = np.concatenate([owner, more])
            track = np.concatenate([track, self.with_replacement(rows[more])])
            order = np.argsort(owner, kind="stable")  # per list, earlier draws first
            owner, track = owner[order], track[order]
            _, first = np.unique(owner * self.tracks + track, return_index=True)
            first.sort()
            list_of, track_of = owner[first], track[first]
            rank = np.arange(len(first)) - np.searchsorted(list_of, list_of)
            full = np.bincount(list_of, minlength=len(sizes)) >= sizes
            take = full[list_of] & (rank < sizes[list_of])
            full_owner.append(list_of[take])
            full_track.append(track_of[take])
            keep = ~full[owner]
            owner, track = owner[keep], track[keep]
            pending = pending[~full[pending]]
            factor *= 2
        if not full_owner:
            return np.zeros(0, dtype=np.int64)
        owners = np.concatenate(full_owner)
        return np.concatenate(full_track)[np.argsort(owners, kind="stable")]

    def _gumbel_top_k(self, rows: np.ndarray, sizes: np.ndarray) -> np.ndarray:
        """The k largest of ``appeal + Gumbel noise``: a sample without replacement, at the catalog's cost."""
        longest = int(sizes.max(initial=0))
        if longest == 0:
            return np.zeros(0, dtype=np.int64)
        keys = self.appeal[rows] + self.rng.gumbel(size=(len(rows), self.tracks))
        top = np.argpartition(-keys, longest - 1, axis=1)[:, :longest]
        order = np.argsort(-np.take_along_axis(keys, top, axis=1), axis=1, kind="stable")
        ranked = np.take_along_axis(top, order, axis=1)
        return ranked[np.arange(longest) < sizes[:, None]]


def ratings_for(rng: np.random.Generator, appeal: np.ndarray, rows: np.ndarray, tracks: np.ndarray) -> np.ndarray:
    """Star ratings of the drawn ``tracks`` by the users of ``rows``, from standardised appeal."""
    mean, spread = appeal.mean(axis=1), appeal.std(axis=1) + 1e-9
    return star_ratings(rng, (appeal[rows, tracks] - mean[rows]) / spread[rows])


def exact_split(rng: np.random.Generator, total: int, weights: np.ndarray, cap: int | None = None) -> np.ndarray:
    """``total`` split into ``len(weights)`` counts drawn in proportion to ``weights``, none above ``cap``."""
    if cap is not None and total > cap * len(weights):
        raise ValueError(f"{total:,} items do not fit in {len(weights):,} parts of at most {cap:,}")
    counts = rng.multinomial(total, weights / weights.sum())
    while cap is not None and (over := counts > cap).any():
        excess = int((counts[over] - cap).sum())
        counts[over] = cap
        room = cap - counts
        counts += rng.multinomial(excess, room / room.sum())
    return counts
