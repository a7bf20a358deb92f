"""Content clustering: audio features → PCA → Gaussian mixture; also serves similarTracks."""

from engines.content_gmm import ContentGMM
from plugins.engine_plugin import EnginePlugin

plugin = EnginePlugin(
    ContentGMM, version="1.0", builtin=True, needs=("items", "plays"),
    description="Tracks that sound like the ones you play most (audio features, GMM clusters).",
    reason="sounds like what you play", similar=0,
    # Silhouette is recorded, not gating: the catalog changes between runs and new tracks
    # must get clusters, so each new content model is activated.
)
