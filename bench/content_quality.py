"""Content engine quality on the real Spotify tracks CSV: genre coherence@k.

The catalog is the original product's ten genres; a track listed under several of them is one
item carrying all of them. For seeded seed tracks, coherence@k is the share of the k most
similar tracks that share a genre with the seed (``engines.evaluation.genre_coherence``, the
metric of ``hz45 evaluate --metric genre``). Compared: ``content_gmm.similar_items``, plain
cosine similarity over the whole catalogue (no clustering), and random tracks.

    python bench/content_quality.py [PATH_TO_dataset.csv] [--repeats 3] [--write]

Without a path the CSV is read from ``$HZ45_DATA_DIR/spotify_tracks`` (default
``../shared/data`` next to the repository).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engines.base import ScoredItems, TrainingData, top_k_indices  # noqa: E402
from engines.content_gmm import ContentGMM, ContentGMMConfig  # noqa: E402
from engines.evaluation import genre_coherence  # noqa: E402

DECK_GENRES = ("acoustic", "dance", "edm", "hip-hop", "pop", "r-n-b", "rock", "romance", "soul", "k-pop")
DECK_FEATURES = ("danceability", "energy", "loudness", "acousticness", "tempo")
ALL_FEATURES = (
    "danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness",
    "instrumentalness", "liveness", "valence", "tempo", "time_signature",
)  # fmt: skip
DECK_SILHOUETTE = 0.18
OUTPUT = ROOT / "docs" / "benchmarks" / "content_quality.md"


def default_csv() -> Path:
    data = Path(os.environ.get("HZ45_DATA_DIR", ROOT.parent / "shared" / "data"))
    return data / "spotify_tracks" / "dataset.csv"


def load_items(csv: Path, genres: tuple[str, ...] = DECK_GENRES) -> pd.DataFrame:
    """One row per track of ``genres`` with integer ``item_id`` and a ``genres`` tuple.

    Tracks with tempo 0 are dropped, as the catalog import does.
    """
    raw = pd.read_csv(csv, index_col=0)
    raw = raw[raw["track_genre"].isin(genres)]
    track_genres = raw.groupby("track_id")["track_genre"].agg(lambda g: tuple(sorted(set(g))))
    items = raw.drop_duplicates("track_id").set_index("track_id")
    items = items[items["tempo"] > 0].drop(columns="track_genre")
    items["genres"] = track_genres.loc[items.index]
    return items.reset_index().assign(item_id=lambda f: np.arange(len(f), dtype=np.int64))


class CosineBaseline:
    """Cosine similarity of standardised features over the whole catalogue."""

    def __init__(self, items: pd.DataFrame, features: tuple[str, ...]) -> None:
        values = items[list(features)].to_numpy(float)
        standard = (values - values.mean(axis=0)) / values.std(axis=0)
        self.unit = standard / np.linalg.norm(standard, axis=1, keepdims=True)
        self.ids = items["item_id"].to_numpy()

    def similar_items(self, item_id: int, k: int) -> ScoredItems:
        similarity = self.unit @ self.unit[item_id]
        similarity[item_id] = -np.inf
        top = top_k_indices(similarity, k)
        return ScoredItems(self.ids[top], similarity[top])


class RandomBaseline:
    """k random other tracks, seeded."""

    def __init__(self, items: pd.DataFrame, seed: int = 0) -> None:
        self.ids = items["item_id"].to_numpy()
        self.rng = np.random.default_rng(seed)

    def similar_items(self, item_id: int, k: int) -> ScoredItems:
        picks = self.rng.choice(self.ids[self.ids != item_id], size=k, replace=False)
        return ScoredItems(picks, np.zeros(k))


def timed_fit(config: ContentGMMConfig, data: TrainingData, repeats: int) -> tuple[ContentGMM, float]:
    """The fitted engine and the median fit time in seconds over ``repeats`` fits."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        engine = ContentGMM(config).fit(data)
        seconds.append(time.perf_counter() - started)
    return engine, statistics.median(seconds)


def similar_items_latency_ms(engine: ContentGMM, ids: np.ndarray, k: int) -> float:
    """Median milliseconds of one ``similar_items`` call over ``ids``."""
    seconds = []
    for item in ids:
        started = time.perf_counter()
        engine.similar_items(int(item), k)
        seconds.append(time.perf_counter() - started)
    return 1000 * statistics.median(seconds)


def run(csv: Path, k: int, n_seeds: int, repeats: int, seed: int) -> tuple[list[str], list[str]]:
    """Measure; return the main table and the feature/criterion comparison as markdown lines."""
    items = load_items(csv)
    data = TrainingData(items=items)
    config = ContentGMMConfig(seed=seed)
    engine, fit_seconds = timed_fit(config, data, repeats)
    methods = {
        "content_gmm `similar_items`": engine,
        "cosine, whole catalogue": CosineBaseline(items, config.features),
        "random tracks": RandomBaseline(items, seed),
    }
    draws = range(seed, seed + repeats)
    coherence = {
        name: [genre_coherence(method, data, k, n_seeds, draw) for draw in draws]
        for name, method in methods.items()
    }
    probes = np.random.default_rng(seed).choice(items["item_id"].to_numpy(), size=1000)
    latency = similar_items_latency_ms(engine, probes, k)
    gmm, cosine, chance = (statistics.median(values) for values in coherence.values())
    main = [
        f"Catalog: {len(items):,} tracks in {len(DECK_GENRES)} genres; {n_seeds:,} seed tracks "
        f"per draw, {repeats} seeded draws, k = {k}.",
        "",
        f"| method | genre coherence@{k}, median | min – max over draws |",
        "| --- | --- | --- |",
        *(
            f"| {name} | {statistics.median(values):.3f} | {min(values):.3f} – {max(values):.3f} |"
            for name, values in coherence.items()
        ),
        "",
        "| content_gmm model | value |",
        "| --- | --- |",
        f"| features | {', '.join(config.features)} |",
        f"| PCA components | {config.pca_components} |",
        f"| criterion, candidates | {config.criterion}, {list(config.component_candidates)} |",
        f"| chosen n_components | {int(engine.metrics['n_components'])} |",
        f"| silhouette (PCA space, {config.silhouette_sample:,}-track sample) | "
        f"{engine.metrics['silhouette']:.3f} (deck: {DECK_SILHOUETTE}) |",
        f"| fit time, median of {repeats} | {fit_seconds:.2f} s |",
        f"| `similar_items` latency, median of {len(probes):,} calls | {latency:.3f} ms |",
        "",
        f"content_gmm is {gmm - chance:+.3f} over random tracks and {gmm - cosine:+.3f} against "
        "cosine similarity over the whole catalogue.",
    ]
    variants = [
        ("deck's five", DECK_FEATURES, "bic"),
        ("nine continuous (default)", config.features, "bic"),
        ("nine continuous", config.features, "silhouette"),
        ("all twelve", ALL_FEATURES, "bic"),
    ]
    compare = [
        f"One draw of {n_seeds:,} seeds (seed {seed}).",
        "",
        f"| features | criterion | n_components | silhouette | coherence@{k} gmm | coherence@{k} cosine |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for label, features, criterion in variants:
        variant = ContentGMMConfig(features=features, criterion=criterion, seed=seed)
        fitted = ContentGMM(variant).fit(data)
        gmm = genre_coherence(fitted, data, k, n_seeds, seed)
        cosine = genre_coherence(CosineBaseline(items, features), data, k, n_seeds, seed)
        compare.append(
            f"| {label} | {criterion} | {int(fitted.metrics['n_components'])} | "
            f"{fitted.metrics['silhouette']:.3f} | {gmm:.3f} | {cosine:.3f} |"
        )
    return main, compare


def main() -> None:
    """Command-line entry: print the tables, optionally write them to the docs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="?", type=Path, default=default_csv())
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=1000, help="number of seed tracks")
    parser.add_argument("--repeats", type=int, default=3, help="timed fits and seed draws")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write", action="store_true", help=f"write {OUTPUT.relative_to(ROOT)}")
    args = parser.parse_args()
    if not args.csv.exists():
        parser.exit(1, f"error: no Spotify tracks CSV at {args.csv}\n")
    main_table, comparison = run(args.csv, args.k, args.seeds, args.repeats, args.seed)
    text = "\n".join([*main_table, "", "Feature sets and selection criterion:", "", *comparison])
    print(text)
    if args.write:
        command = "python bench/content_quality.py" + "".join(
            f" {flag} {value}"
            for flag, value, default in [
                ("--k", args.k, 10), ("--seeds", args.seeds, 1000),
                ("--repeats", args.repeats, 3), ("--seed", args.seed, 0),
            ]  # fmt: skip
            if value != default
        )
        OUTPUT.parent.mkdir(parents=True, exist_ok=True)
        what = " ".join(__doc__.split("\n\n")[1].split())
        OUTPUT.write_text(
            "# Content engine quality (genre coherence)\n\n"
            f"{what}\n\n"
            f"Command: `{command} --write` (CSV from `$HZ45_DATA_DIR/spotify_tracks/dataset.csv`)\n"
            f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}\n\n"
            f"{text}\n"
        )


if __name__ == "__main__":
    main()
