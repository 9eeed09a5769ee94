"""embedding kernels (being written)."""

__all__ = []
