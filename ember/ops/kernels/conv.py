"""conv kernels (being written)."""

__all__ = []
