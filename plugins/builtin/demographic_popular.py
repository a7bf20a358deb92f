"""Most played recently among listeners of the same age group and gender."""

from engines.demographic_popular import DemographicPopular
from plugins.engine_plugin import EnginePlugin

plugin = EnginePlugin(
    DemographicPopular, version="1.0", builtin=True, needs=("plays", "users", "items"),
    description="What listeners of your age group and gender play most this week.",
    fallback=0,
)
