"""Item-item nearest neighbours (implicit's BM25 or cosine) on plays and ratings."""

from engines.item_knn import ItemKNNEngine
from plugins.engine_plugin import EnginePlugin

plugin = EnginePlugin(
    ItemKNNEngine, version="1.0", builtin=True, needs=("plays", "ratings"),
    reason="often played with the tracks you play",
    description="Tracks often played by the same listeners as the tracks you play (item-to-item neighbours).",
)
