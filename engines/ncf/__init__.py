"""Neural collaborative filtering: NeuMF with demographic embeddings (PyTorch Lightning)."""

from engines.ncf.engine import NCFConfig, NCFEngine

__all__ = ["NCFConfig", "NCFEngine"]
