"""EASE, a closed-form item-item model, on the most played tracks."""

from engines.ease import EASEEngine
from plugins.engine_plugin import EnginePlugin

plugin = EnginePlugin(
    EASEEngine, version="1.0", builtin=True, needs=("plays", "ratings"),
    reason="goes with what you play",
    description="Tracks that complete your listening, learned from everyone's plays and ratings (EASE).",
)
