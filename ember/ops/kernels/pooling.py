"""pooling kernels (being written)."""

__all__ = []
