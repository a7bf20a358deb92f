"""The built-in recommenders, each a small module exposing ``plugin`` (like any third-party one)."""

BUILTIN_PLUGINS = (
    "plugins.builtin.content_gmm",
    "plugins.builtin.svd",
    "plugins.builtin.ncf",
    "plugins.builtin.demographic_popular",
    "plugins.builtin.als",
    "plugins.builtin.item_knn",
    "plugins.builtin.ease",
    "plugins.builtin.similar_listeners",
)
