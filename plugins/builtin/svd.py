"""Matrix factorisation (Surprise SVD) on playlist ratings."""

from engines.svd import SVDEngine, tune
from plugins.engine_plugin import EnginePlugin

plugin = EnginePlugin(
    SVDEngine, version="1.0", builtin=True, needs=("ratings",),
    description="New discoveries: unrated tracks with the highest predicted rating (Surprise SVD).",
    reason="a new discovery picked for your ratings",
    metric="val_rmse", higher_is_better=False, tuner=tune,
)
