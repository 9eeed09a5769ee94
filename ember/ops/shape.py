"""Shape ops (reshape, transpose, concatenate, indexing, ...) and array creation."""

import builtins

import numpy as np

from .. import backend
from ..autograd.function import Function
from ._convert import constant, normalize_axis, shape_error, to_tensor


class Reshape(Function):
    def forward(self, x, shape):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, g):
        return g.reshape(self.shape)


def reshape(x, newshape):
    """Give ``x`` a new shape with the same number of elements (one axis may be -1)."""
    x = to_tensor(x)
    newshape = (newshape,) if isinstance(newshape, (int, np.integer)) else tuple(newshape)
    try:
        return Reshape.apply(x, shape=newshape)
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {x.shape} ({x.size} elements) into "
            f"shape {newshape}"
        ) from None


class Transpose(Function):
    def forward(self, x, axes):
        self.axes = axes
        return np.transpose(x, axes)

    def backward(self, g):
        return np.transpose(g, None if self.axes is None else np.argsort(self.axes))


def transpose(x, axes=None):
    """Permute the axes (reverse them when ``axes`` is None)."""
    x = to_tensor(x)
    if axes is not None:
        axes = tuple(int(a) % x.ndim for a in axes)
        if sorted(axes) != list(range(x.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation of {x.ndim} axes")
    return Transpose.apply(x, axes=axes)


def swapaxes(x, axis1, axis2):
    x = to_tensor(x)
    axes = list(range(x.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, axes)


def moveaxis(x, source, destination):
    """Move axes to new positions, the others keeping their order (as ``np.moveaxis``)."""
    x = to_tensor(x)
    source = normalize_axis(source, x.ndim, "moveaxis")
    destination = normalize_axis(destination, x.ndim, "moveaxis")
    if len(source) != len(destination):
        raise ValueError(f"moveaxis: source {source} and destination {destination} need the "
                         "same number of axes")
    axes = [a for a in range(x.ndim) if a not in source]
    for dest, src in sorted(zip(destination, source)):
        axes.insert(dest, src)
    return transpose(x, axes)


def expand_dims(x, axis):
    """Insert a size-1 axis at ``axis``."""
    x = to_tensor(x)
    return reshape(x, np.expand_dims(x.data, axis).shape)


def squeeze(x, axis=None):
    """Remove size-1 axes (all of them, or those in ``axis``)."""
    x = to_tensor(x)
    try:
        shape = np.squeeze(x.data, axis).shape
    except ValueError:
        raise ValueError(f"squeeze: axis {axis} of shape {x.shape} is not of size 1") from None
    return reshape(x, shape)


def flatten(x):
    return reshape(x, (-1,))


class Concatenate(Function):
    def forward(self, *arrays, axis):
        self.axis = axis
        self.splits = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=axis)

    def backward(self, g):
        return tuple(np.split(g, self.splits, axis=self.axis))


def concatenate(xs, axis=0):
    """Join tensors along an existing axis; all other axes must agree."""
    xs = [to_tensor(x) for x in xs]
    if not xs:
        raise ValueError("concatenate: needs at least one tensor")
    ndim = xs[0].ndim
    axis = normalize_axis(axis, ndim, "concatenate")[0]
    for x in xs[1:]:
        if x.ndim != ndim or any(
            a != b for i, (a, b) in enumerate(zip(x.shape, xs[0].shape)) if i != axis
        ):
            raise shape_error("concatenate", *[t.shape for t in xs],
                              detail=f"all axes but axis {axis} must match")
    dtypes = {x.dtype for x in xs}
    if len(dtypes) > 1:  # one dtype, with to_pair's rule: ints join the floats
        from .elementwise import cast

        floats = [d for d in dtypes if d.kind == "f"]
        common = np.result_type(*(floats or dtypes))
        xs = [cast(x, common) for x in xs]
    return Concatenate.apply(*xs, axis=axis)


def stack(xs, axis=0):
    """Join tensors of one shape along a new axis."""
    xs = [to_tensor(x) for x in xs]
    shapes = {x.shape for x in xs}
    if len(shapes) != 1:
        raise shape_error("stack", *[x.shape for x in xs], detail="all tensors need one shape")
    return concatenate([expand_dims(x, axis) for x in xs], axis=axis)


def split(x, indices_or_sections, axis=0):
    """Split into a list of tensors, as ``np.split``."""
    x = to_tensor(x)
    axis = normalize_axis(axis, x.ndim, "split")[0]
    try:
        pieces = np.split(np.empty(x.shape[axis]), indices_or_sections)
    except ValueError:
        raise ValueError(
            f"split: axis {axis} of size {x.shape[axis]} cannot be split into "
            f"{indices_or_sections} equal sections"
        ) from None
    out, start = [], 0
    for piece in pieces:
        index = [slice(None)] * x.ndim
        index[axis] = slice(start, start + len(piece))
        out.append(x[tuple(index)])
        start += len(piece)
    return out


class Pad(Function):
    def forward(self, x, pad_width, mode, constant_values):
        self.slices = tuple(slice(before, before + n) for (before, _), n in zip(pad_width, x.shape))
        kwargs = {"constant_values": constant_values} if mode == "constant" else {}
        return np.pad(x, pad_width, mode=mode, **kwargs)

    def backward(self, g):
        return np.ascontiguousarray(g[self.slices])


def pad(x, pad_width, mode="constant", constant_values=0):
    """Pad with a constant (differentiable); ``pad_width`` as in ``np.pad``."""
    x = to_tensor(x)
    width = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is differentiable. Received: mode={mode!r}")
    return Pad.apply(x, pad_width=tuple(map(tuple, width)), mode=mode,
                     constant_values=constant_values)


def broadcast_to(x, shape):
    """Stretch size-1 axes (and add leading ones) to reach ``shape``."""
    from .elementwise import add

    x, shape = to_tensor(x), tuple(shape)
    try:
        fits = np.broadcast_shapes(x.shape, shape) == shape
    except ValueError:
        fits = False
    if not fits:
        raise shape_error("broadcast_to", x.shape, shape, detail="cannot broadcast")
    return add(x, constant(np.zeros(shape, x.dtype)))


class GetItem(Function):
    def forward(self, x, index):
        self.shape, self.dtype, self.index = x.shape, x.dtype, index
        return x[index]

    def backward(self, g):
        out = np.zeros(self.shape, self.dtype)
        if _has_integer_array(self.index):
            np.add.at(out, self.index, g)  # repeated indices add up
        else:
            out[self.index] = g
        return out


def _has_integer_array(index):
    items = index if isinstance(index, tuple) else (index,)
    return builtins.any(isinstance(i, np.ndarray) and i.dtype.kind in "iu" for i in items)


def _clean_index(index):
    from ..autograd.tensor import Tensor

    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def getitem(x, index):
    """``x[index]`` with ints, slices, integer arrays and boolean masks.

    The backward scatters the gradient and adds up repeated indices.
    """
    x = to_tensor(x)
    index = _clean_index(index)
    try:
        return GetItem.apply(x, index=index)
    except IndexError as error:
        raise IndexError(f"getitem: {error} (tensor shape {x.shape})") from None


class Take(Function):
    def forward(self, x, indices, axis):
        self.shape, self.indices, self.axis = x.shape, indices, axis
        return np.take(x, indices, axis=axis)

    def backward(self, g):
        out = np.zeros(self.shape, g.dtype)
        if self.axis is None:
            np.add.at(out.reshape(-1), self.indices.reshape(-1), g.reshape(-1))
            return out
        moved = np.moveaxis(out, self.axis, 0)
        g = np.moveaxis(g, tuple(range(self.axis, self.axis + self.indices.ndim)),
                        tuple(range(self.indices.ndim)))
        np.add.at(moved, self.indices.reshape(-1), g.reshape((-1,) + moved.shape[1:]))
        return out


def take(x, indices, axis=None):
    """Gather along ``axis`` by integer ``indices`` (embedding lookups use it)."""
    x = to_tensor(x)
    indices = np.asarray(to_tensor(indices).data)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"take: indices must be integers. Received: dtype={indices.dtype}")
    if axis is not None:
        axis = normalize_axis(axis, x.ndim, "take")[0]
    size = x.size if axis is None else x.shape[axis]
    if indices.size and (indices.max() >= size or indices.min() < -size):
        raise IndexError(
            f"take: indices must lie in [{-size}, {size}) for axis {axis} of shape {x.shape}. "
            f"Received values from {indices.min()} to {indices.max()}"
        )
    return Take.apply(x, indices=indices % builtins.max(size, 1), axis=axis)


class TakeAlongAxis(Function):
    def forward(self, x, indices, axis):
        self.shape, self.indices, self.axis = x.shape, indices, axis
        return np.take_along_axis(x, indices, axis=axis)

    def backward(self, g):
        out = np.zeros(self.shape, g.dtype)
        idx = list(np.ix_(*[np.arange(n) for n in self.indices.shape]))
        idx[self.axis] = self.indices
        np.add.at(out, tuple(np.broadcast_arrays(*idx)), g)
        return out


def take_along_axis(x, indices, axis):
    """Pick one element per position along ``axis``, as ``np.take_along_axis``."""
    x = to_tensor(x)
    axis = normalize_axis(axis, x.ndim, "take_along_axis")[0]
    return TakeAlongAxis.apply(x, indices=np.asarray(to_tensor(indices).data), axis=axis)


class Tile(Function):
    def forward(self, x, reps):
        self.shape = x.shape
        out = np.tile(x, reps)
        self.reps = (1,) * (out.ndim - len(reps)) + tuple(reps)
        return out

    def backward(self, g):
        shape = (1,) * (g.ndim - len(self.shape)) + self.shape
        split = []
        for r, n in zip(self.reps, shape):
            split += [r, n]
        return g.reshape(split).sum(axis=tuple(range(0, 2 * g.ndim, 2))).reshape(self.shape)


def tile(x, repeats):
    """Repeat the whole tensor ``repeats`` times along each axis."""
    repeats = (repeats,) if isinstance(repeats, int) else tuple(repeats)
    return Tile.apply(to_tensor(x), reps=repeats)


class Repeat(Function):
    def forward(self, x, repeats, axis):
        self.shape, self.repeats, self.axis = x.shape, repeats, axis
        return np.repeat(x, repeats, axis=axis)

    def backward(self, g):
        axis = self.axis
        if axis is None:
            source = np.arange(int(np.prod(self.shape)))
            out = np.zeros(source.size, g.dtype)
            np.add.at(out, np.repeat(source, self.repeats), g.reshape(-1))
            return out.reshape(self.shape)
        source = np.repeat(np.arange(self.shape[axis]), self.repeats)
        out = np.zeros(self.shape, g.dtype)
        np.add.at(np.moveaxis(out, axis, 0), source, np.moveaxis(g, axis, 0))
        return out


def repeat(x, repeats, axis=None):
    """Repeat each element ``repeats`` times, as ``np.repeat``."""
    x = to_tensor(x)
    if axis is not None:
        axis = normalize_axis(axis, x.ndim, "repeat")[0]
    return Repeat.apply(x, repeats=repeats, axis=axis)


class Flip(Function):
    def forward(self, x, axis):
        self.axis = axis
        return np.flip(x, axis)

    def backward(self, g):
        return np.flip(g, self.axis)


def flip(x, axis=None):
    """Reverse the order of elements along ``axis`` (all axes when None)."""
    return Flip.apply(to_tensor(x), axis=axis)


class _Triangle(Function):
    keep = None

    def forward(self, x, k):
        self.k = k
        return self.keep(x, k)

    def backward(self, g):
        return self.keep(g, self.k)


class Tril(_Triangle):
    keep = staticmethod(np.tril)


class Triu(_Triangle):
    keep = staticmethod(np.triu)


def tril(x, k=0):
    """Zero the elements above the k-th diagonal of the last two axes."""
    return Tril.apply(to_tensor(x), k=k)


def triu(x, k=0):
    """Zero the elements below the k-th diagonal of the last two axes."""
    return Triu.apply(to_tensor(x), k=k)


def one_hot(x, num_classes, dtype=None):
    """Integer labels as one-hot float rows (a new last axis of size ``num_classes``)."""
    labels = np.asarray(to_tensor(x).data)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be integers. Received: dtype={labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"one_hot: labels must lie in [0, {num_classes}). Received values from "
            f"{labels.min()} to {labels.max()}"
        )
    out = np.zeros(labels.shape + (num_classes,), dtype or backend.default_float())
    np.put_along_axis(out, labels[..., None], 1, axis=-1)
    return constant(out)


# ----- creation ------------------------------------------------------------------------------


def _dtype(dtype):
    return np.dtype(dtype) if dtype is not None else backend.default_float()


def zeros(shape, dtype=None):
    return constant(np.zeros(shape, _dtype(dtype)))


def ones(shape, dtype=None):
    return constant(np.ones(shape, _dtype(dtype)))


def full(shape, fill_value, dtype=None):
    return constant(np.full(shape, fill_value, _dtype(dtype)))


def zeros_like(x, dtype=None):
    x = to_tensor(x)
    return constant(np.zeros(x.shape, dtype or x.dtype))


def ones_like(x, dtype=None):
    x = to_tensor(x)
    return constant(np.ones(x.shape, dtype or x.dtype))


def full_like(x, fill_value, dtype=None):
    x = to_tensor(x)
    return constant(np.full(x.shape, fill_value, dtype or x.dtype))


def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values; integers stay int64 unless ``dtype`` says otherwise."""
    out = np.arange(start, stop, step) if stop is not None else np.arange(start)
    if dtype is not None:
        out = out.astype(dtype)
    elif out.dtype.kind == "f":
        out = out.astype(backend.default_float())
    return constant(out)


def eye(n, m=None, k=0, dtype=None):
    return constant(np.eye(n, m, k, dtype=_dtype(dtype)))


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from N(mean, stddev**2), from ember's seeded generator (or ``seed``)."""
    gen = np.random.default_rng(seed) if seed is not None else backend.rng()
    return constant(gen.normal(mean, stddev, shape).astype(_dtype(dtype)))


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples from U[minval, maxval), from ember's seeded generator (or ``seed``)."""
    gen = np.random.default_rng(seed) if seed is not None else backend.rng()
    return constant(gen.uniform(minval, maxval, shape).astype(_dtype(dtype)))
