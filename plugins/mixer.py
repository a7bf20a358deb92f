"""The mixer: one module that combines engines, for serving and for offline evaluation (SPEC §4).

Scores are made comparable by standardising each engine's scores over the same candidate set
(z-scores: an engine's scale and offset do not matter, and a confident engine stands out),
then summed by weight. Where an engine cannot score an item (NaN) the item gets that engine's
lowest standardised score among the candidates, so "unknown" never beats "disliked"; an engine
that scores none of the candidates is left out for this list.

:func:`fuse` is the whole arithmetic; :func:`rank` turns fused scores into a music list with
per-engine contributions, reasons, at most ``max_per_artist`` tracks per artist, and fills
from fallbacks (engines described with a fallback role, then global popularity) when short.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from engines.base import ScoredItems, standardise


@dataclass
class MixedItem:
    """One recommended track with its final score, per-engine contributions and reason."""

    item_id: int
    score: float
    contributions: dict[str, float] = field(default_factory=dict)
    because: int | None = None
    reason: str | None = None
    top_engine: str | None = None


def fuse(
    scores: Mapping[str, np.ndarray], weights: Mapping[str, float]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``(total, contributions)`` over one candidate set: the weighted sum of standardised
    scores, and each engine's weighted part of it. ``total`` is NaN where no engine scored."""
    length = len(next(iter(scores.values()))) if scores else 0
    total = np.zeros(length)
    scored = np.zeros(length, dtype=bool)
    parts: dict[str, np.ndarray] = {}
    for name, values in scores.items():
        weight = float(weights.get(name, 0.0))
        values = np.asarray(values, dtype=np.float64)
        finite = np.isfinite(values)
        if weight <= 0 or not finite.any():
            continue
        parts[name] = weight * standardise(values)
        total += parts[name]
        scored |= finite
    total[~scored] = np.nan
    return total, parts


def rank(
    item_ids: np.ndarray,
    total: np.ndarray,
    contributions: Mapping[str, np.ndarray],
    k: int,
    *,
    explanations: Mapping[str, ScoredItems] | None = None,
    reasons: Mapping[str, str] | None = None,
    artist_of: Mapping[int, int] | None = None,
    max_per_artist: int | None = None,
    exclude: set[int] | frozenset[int] = frozenset(),
    fallbacks: list[tuple[str, ScoredItems]] | None = None,
) -> list[MixedItem]:
    """The ``k`` best items by ``total`` as :class:`MixedItem` s, best first.

    The reason of an item comes from the engine that contributed most to it: its own
    ``because``/``reason`` when it returned the item in ``explanations``, else its described
    reason in ``reasons``. Items beyond ``max_per_artist`` per artist are skipped; when fewer
    than ``k`` remain, the list is filled from ``fallbacks`` in order.
    """
    explanations, reasons = explanations or {}, reasons or {}
    lookups = {name: _explanation_index(scored) for name, scored in explanations.items()}
    order = np.lexsort((item_ids, -np.nan_to_num(total, nan=-np.inf)))
    ranked: list[MixedItem] = []
    per_artist: dict[int, int] = {}
    for index in order.tolist():
        if len(ranked) >= k:
            break
        item = int(item_ids[index])
        if not np.isfinite(total[index]) or item in exclude or not _admit(item, artist_of, max_per_artist, per_artist):
            continue
        parts = {name: float(values[index]) for name, values in contributions.items()}
        top = max(parts, key=parts.get) if parts else None
        because, reason = lookups.get(top, {}).get(item, (None, None)) if top else (None, None)
        ranked.append(MixedItem(item, float(total[index]), parts, because,
                                reason or reasons.get(top or ""), top))  # fmt: skip
    if len(ranked) < k:
        _fill(ranked, k, exclude, fallbacks or [], artist_of, max_per_artist, per_artist, reasons)
    return ranked


def _explanation_index(scored: ScoredItems) -> dict[int, tuple[int | None, str | None]]:
    because = scored.because if scored.because is not None else np.full(len(scored), -1)
    return {int(i): (int(b) if b >= 0 else None, scored.reason)
            for i, b in zip(scored.item_ids.tolist(), because.tolist(), strict=True)}  # fmt: skip


def _admit(item: int, artist_of, max_per_artist, per_artist: dict[int, int]) -> bool:
    if not max_per_artist or artist_of is None:
        return True
    artist = artist_of.get(item)
    if artist is None:
        return True
    if per_artist.get(artist, 0) >= max_per_artist:
        return False
    per_artist[artist] = per_artist.get(artist, 0) + 1
    return True


def _fill(ranked, k, exclude, fallbacks, artist_of, max_per_artist, per_artist, reasons) -> None:
    taken = {m.item_id for m in ranked} | set(exclude)
    below = min((m.score for m in ranked), default=0.0) - 1.0  # fills rank below every mixed track
    for engine, scored in fallbacks:
        for item in scored.item_ids.tolist():
            if len(ranked) >= k:
                return
            if item in taken or not _admit(item, artist_of, max_per_artist, per_artist):
                continue
            taken.add(item)
            value = below - 1e-3 * len(ranked)
            ranked.append(MixedItem(item, value, {engine: value}, None, scored.reason or reasons.get(engine), engine))
