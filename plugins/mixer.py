"""The mixer: combine several recommenders' candidates into one ranked list (SPEC §4).

Each engine's scores are scaled to [0.1, 1] (so every candidate an engine returns earns at
least a tenth of its weight), multiplied by the engine's weight and summed per track. Tracks
to exclude and duplicates are dropped; when the mix yields fewer than ``k`` tracks, the list is
filled from the fallback engines in order (demographic, then global popularity).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engines.base import SCORE_FLOOR, ScoredItems, scale_scores

FLOOR = SCORE_FLOOR
FALLBACK_FACTOR = 0.01  # fills rank below every mixed track


@dataclass
class MixedItem:
    """One recommended track with its final score, per-engine contributions and reason."""

    item_id: int
    score: float
    contributions: dict[str, float] = field(default_factory=dict)
    because: int | None = None
    reason: str | None = None
    top_engine: str | None = None


def normalise(scores: np.ndarray) -> np.ndarray:
    """Scale scores linearly to [FLOOR, 1]; equal scores all become 1."""
    return scale_scores(scores, FLOOR)


def mix(
    candidates: dict[str, ScoredItems],
    weights: dict[str, float],
    k: int,
    exclude: set[int] | frozenset[int] = frozenset(),
    fallbacks: list[tuple[str, ScoredItems]] | None = None,
) -> list[MixedItem]:
    """The top ``k`` tracks of the weighted mix, filled from ``fallbacks`` when short."""
    items: dict[int, MixedItem] = {}
    for engine, scored in candidates.items():
        weight = weights.get(engine, 0.0)
        if weight <= 0 or not len(scored):
            continue
        scaled = normalise(np.asarray(scored.scores, dtype=np.float64)) * weight
        because = scored.because if scored.because is not None else np.full(len(scored), -1)
        for item_id, value, seed in zip(scored.item_ids.tolist(), scaled.tolist(), because.tolist(), strict=True):
            if item_id in exclude:
                continue
            entry = items.setdefault(item_id, MixedItem(item_id, 0.0))
            entry.score += value
            entry.contributions[engine] = entry.contributions.get(engine, 0.0) + value
            if entry.top_engine is None or value > entry.contributions.get(entry.top_engine, 0.0):
                entry.top_engine = engine
                entry.because = seed if seed >= 0 else None
                entry.reason = scored.reason
    ranked = sorted(items.values(), key=lambda m: (-m.score, m.item_id))[:k]
    if len(ranked) < k:
        _fill(ranked, k, exclude, fallbacks or [])
    return ranked


def _fill(ranked: list[MixedItem], k: int, exclude, fallbacks) -> None:
    taken = {m.item_id for m in ranked} | set(exclude)
    for engine, scored in fallbacks:
        scaled = normalise(np.asarray(scored.scores, dtype=np.float64)) * FALLBACK_FACTOR
        for item_id, value in zip(scored.item_ids.tolist(), scaled.tolist(), strict=True):
            if len(ranked) >= k:
                return
            if item_id in taken:
                continue
            taken.add(item_id)
            ranked.append(MixedItem(item_id, value, {engine: value}, None, scored.reason, engine))
