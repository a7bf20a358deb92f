"""Alternating least squares (implicit) on plays and ratings with confidence."""

from engines.als import ALSEngine
from plugins.engine_plugin import EnginePlugin

plugin = EnginePlugin(
    ALSEngine, version="1.0", builtin=True, needs=("plays", "ratings"),
    reason="listeners who play what you play also play it",
    description="Listeners who play what you play also play these (ALS matrix factorisation on plays and ratings).",
)
