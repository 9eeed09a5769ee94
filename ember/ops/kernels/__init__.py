"""Kernels of the layer ops: convolution, pooling, normalization, embedding, attention."""
