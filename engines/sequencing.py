"""Ordering a set of tracks into a listenable sequence (radio).

Tempo and energy should change smoothly from track to track, and no artist may come back too
soon: at most one track per artist in any ``gap`` consecutive tracks. The order is a greedy
nearest-neighbour chain over standardised (tempo, energy) from the first track; the tracks it
could not reach are inserted where they add the least distance, and 2-opt segment reversals that
keep the artist spacing improve the result. Tracks that cannot be placed without
breaking the spacing (e.g. the fourth track of the only artist in a list of five) are left out.
"""

from __future__ import annotations

import numpy as np

ARTIST_GAP = 3  # at most one track per artist in any 3 consecutive tracks
MAX_PASSES = 20


def standardise(features: np.ndarray) -> np.ndarray:
    """Columns as z-scores; a missing value (NaN) becomes the column's mean (0), a constant column 0."""
    values = np.asarray(features, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"features must be a 2-d array, got shape {values.shape}")
    known = ~np.isnan(values)
    counts = known.sum(axis=0)
    filled = np.where(known, values, 0.0)
    mean = np.divide(filled.sum(axis=0), counts, out=np.zeros(values.shape[1]), where=counts > 0)
    centred = np.where(known, values - mean, 0.0)
    std = np.sqrt(np.divide((centred**2).sum(axis=0), counts, out=np.zeros(values.shape[1]), where=counts > 0))
    return np.divide(centred, std, out=np.zeros_like(centred), where=std > 0)


def spacing_holds(artists: np.ndarray, gap: int = ARTIST_GAP) -> bool:
    """Whether no artist appears twice in any ``gap`` consecutive entries of ``artists``."""
    values = np.asarray(artists)
    return all(not np.any(values[shift:] == values[:-shift]) for shift in range(1, min(gap, len(values))))


def mean_abs_step(values: np.ndarray) -> float:
    """Mean absolute change between consecutive values, ignoring steps to or from a missing value."""
    steps = np.abs(np.diff(np.asarray(values, dtype=np.float64)))
    steps = steps[~np.isnan(steps)]
    return float(steps.mean()) if len(steps) else 0.0


def order(features: np.ndarray, artists: np.ndarray, start: int = 0, k: int | None = None,
          gap: int = ARTIST_GAP) -> np.ndarray:
    """Indices of at most ``k`` rows of ``features`` as a smooth sequence beginning with ``start``.

    ``features`` is ``(n, d)`` raw values (e.g. tempo and energy; NaN where unknown), ``artists``
    one artist id per row. Greedily chains the nearest row whose artist is not among the last
    ``gap - 1`` chosen, then applies 2-opt reversals (the first row stays first) that shorten the
    path and keep the spacing.
    """
    points = standardise(features)
    artists = np.asarray(artists)
    n = len(points)
    if len(artists) != n:
        raise ValueError(f"{n} feature rows but {len(artists)} artists")
    if n == 0:
        return np.empty(0, dtype=np.int64)
    if not 0 <= start < n:
        raise ValueError(f"start {start} is not a row of {n}")
    limit = n if k is None else min(k, n)
    path = _insert_leftovers(points, artists, _greedy_chain(points, artists, start, limit, gap), limit, gap)
    return np.array(_two_opt(points, artists, path, gap), dtype=np.int64)


def _greedy_chain(points: np.ndarray, artists: np.ndarray, start: int, limit: int, gap: int) -> list[int]:
    path = [start]
    free = np.ones(len(points), dtype=bool)
    free[start] = False
    while len(path) < limit:
        allowed = free & ~np.isin(artists, artists[path[-(gap - 1):]] if gap > 1 else [])
        if not allowed.any():
            break  # every track left is by an artist heard too recently
        distance = np.linalg.norm(points - points[path[-1]], axis=1)
        distance[~allowed] = np.inf
        nearest = int(np.argmin(distance))
        path.append(nearest)
        free[nearest] = False
    return path


def _insert_leftovers(points: np.ndarray, artists: np.ndarray, path: list[int], limit: int, gap: int) -> list[int]:
    """Put tracks the chain could not reach where they add the least distance and keep the spacing."""
    placed = set(path)
    left = [row for row in range(len(points)) if row not in placed]
    while left and len(path) < limit:
        best: tuple[float, int, int] | None = None
        for row in left:
            for at in range(1, len(path) + 1):
                trial = path[:at] + [row] + path[at:]
                if not spacing_holds(artists[trial], gap):
                    continue
                added = np.linalg.norm(points[row] - points[path[at - 1]])
                if at < len(path):
                    added += np.linalg.norm(points[row] - points[path[at]]) - np.linalg.norm(
                        points[path[at]] - points[path[at - 1]])
                if best is None or added < best[0]:
                    best = (float(added), row, at)
        if best is None:
            break  # no leftover fits anywhere without an artist coming back too soon
        _, row, at = best
        path.insert(at, row)
        left.remove(row)
    return path


def _two_opt(points: np.ndarray, artists: np.ndarray, path: list[int], gap: int) -> list[int]:
    """Reverse ``path[i:j + 1]`` while that shortens it and keeps the spacing; ``path[0]`` stays."""
    path = list(path)
    n = len(path)

    def d(a: int, b: int) -> float:
        return float(np.linalg.norm(points[path[a]] - points[path[b]]))

    for _ in range(MAX_PASSES):
        improved = False
        for i in range(1, n - 1):
            for j in range(i + 1, n):
                after = d(i, j + 1) - d(j, j + 1) if j + 1 < n else 0.0
                delta = d(i - 1, j) - d(i - 1, i) + after
                if delta < -1e-12:
                    candidate = path[:i] + path[i:j + 1][::-1] + path[j + 1:]
                    if spacing_holds(artists[candidate], gap):
                        path = candidate
                        improved = True
        if not improved:
            break
    return path
