"""Self-attention's query, key and value projections as one GEMM (MultiHeadAttention's fast path).

When query, key and value are one tensor x of shape (B, T, C), the three EinsumDense projections
"abc,cde->abde" are ``x2 @ W`` for the three (C, N * H) kernels: one GEMM against them side by
side, (B * T, C) @ (C, 3 * N * H), with the three biases added in place, replaces three einsum
ops, three bias adds, three transposes and (backward) the sum of three input gradients.

The variables stay the three sub-layers' own (Keras' names, shapes and saved layout): the packed
kernel is concatenated per call (a 200 KB copy at C = 128) and the gradients are split back.

The op's result is the (B * T, 3 * N * H) GEMM output viewed as (3, B, N, T, H); ``_Part``
ops take q, k and v from it. Their backwards write into one shared gradient buffer laid out as
that GEMM output, so the op's backward reads it as a (B * T, 3 * N * H) matrix with no copy and
no sum of three mostly-zero gradients (see ``_Part``).
"""

import numpy as np

from ...autograd.function import Function
from ...ops._sums import column_sums


def _packed_view(flat, batch, time, heads, depth):
    """(B * T, 3 * N * H) -> (3, B, N, T, H): the layout of q, k and v side by side."""
    return flat.reshape(batch, time, 3, heads, depth).transpose(2, 0, 3, 1, 4)


class PackedProjection(Function):
    """``x @ [Wq | Wk | Wv] + [bq | bk | bv]`` as q, k, v stacked: (3, B, N, T, H).

    Inputs: x (B, T, C), the three kernels (C, N, H), then optionally the three biases (N, H).
    """

    def forward(self, x, *weights):
        kernels, biases = weights[:3], weights[3:]
        batch, time, channels = x.shape
        _, heads, depth = kernels[0].shape
        self.x_shape, self.kernel_shape = x.shape, kernels[0].shape
        self.x2 = x.reshape(batch * time, channels)
        self.w = np.concatenate([k.reshape(channels, -1) for k in kernels], axis=1)
        z = self.x2 @ self.w  # (B * T, 3 * N * H)
        self.has_bias = bool(biases)
        if biases:
            z += np.concatenate([b.reshape(-1) for b in biases])
        return _packed_view(z, batch, time, heads, depth)

    def backward(self, g):
        batch, time, _ = self.x_shape
        # the inverse of _packed_view: a view when g is the parts' shared buffer, else a copy
        g2 = g.transpose(1, 3, 0, 2, 4).reshape(batch * time, -1)
        needs = self.needs_input_grad
        gx = (g2 @ self.w.T).reshape(self.x_shape) if needs[0] else None
        width = g2.shape[1] // 3
        columns = [slice(i * width, (i + 1) * width) for i in range(3)]
        gk = [None] * 3
        if any(needs[1:4]):
            gw = self.x2.T @ g2  # (C, 3 * N * H): the three kernels' gradients side by side
            gk = [gw[:, c].reshape(self.kernel_shape) if n else None
                  for c, n in zip(columns, needs[1:4])]
        if not self.has_bias:
            return (gx, *gk)
        gb = [None] * 3
        if any(needs[4:7]):
            sums = column_sums(g2)
            gb = [sums[c].reshape(self.kernel_shape[1:]) if n else None
                  for c, n in zip(columns, needs[4:7])]
        return (gx, *gk, *gb)


class _GradientBuffer:
    """The packed gradient the three parts of one projection fill (created at the first)."""

    __slots__ = ("view",)

    def __init__(self):
        self.view = None


class _Part(Function):
    """``packed[index]``: q, k or v, a view of the packed projection.

    Backward writes g into the buffer shared by the three parts and returns the buffer only
    from the first part to run, None from the others. The backward pass keeps a tensor's first
    gradient by reference and runs an op only after every op that consumes its output, so
    ``PackedProjection.backward`` receives the buffer once all three parts have written to it.
    (Returning a zero-padded full gradient from each would cost three allocations and two sums
    of 3 * B * T * N * H values per layer.) Parts that get no gradient leave zeros.
    """

    def forward(self, packed, index, buffer):
        self.index, self.buffer = index, buffer
        self.shape, self.dtype = packed.shape, packed.dtype
        return packed[index]

    def backward(self, g):
        buffer = self.buffer
        first = buffer.view is None
        if first:
            three, batch, heads, time, depth = self.shape
            flat = np.zeros((batch * time, three * heads * depth), self.dtype)
            buffer.view = _packed_view(flat, batch, time, heads, depth)
        buffer.view[self.index] = g
        return buffer.view if first else None


def packed_qkv(x, query_dense, key_dense, value_dense):
    """q, k, v of shape (B, N, T, H) for self-attention on x (B, T, C), as the three
    EinsumDense layers (kernels (C, N, H), biases (N, H) or none) would give them transposed."""
    weights = [query_dense.kernel, key_dense.kernel, value_dense.kernel]
    if query_dense.bias is not None:
        weights += [query_dense.bias, key_dense.bias, value_dense.bias]
    packed = PackedProjection.apply(x, *weights)
    buffer = _GradientBuffer()
    return tuple(_Part.apply(packed, index=i, buffer=buffer) for i in range(3))


def can_pack(x, query_dense, key_dense, value_dense):
    """Whether ``packed_qkv`` computes exactly what calling the three layers on x would: plain
    "abc,cde->abde" projections of one (B, T, C) input, with equal shapes, the input's dtype,
    no activation and no activity regularizer (kernel/bias regularizers and constraints act on
    the variables, outside the call, so they do not matter)."""
    layers = (query_dense, key_dense, value_dense)
    if x.ndim != 3:
        return False
    shapes = {(layer.kernel.shape, None if layer.bias is None else layer.bias.shape)
              for layer in layers}
    if len(shapes) != 1:
        return False
    kernel_shape, bias_shape = shapes.pop()
    if len(kernel_shape) != 3 or kernel_shape[0] != x.shape[-1] or bias_shape not in (
            None, kernel_shape[1:]):
        return False
    from ..activations import linear

    return all(layer.equation == "abc,cde->abde" and layer.activation is linear
               and layer.activity_regularizer is None and layer.kernel.dtype == x.dtype
               and (layer.bias is None or layer.bias.dtype == x.dtype) for layer in layers)
