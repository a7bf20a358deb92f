"""User-user neighbours: what the listeners most similar to you (cosine over play counts) play."""

from engines.user_neighbours import REASON, SimilarListeners
from plugins.engine_plugin import EnginePlugin

plugin = EnginePlugin(
    SimilarListeners, version="1.0", builtin=True, needs=("plays",), reason=REASON,
    description="Tracks popular among the listeners whose plays are most like yours (user-to-user neighbours).",
)
