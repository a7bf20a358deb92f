"""Neural collaborative filtering (NeuMF in PyTorch Lightning) with demographic embeddings."""

from engines.ncf.engine import NCFEngine
from plugins.engine_plugin import EnginePlugin

plugin = EnginePlugin(
    NCFEngine, version="1.0", builtin=True, needs=("ratings", "plays", "users"),
    description="Listeners like you: NeuMF over users, tracks, age group and gender.",
    reason="listeners like you enjoyed it",
    # NDCG@10 on held-out users, measured during training (implicit objective, the default).
    metric="val_ndcg", higher_is_better=True,
)
