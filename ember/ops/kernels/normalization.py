"""normalization kernels (being written)."""

__all__ = []
