"""Max and average pooling, channels-last, 1-D and 2-D, "valid" or "same" (Keras' rules).

Every kernel works on one strided slice per window offset (average pooling of non-overlapping,
unpadded windows reduces a reshaped view instead); backward writes or adds each offset's share
into the input gradient, straight into place when the windows do not overlap. Max pooling
sends each window's gradient to its first maximum (as TensorFlow and PyTorch do); "same"
average pooling divides by the number of real (unpadded) elements in each window, as
TensorFlow does.
"""

import numpy as np

from ...autograd.function import Function
from .._convert import to_tensor
from .conv import (
    batch_chunks,
    check_padding,
    crop,
    offset_slices,
    output_size,
    pad_amounts,
    pad_spatial,
    to_tuple,
)

__all__ = ["avg_pool1d", "avg_pool2d", "max_pool1d", "max_pool2d"]


class _Pool(Function):
    """Shared geometry: 1-D inputs (N, W, C) run as (N, 1, W, C)."""

    def setup(self, x, pool, strides, pads):
        self.squeeze = x.ndim == 3
        if self.squeeze:
            x = x[:, None]
        self.pool, self.strides, self.pads = pool, strides, pads
        self.shape = x.shape
        self.out_hw = tuple(output_size(x.shape[1 + i], pool[i], strides[i], 1, pads[i])
                            for i in range(2))
        # windows tile the input exactly: a reshape replaces the strided slices
        self.tiled = pool == strides and not any(pads[0] + pads[1])
        return x

    def tiles(self, x):
        """(N, oh, ph, ow, pw, C) view of the input's tiled region (only when ``self.tiled``)."""
        (oh, ow), (ph, pw) = self.out_hw, self.pool
        return x[:, :oh * ph, :ow * pw].reshape(x.shape[0], oh, ph, ow, pw, x.shape[-1])

    def offsets(self):
        return offset_slices(self.out_hw, self.pool, self.strides, (1, 1))

    def finish(self, out):
        return out[:, 0] if self.squeeze else out


class MaxPool(_Pool):
    """Forward: a running maximum over the window offsets' strided slices, noting for each
    window the offset of its first maximum (a later offset takes over only when strictly
    larger). Backward: each offset's slice of the input gradient is the output gradient where
    that offset won, so backward reads neither the input nor the output again. Both run over
    chunks of the batch of about 1 MB, in cache. Windows whose maximum is NaN pass no gradient
    (an input equal to NaN is never found), as before this bookkeeping."""

    def forward(self, x, pool, strides, pads):
        x = self.setup(x, pool, strides, pads)
        low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        xp = pad_spatial(x, pads, value=low)
        self.padded_shape = xp.shape
        out = np.empty((x.shape[0], *self.out_hw, x.shape[-1]), x.dtype)
        slices = [where for _, _, where in self.offsets()]
        self.winner = winner = np.zeros(out.shape, np.min_scalar_type(len(slices) - 1))
        for rows in batch_chunks(xp):
            xs, o, w = xp[rows], out[rows], winner[rows]
            o[...] = xs[slices[0]]
            for k, where in enumerate(slices[1:], start=1):
                larger = np.greater(xs[where], o)
                np.maximum(o, xs[where], out=o)
                # offsets only grow; bool viewed as uint8 keeps the multiply in one type
                np.maximum(w, larger.view(np.uint8) * w.dtype.type(k), out=w)
        self.nan = np.isnan(out) if x.dtype.kind == "f" and np.isnan(out).any() else None
        return self.finish(out)

    def backward(self, g):
        if self.squeeze:
            g = g[:, None]
        if self.nan is not None:
            g = np.where(self.nan, g.dtype.type(0), g)
        (oh, ow), (ph, pw) = self.out_hw, self.pool
        covered = self.tiled and (oh * ph, ow * pw) == self.padded_shape[1:3]
        # windows tiling the input exactly write every element once: no zero fill needed
        gxp = (np.empty if covered else np.zeros)(self.padded_shape, g.dtype)
        slices = [where for _, _, where in self.offsets()]
        for rows in batch_chunks(gxp):
            w, gs, gx = self.winner[rows], g[rows], gxp[rows]
            for k, where in enumerate(slices):
                hit = w == k
                if self.tiled:  # windows do not overlap: write straight into the gradient
                    np.multiply(gs, hit, out=gx[where])
                else:
                    gx[where] += gs * hit
        return self.finish(crop(gxp, self.pads))


class AvgPool(_Pool):
    def forward(self, x, pool, strides, pads):
        x = self.setup(x, pool, strides, pads)
        if self.tiled:
            self.counts = np.asarray(pool[0] * pool[1], x.dtype)
            return self.finish(self.tiles(x).mean(axis=(2, 4)))
        xp = pad_spatial(x, pads)
        out = np.zeros((x.shape[0], *self.out_hw, x.shape[-1]), x.dtype)
        for _, _, where in self.offsets():
            out += xp[where]
        self.counts = self._counts(x.shape[1:3]).astype(x.dtype)
        out /= self.counts
        return self.finish(out)

    def _counts(self, size_hw):
        """(1, oh, ow, 1) number of real input elements in each window."""
        per_axis = []
        for size, out, k, s, (before, _) in zip(size_hw, self.out_hw, self.pool, self.strides,
                                               self.pads):
            start = np.arange(out) * s - before
            per_axis.append(np.clip(start + k, 0, size) - np.clip(start, 0, size))
        return np.outer(*per_axis)[None, :, :, None]

    def backward(self, g):
        if self.squeeze:
            g = g[:, None]
        share = g / self.counts
        if self.tiled:
            n, c = self.shape[0], self.shape[-1]
            (oh, ow), (ph, pw) = self.out_hw, self.pool
            spread = np.broadcast_to(share[:, :, None, :, None], (n, oh, ph, ow, pw, c))
            spread = spread.reshape(n, oh * ph, ow * pw, c)
            if spread.shape == self.shape:
                return self.finish(spread)
            gx = np.zeros(self.shape, g.dtype)
            gx[:, :oh * ph, :ow * pw] = spread
            return self.finish(gx)
        (top, bottom), (left, right) = self.pads
        n, h, w, c = self.shape
        gxp = np.zeros((n, h + top + bottom, w + left + right, c), g.dtype)
        for _, _, where in self.offsets():
            gxp[where] += share
        return self.finish(crop(gxp, self.pads))


def _pool(function, op, x, pool_size, strides, padding, rank):
    x = to_tensor(x)
    if x.ndim != rank + 2:
        layout = "(batch, steps, channels)" if rank == 1 else "(batch, height, width, channels)"
        raise ValueError(f"{op}: expected an input of rank {rank + 2} {layout}. "
                         f"Received: x.shape={x.shape}")
    pool = to_tuple(pool_size, rank, "pool_size", op)
    strides = pool if strides is None else to_tuple(strides, rank, "strides", op)
    padding = check_padding(padding, op)
    if rank == 1:
        pool, strides = (1,) + pool, (1,) + strides
    spatial = (1,) + x.shape[1:2] if rank == 1 else x.shape[1:3]
    pads = tuple(pad_amounts(n, k, s, 1, padding) for n, k, s in zip(spatial, pool, strides))
    for n, k, (before, after) in zip(spatial, pool, pads):
        if n + before + after < k:
            raise ValueError(f"{op}: pool_size {pool_size} is larger than the input. "
                             f"Received: x.shape={x.shape}, padding={padding!r}")
    return function.apply(x, pool=pool, strides=strides, pads=pads)


def max_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Largest value in each window of x (N, H, W, C); ``strides`` defaults to ``pool_size``.

    >>> import ember, numpy as np
    >>> ember.max_pool2d(np.arange(16.0).reshape(1, 4, 4, 1), 2).numpy()[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    return _pool(MaxPool, "max_pool2d", x, pool_size, strides, padding, 2)


def avg_pool2d(x, pool_size=2, strides=None, padding="valid"):
    """Mean of each window of x (N, H, W, C); "same" averages only the real elements.

    >>> import ember, numpy as np
    >>> ember.avg_pool2d(np.arange(16.0).reshape(1, 4, 4, 1), 2).numpy()[0, :, :, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """
    return _pool(AvgPool, "avg_pool2d", x, pool_size, strides, padding, 2)


def max_pool1d(x, pool_size=2, strides=None, padding="valid"):
    """Largest value in each window of x (N, steps, C).

    >>> import ember, numpy as np
    >>> ember.max_pool1d(np.array([[[1.0], [3.0], [2.0], [0.0]]]), 2).numpy()[0, :, 0]
    array([3., 2.])
    """
    return _pool(MaxPool, "max_pool1d", x, pool_size, strides, padding, 1)


def avg_pool1d(x, pool_size=2, strides=None, padding="valid"):
    """Mean of each window of x (N, steps, C); "same" averages only the real elements.

    >>> import ember, numpy as np
    >>> ember.avg_pool1d(np.array([[[1.0], [3.0], [2.0]]]), 2, 1, "same").numpy()[0, :, 0]
    array([2. , 2.5, 2. ])
    """
    return _pool(AvgPool, "avg_pool1d", x, pool_size, strides, padding, 1)
