"""attention kernels (being written)."""

__all__ = []
