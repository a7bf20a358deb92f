"""Neural collaborative filtering: NeuMF with demographic embeddings (PyTorch Lightning)."""

from engines.ncf.config import NCFConfig
from engines.ncf.engine import NCFEngine

__all__ = ["NCFConfig", "NCFEngine"]
