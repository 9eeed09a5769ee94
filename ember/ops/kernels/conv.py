"""Convolutions, channels-last: conv1d, conv2d (grouped), conv2d_transpose, depthwise_conv2d.

Forward is im2col (a strided read-only view of the padded input, copied once) followed by one
GEMM; backward is two GEMMs, and col2im sums the column gradients back with one strided add per
kernel offset. Padding follows Keras/TensorFlow: "same" puts the odd extra row at the end.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ...autograd.function import Function
from .._convert import shape_error, to_tensor
from .._sums import column_sums
from ..elementwise import _relu, _relu_grad

__all__ = ["conv1d", "conv2d", "conv2d_transpose", "depthwise_conv2d"]


# ----- geometry shared with pooling ------------------------------------------------------------


def to_tuple(value, n, name, op):
    """An int or a sequence of ``n`` positive ints as a tuple of ``n`` ints."""
    items = (value,) * n if isinstance(value, (int, np.integer)) else value
    items = tuple(items) if isinstance(items, (tuple, list)) else ()
    if len(items) != n or not all(isinstance(v, (int, np.integer)) and v > 0 for v in items):
        raise ValueError(f"{op}: {name} must be a positive int or a tuple of {n} positive ints. "
                         f"Received: {name}={value!r}")
    return tuple(int(v) for v in items)


def check_padding(padding, op, allowed=("valid", "same")):
    mode = padding.lower() if isinstance(padding, str) else padding
    if mode not in allowed:
        raise ValueError(f"{op}: padding must be one of {list(allowed)}. "
                         f"Received: padding={padding!r}")
    return mode


def pad_amounts(size, kernel, stride, dilation, padding):
    """(before, after) padding of one spatial axis, as Keras/TensorFlow compute it."""
    span = (kernel - 1) * dilation + 1
    if padding == "same":
        out = -(-size // stride)
        total = max((out - 1) * stride + span - size, 0)
        return total // 2, total - total // 2
    if padding == "causal":
        return span - 1, 0
    return 0, 0


def output_size(size, kernel, stride, dilation, pads):
    span = (kernel - 1) * dilation + 1
    return (size + pads[0] + pads[1] - span) // stride + 1


def spatial_pads(op, x_shape, window, strides, dilation, padding, kernel_shape):
    """Per-axis (before, after) pads of an (N, H, W, C) input; ValueError if no output is left."""
    pads = tuple(pad_amounts(n, k, s, d, padding)
                 for n, k, s, d in zip(x_shape[1:3], window, strides, dilation))
    for n, k, s, d, p in zip(x_shape[1:3], window, strides, dilation, pads):
        if output_size(n, k, s, d, p) < 1:
            raise shape_error(op, x_shape, kernel_shape,
                              detail=f"the window (size {k}, dilation {d}) is larger than the "
                                     f"padded input (size {n + p[0] + p[1]}), no output is left")
    return pads


def pad_spatial(x, pads, value=0):
    """Pad the two spatial axes of an (N, H, W, ...) array (no copy when there is nothing to do)."""
    if not any(pads[0] + pads[1]):
        return x
    width = ((0, 0), pads[0], pads[1]) + ((0, 0),) * (x.ndim - 3)
    return np.pad(x, width, constant_values=value)


def offset_slices(out_hw, window, strides, dilation):
    """For each window offset (a, b): the strided slice of the padded input it reads."""
    (oh, ow), (sh, sw), (dh, dw) = out_hw, strides, dilation
    for a in range(window[0]):
        for b in range(window[1]):
            rows = slice(a * dh, a * dh + sh * (oh - 1) + 1, sh)
            cols = slice(b * dw, b * dw + sw * (ow - 1) + 1, sw)
            yield a, b, (slice(None), rows, cols)


def batch_chunks(x, target_bytes=1 << 20):
    """Slices of ``x``'s first axis, each covering about ``target_bytes`` (at least one item):
    ops that make several passes over an array run them chunk by chunk, in cache."""
    n = x.shape[0]
    step = max(1, target_bytes // max(1, x[:1].nbytes))
    return [slice(i, min(i + step, n)) for i in range(0, n, step)]


def crop(x, pads):
    (top, bottom), (left, right) = pads
    return x[:, top:x.shape[1] - bottom, left:x.shape[2] - right]


def windows(xp, out_hw, window, strides, dilation, groups=1):
    """Read-only view (N, oh, ow, kh, kw, G, C/G) of every window of a padded (N, Hp, Wp, C)."""
    n, _, _, c = xp.shape
    sn, sh, sw, sc = xp.strides
    shape = (n, *out_hw, *window, groups, c // groups)
    steps = (sn, sh * strides[0], sw * strides[1], sh * dilation[0], sw * dilation[1],
             sc * (c // groups), sc)
    return as_strided(xp, shape, steps, writeable=False)


def col2im(cols, padded_shape, strides, dilation):
    """Sum window values (N, oh, ow, kh, kw, ...) back into an array of ``padded_shape``."""
    out = np.zeros(padded_shape, cols.dtype)
    for a, b, where in offset_slices(cols.shape[1:3], cols.shape[3:5], strides, dilation):
        out[where] += cols[:, :, :, a, b]
    return out


# With fewer channels per group than this, im2col copies one shifted image per kernel offset
# (long contiguous runs) instead of copying the window view (runs of kw * channels floats).
FEW_CHANNELS = 4


def im2col(xp, out_hw, window, strides, dilation, groups, ones=False):
    """The (G, M, K) window matrix of a padded (N, Hp, Wp, C) input: M = N * oh * ow output
    pixels, K = kh * kw * C / G window values ordered (kh, kw, channel), as the kernel is.

    With ``ones`` a column of ones follows (K + 1 columns): a bias row appended to the weights
    then adds the bias inside the GEMM, and the kernel-gradient GEMM yields the bias gradient.
    """
    n, c = xp.shape[0], xp.shape[-1]
    cg, m = c // groups, n * out_hw[0] * out_hw[1]
    k = window[0] * window[1] * cg
    if cg >= FEW_CHANNELS:
        view = windows(xp, out_hw, window, strides, dilation, groups)  # (N, oh, ow, kh, kw, G, cg)
        cols = np.empty((groups, n, *out_hw, k + ones), xp.dtype)
        cols[..., :k].reshape(groups, n, *out_hw, *window, cg)[...] = view.transpose(
            5, 0, 1, 2, 3, 4, 6)
        if ones:
            cols[..., k] = 1
        return cols.reshape(groups, m, k + ones)
    rows = np.empty((groups, k + ones, n, *out_hw), xp.dtype)  # (G, K [+ 1], N, oh, ow)
    shifted_rows = rows[:, :k].reshape(groups, *window, cg, n, *out_hw)
    for a, b, where in offset_slices(out_hw, window, strides, dilation):
        shifted = xp[where].reshape(n, *out_hw, groups, cg)
        shifted_rows[:, a, b] = shifted.transpose(3, 4, 0, 1, 2)
    if ones:
        rows[:, k] = 1
    return rows.reshape(groups, k + ones, m).transpose(0, 2, 1)  # a transposed view for BLAS


def _gemm(a, b):
    """Batched matrix product over groups; one plain 2-D GEMM when there is a single group
    (NumPy's batched path is markedly slower for a batch of one with strided operands)."""
    if a.shape[0] == 1:
        return (a[0] @ b[0])[None]
    return np.matmul(a, b)


def _kernel_grad(cols, g3):
    """cols^T @ g per group. With a row-major window matrix, OpenBLAS runs (g^T @ cols)^T
    faster at these shapes (K ~ 300, og ~ 64: 79 vs 68 GFLOP/s on one core); the few-channel
    im2col's transposed view is already best as it is."""
    if cols.shape[0] == 1 and cols[0].flags.c_contiguous:
        return (g3[0].T @ cols[0]).T[None]
    return _gemm(cols.transpose(0, 2, 1), g3)


# ----- conv1d / conv2d -------------------------------------------------------------------------


class Conv(Function):
    """Grouped 2-D convolution (conv1d runs through it with a height of 1).

    Forward: im2col and one GEMM per group. Backward: the kernel gradient is one GEMM on the
    saved window matrix; the input gradient is one small GEMM per kernel offset, each added
    straight into the shifted input region it came from (no (M, K) column gradient to scatter).
    With ``activation="relu"`` the ReLU runs in place on the GEMM's output, and its derivative
    comes from the saved output: no separate op, array or pass.
    """

    def forward(self, x, kernel, bias=None, *, strides, dilation, pads, groups, activation=None):
        self.squeeze = x.ndim == 3
        if self.squeeze:  # (N, W, C) as (N, 1, W, C)
            x, kernel = x[:, None], kernel[None]
        kh, kw, cg, o = kernel.shape
        xp = pad_spatial(x, pads)
        n = x.shape[0]
        oh, ow = (output_size(x.shape[1 + i], kernel.shape[i], strides[i], dilation[i], pads[i])
                  for i in range(2))
        # the bias rides in the GEMM as a row of the weights against a column of ones
        self.fold = bias is not None and x.dtype == kernel.dtype == bias.dtype
        cols = im2col(xp, (oh, ow), (kh, kw), strides, dilation, groups, self.fold)  # (G, M, K)
        weights = kernel.reshape(kh * kw * cg, groups, o // groups).transpose(1, 0, 2)  # (G, K, og)
        if self.fold:
            weights = np.concatenate([weights, bias.reshape(groups, 1, o // groups)], axis=1)
        out = _gemm(cols, weights)  # (G, M, og): one GEMM per group
        out = out[0] if groups == 1 else out.transpose(1, 0, 2)
        out = out.reshape(n, oh, ow, o)
        if bias is not None and not self.fold:
            out += bias
        self.y = _relu(out, out=out) if activation == "relu" else None
        self.cols, self.weights = cols, weights
        self.geometry = (xp.shape, (n, oh, ow), strides, dilation, pads)
        self.dtypes = (x.dtype, kernel.dtype, None if bias is None else bias.dtype)
        self.kernel_shape = kernel.shape
        return out[:, 0] if self.squeeze else out

    def backward(self, g):
        if self.squeeze:
            g = g[:, None]
        if self.y is not None:
            g = _relu_grad(self.y, g)
        padded_shape, (n, oh, ow), strides, dilation, pads = self.geometry
        kh, kw, cg, o = self.kernel_shape
        k = kh * kw * cg
        groups = self.weights.shape[0]
        dx_type, dk_type, db_type = self.dtypes
        g2 = g.reshape(n * oh * ow, o)  # (M, O)
        g3 = g2[None] if groups == 1 else g2.reshape(-1, groups, o // groups).transpose(1, 0, 2)
        needs = self.needs_input_grad
        gx = gk = gb = None
        if needs[0]:
            gx = self._input_grad(g3, padded_shape, (n, oh, ow), strides, dilation)
            gx = crop(gx, pads).astype(dx_type, copy=False)
            gx = gx[:, 0] if self.squeeze else gx
        if needs[1] or (self.fold and needs[2]):
            full = _kernel_grad(self.cols, g3)  # (G, K [+ 1], og)
            gk = full[:, :k].reshape(groups, kh, kw, cg, -1).transpose(1, 2, 3, 0, 4)
            gk = gk.reshape(kh, kw, cg, o).astype(dk_type, copy=False)
            gk = (gk[0] if self.squeeze else gk) if needs[1] else None
            if self.fold and needs[2]:  # the ones column's row: the bias gradient
                gb = full[:, k].reshape(o).astype(db_type, copy=False)
        if db_type is None:
            return gx, gk
        if needs[2] and gb is None:
            gb = column_sums(g2).astype(db_type, copy=False)
        return gx, gk, gb

    def _input_grad(self, g3, padded_shape, out_nhw, strides, dilation):
        """Each kernel offset's contribution g @ W[a, b]^T, added into the input region it read."""
        kh, kw, cg, _ = self.kernel_shape
        groups = self.weights.shape[0]
        per_offset = self.weights[:, :kh * kw * cg].reshape(groups, kh, kw, cg, -1)
        gxp = np.zeros(padded_shape, np.result_type(g3, per_offset))
        shape = out_nhw + (groups * cg,)
        for a, b, where in offset_slices(out_nhw[1:], (kh, kw), strides, dilation):
            part = _gemm(g3, per_offset[:, a, b].transpose(0, 2, 1))  # (G, M, cg)
            part = part[0] if groups == 1 else part.transpose(1, 0, 2)
            gxp[where] += part.reshape(shape)
        return gxp


def _check_conv(op, x, kernel, bias, rank, groups, layout):
    if x.ndim != rank + 2 or kernel.ndim != rank + 2:
        raise shape_error(op, x.shape, kernel.shape,
                          detail=f"expected x of rank {rank + 2} and a kernel of rank {rank + 2} "
                                 f"({layout})")
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int. Received: groups={groups!r}")
    channels, per_group, filters = x.shape[-1], kernel.shape[-2], kernel.shape[-1]
    if channels != per_group * groups:
        raise shape_error(op, x.shape, kernel.shape,
                          detail=f"the input has {channels} channels but the kernel expects "
                                 f"{per_group} x groups={groups}")
    if filters % groups:
        raise shape_error(op, x.shape, kernel.shape,
                          detail=f"the kernel's {filters} output channels are not divisible by "
                                 f"groups={groups}")
    _check_bias(op, kernel, bias, filters)


def _check_bias(op, kernel, bias, filters):
    if bias is not None and bias.shape != (filters,):
        raise shape_error(op, kernel.shape, bias.shape,
                          detail=f"the bias must have shape ({filters},)")


def _inputs(x, kernel, bias):
    return to_tensor(x), to_tensor(kernel), None if bias is None else to_tensor(bias)


def _given(*tensors):
    """The op's tensor inputs, leaving out an absent bias."""
    return tuple(t for t in tensors if t is not None)


def conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, groups=1,
           activation=None):
    """2-D convolution of x (N, H, W, C) with a kernel (kh, kw, C / groups, filters).

    ``padding`` is "valid" or "same" (Keras' rule: the odd extra row/column goes at the end).
    ``activation`` None or "relu" (fused: ``relu(conv2d(...))`` in one op).

    >>> import ember, numpy as np
    >>> x, k = np.ones((1, 4, 4, 2), "float32"), np.ones((3, 3, 2, 5), "float32")
    >>> ember.conv2d(x, k, padding="same").shape
    (1, 4, 4, 5)
    """
    x, kernel, bias = _inputs(x, kernel, bias)
    _check_conv("conv2d", x, kernel, bias, 2, groups, "x (N, H, W, C), kernel HWIO")
    strides = to_tuple(strides, 2, "strides", "conv2d")
    dilation = to_tuple(dilation_rate, 2, "dilation_rate", "conv2d")
    padding = check_padding(padding, "conv2d")
    pads = spatial_pads("conv2d", x.shape, kernel.shape[:2], strides, dilation, padding,
                        kernel.shape)
    return Conv.apply(*_given(x, kernel, bias), strides=strides, dilation=dilation, pads=pads,
                      groups=int(groups), activation=_fused_activation("conv2d", activation))


def conv1d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, groups=1,
           activation=None):
    """1-D convolution of x (N, W, C) with a kernel (k, C / groups, filters).

    ``padding`` is "valid", "same" or "causal" (left padding only, as Keras' Conv1D).
    ``activation`` None or "relu" (fused: ``relu(conv1d(...))`` in one op).

    >>> import ember, numpy as np
    >>> ember.conv1d(np.ones((2, 10, 3), "float32"), np.ones((3, 3, 4), "float32")).shape
    (2, 8, 4)
    """
    x, kernel, bias = _inputs(x, kernel, bias)
    _check_conv("conv1d", x, kernel, bias, 1, groups, "x (N, W, C), kernel (k, I, O)")
    strides = (1,) + to_tuple(strides, 1, "strides", "conv1d")
    dilation = (1,) + to_tuple(dilation_rate, 1, "dilation_rate", "conv1d")
    padding = check_padding(padding, "conv1d", ("valid", "same", "causal"))
    pads = spatial_pads("conv1d", (x.shape[0], 1) + x.shape[1:], (1, kernel.shape[0]), strides,
                        dilation, padding, kernel.shape)
    return Conv.apply(*_given(x, kernel, bias), strides=strides, dilation=dilation, pads=pads,
                      groups=int(groups), activation=_fused_activation("conv1d", activation))


def _fused_activation(op, activation):
    if activation not in (None, "linear", "relu"):
        raise ValueError(f"{op}: activation must be None, 'linear' or 'relu' (apply others "
                         f"after the op). Received: activation={activation!r}")
    return "relu" if activation == "relu" else None


# ----- transposed convolution --------------------------------------------------------------------


class ConvTranspose(Function):
    """The gradient of a convolution with respect to its input, used as a layer.

    Forward: one GEMM gives every input pixel's contribution to a (kh, kw) patch, and col2im
    scatters the patches onto a canvas that is then cropped (or zero-extended) to Keras' output
    size. Backward: im2col on the output gradient and two GEMMs.
    """

    def forward(self, x, kernel, bias=None, *, strides, dilation, crops, out_hw):
        n, h, w, cin = x.shape
        kh, kw, o, _ = kernel.shape
        x2 = x.reshape(-1, cin)  # (M, cin)
        k2 = kernel.reshape(-1, cin)  # (kh * kw * o, cin)
        cols = (x2 @ k2.T).reshape(n, h, w, kh, kw, o)
        canvas_hw = tuple(
            max((size - 1) * s + (k - 1) * d + 1, top + out)
            for size, k, s, d, top, out in zip((h, w), (kh, kw), strides, dilation, crops, out_hw)
        )
        canvas = col2im(cols, (n, *canvas_hw, o), strides, dilation)
        (top, left), (oh, ow) = crops, out_hw
        out = canvas[:, top:top + oh, left:left + ow]
        out = np.ascontiguousarray(out) if bias is None else out + bias
        self.x2, self.k2, self.canvas_shape = x2, k2, canvas.shape
        self.shapes = (x.shape, kernel.shape)
        self.strides, self.dilation, self.crops = strides, dilation, crops
        self.bias_dtype = None if bias is None else bias.dtype
        return out

    def backward(self, g):
        x_shape, k_shape = self.shapes
        n, h, w, cin = x_shape
        (top, left), (oh, ow) = self.crops, g.shape[1:3]
        canvas = np.zeros(self.canvas_shape, g.dtype)
        canvas[:, top:top + oh, left:left + ow] = g
        view = windows(canvas, (h, w), k_shape[:2], self.strides, self.dilation)
        gcols = view.reshape(n * h * w, -1)  # (M, kh * kw * o): the im2col copy
        gx = gk = None
        if self.needs_input_grad[0]:
            gx = (gcols @ self.k2).reshape(x_shape).astype(self.x2.dtype, copy=False)
        if self.needs_input_grad[1]:
            gk = (gcols.T @ self.x2).reshape(k_shape).astype(self.k2.dtype, copy=False)
        if self.bias_dtype is None:
            return gx, gk
        gb = g.sum(axis=(0, 1, 2)).astype(self.bias_dtype, copy=False)
        return gx, gk, gb if self.needs_input_grad[2] else None


def _transpose_geometry(size, k, s, d, padding, output_padding):
    """(crop before, output length) of one axis, by Keras' conv-transpose padding rules."""
    span = (k - 1) * d + 1
    if padding == "valid":
        extra = max(span, s) - span if output_padding is None else output_padding
        before, after = span - 1, span - 1 + extra
    else:
        total = s + span - 2 if output_padding is None else span + span % 2 - 2 + output_padding
        before = min(total // 2 + total % 2, span - 1)
        after = total - before
    # a full correlation pads span - 1 on each side: what is padded less is cropped
    return span - 1 - before, (size - 1) * s + 1 + before + after - span + 1


def conv2d_transpose(x, kernel, bias=None, strides=1, padding="valid", output_padding=None,
                     dilation_rate=1):
    """Transposed 2-D convolution of x (N, H, W, C) with Keras' kernel (kh, kw, filters, C).

    Output sizes follow Keras' Conv2DTranspose: with ``output_padding=None``, "same" gives
    ``H * strides`` and "valid" gives ``(H - 1) * strides + max(kh, strides)`` (dilation 1).

    >>> import ember, numpy as np
    >>> x, k = np.ones((1, 4, 4, 3), "float32"), np.ones((3, 3, 8, 3), "float32")
    >>> ember.conv2d_transpose(x, k, strides=2, padding="same").shape
    (1, 8, 8, 8)
    """
    x, kernel, bias = _inputs(x, kernel, bias)
    op = "conv2d_transpose"
    if x.ndim != 4 or kernel.ndim != 4:
        raise shape_error(op, x.shape, kernel.shape, detail="expected x of rank 4 (N, H, W, C) "
                          "and a kernel of rank 4 (kh, kw, filters, C)")
    if x.shape[-1] != kernel.shape[3]:
        raise shape_error(op, x.shape, kernel.shape,
                          detail=f"the input has {x.shape[-1]} channels but the kernel "
                                 f"(kh, kw, filters, C) expects {kernel.shape[3]}")
    _check_bias(op, kernel, bias, kernel.shape[2])
    strides = to_tuple(strides, 2, "strides", op)
    dilation = to_tuple(dilation_rate, 2, "dilation_rate", op)
    padding = check_padding(padding, op)
    if output_padding is None:
        output_padding = (None, None)
    else:
        output_padding = _nonnegative_pair(output_padding, op)
        if any(p >= s for p, s in zip(output_padding, strides)):
            raise ValueError(f"{op}: strides must be greater than output padding. Received: "
                             f"strides={strides}, output_padding={output_padding}")
    geometry = [_transpose_geometry(n, k, s, d, padding, p) for n, k, s, d, p in
                zip(x.shape[1:3], kernel.shape[:2], strides, dilation, output_padding)]
    crops, out_hw = tuple(g[0] for g in geometry), tuple(g[1] for g in geometry)
    if min(out_hw) < 1:
        raise shape_error(op, x.shape, kernel.shape, detail=f"the output size {out_hw} is empty")
    return ConvTranspose.apply(*_given(x, kernel, bias), strides=strides, dilation=dilation,
                               crops=crops, out_hw=out_hw)


def _nonnegative_pair(value, op):
    items = (value,) * 2 if isinstance(value, (int, np.integer)) else value
    items = tuple(items) if isinstance(items, (tuple, list)) else ()
    if len(items) != 2 or not all(isinstance(v, (int, np.integer)) and v >= 0 for v in items):
        raise ValueError(f"{op}: output_padding must be a non-negative int or a tuple of 2 of "
                         f"them. Received: output_padding={value!r}")
    return tuple(int(v) for v in items)


# ----- depthwise ---------------------------------------------------------------------------------


class DepthwiseConv(Function):
    """Each input channel convolved with its own ``multiplier`` filters: one strided
    multiply-add per kernel offset (no GEMM: the per-channel contraction is only kh*kw long)."""

    def forward(self, x, kernel, bias=None, *, strides, dilation, pads):
        n, c = x.shape[0], x.shape[-1]
        kh, kw, _, m = kernel.shape
        oh, ow = (output_size(x.shape[1 + i], kernel.shape[i], strides[i], dilation[i], pads[i])
                  for i in range(2))
        xp = pad_spatial(x, pads)
        out = np.zeros((n, oh, ow, c, m), np.result_type(x, kernel))
        for a, b, where in offset_slices((oh, ow), (kh, kw), strides, dilation):
            out += xp[where][..., None] * kernel[a, b]
        out = out.reshape(n, oh, ow, c * m)
        if bias is not None:
            out += bias
        self.xp, self.kernel, self.pads = xp, kernel, pads
        self.strides, self.dilation = strides, dilation
        self.dtypes = (x.dtype, None if bias is None else bias.dtype)
        return out

    def backward(self, g):
        xp, kernel = self.xp, self.kernel
        n, oh, ow, _ = g.shape
        c, m = kernel.shape[2:]
        g5 = g.reshape(n, oh, ow, c, m)
        gxp = np.zeros(xp.shape, self.dtypes[0]) if self.needs_input_grad[0] else None
        gk = np.zeros(kernel.shape, kernel.dtype) if self.needs_input_grad[1] else None
        for a, b, where in offset_slices((oh, ow), kernel.shape[:2], self.strides, self.dilation):
            if gxp is not None:
                gxp[where] += (g5 * kernel[a, b]).sum(axis=-1)
            if gk is not None:
                gk[a, b] = np.einsum("nhwc,nhwcm->cm", xp[where], g5)
        gx = None if gxp is None else crop(gxp, self.pads)
        if self.dtypes[1] is None:
            return gx, gk
        gb = g.sum(axis=(0, 1, 2)).astype(self.dtypes[1], copy=False)
        return gx, gk, gb if self.needs_input_grad[2] else None


def depthwise_conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1):
    """Depthwise 2-D convolution: x (N, H, W, C), kernel (kh, kw, C, multiplier).

    Output channel ``c * multiplier + m`` is channel ``c`` convolved with ``kernel[..., c, m]``,
    as Keras' DepthwiseConv2D.

    >>> import ember, numpy as np
    >>> x, k = np.ones((1, 5, 5, 3), "float32"), np.ones((3, 3, 3, 2), "float32")
    >>> ember.depthwise_conv2d(x, k).shape
    (1, 3, 3, 6)
    """
    x, kernel, bias = _inputs(x, kernel, bias)
    op = "depthwise_conv2d"
    if x.ndim != 4 or kernel.ndim != 4:
        raise shape_error(op, x.shape, kernel.shape, detail="expected x of rank 4 (N, H, W, C) "
                          "and a kernel of rank 4 (kh, kw, C, multiplier)")
    if x.shape[-1] != kernel.shape[2]:
        raise shape_error(op, x.shape, kernel.shape,
                          detail=f"the input has {x.shape[-1]} channels but the kernel expects "
                                 f"{kernel.shape[2]}")
    _check_bias(op, kernel, bias, kernel.shape[2] * kernel.shape[3])
    strides = to_tuple(strides, 2, "strides", op)
    dilation = to_tuple(dilation_rate, 2, "dilation_rate", op)
    pads = spatial_pads(op, x.shape, kernel.shape[:2], strides, dilation,
                        check_padding(padding, op), kernel.shape)
    return DepthwiseConv.apply(*_given(x, kernel, bias), strides=strides, dilation=dilation,
                               pads=pads)
