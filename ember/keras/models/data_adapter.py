"""Turning what users pass to ``fit``/``evaluate``/``predict`` into checked arrays and batches.

Arrays from scikit-learn arrive as float64 and int64: floats are cast to the model's float type
here, at the boundary, so nothing computes in float64 by accident.
"""

import math

import numpy as np

from ... import backend
from ...autograd.tensor import Tensor
from ..keras_tensor import flatten, map_structure


def to_arrays(data, name, float_dtype):
    """``data`` (array, list of arrays, dict of arrays, tensor) as NumPy arrays, checked."""
    if data is None:
        return None

    def convert(value):
        if isinstance(value, Tensor):
            value = value.data
        if isinstance(value, (str, bytes)) or value is None:
            raise TypeError(f"`{name}` must be a NumPy array, a list or dict of arrays, or a "
                            f"tensor. Received: {name}={value!r:.80}")
        if not hasattr(value, "__len__") and not hasattr(value, "__array__"):
            raise TypeError(f"`{name}` must be a NumPy array, a list or dict of arrays, or a "
                            f"tensor. Received an object of type {type(value).__name__}")
        try:
            array = np.asarray(value)
        except ValueError as error:
            raise ValueError(f"`{name}` could not be turned into an array: {error}") from None
        if array.dtype == object:
            raise TypeError(f"`{name}` must hold numbers; it holds Python objects "
                            f"(dtype=object). Received: {str(value)[:80]}")
        if array.dtype.kind == "f" and array.dtype != float_dtype:
            array = array.astype(float_dtype)
        elif array.dtype.kind == "b":
            array = array.astype(float_dtype)
        elif array.dtype.kind not in "iuf":
            raise TypeError(f"`{name}` must hold numbers. Received dtype {array.dtype}")
        if array.ndim == 0:
            raise ValueError(f"`{name}` must have a batch axis. Received a scalar: {value!r}")
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            bad = int(np.size(array) - np.isfinite(array).sum())
            raise ValueError(f"`{name}` contains {bad} NaN or infinite value(s). Clean the data "
                             f"(e.g. np.nan_to_num) before training.")
        return array

    if isinstance(data, (list, tuple)) and data and not isinstance(data[0], (list, tuple, dict,
                                                                              np.ndarray, Tensor)):
        return convert(data)  # a plain list of numbers
    if isinstance(data, (list, tuple)) and data and all(
            isinstance(d, (list, tuple)) for d in data) and not any(
            isinstance(e, (np.ndarray, Tensor)) for d in data for e in d):
        return convert(data)  # nested lists of numbers: one array
    return map_structure(convert, data)


def num_samples(structure, name):
    """The common length of all arrays in ``structure``; they must agree."""
    lengths = {len(a) for a in flatten(structure)}
    if len(lengths) > 1:
        raise ValueError(f"All arrays in `{name}` must have the same number of samples. "
                         f"Received lengths: {sorted(lengths)}")
    return lengths.pop()


def check_same_length(x, y, sample_weight=None):
    n = num_samples(x, "x")
    if y is not None:
        ny = num_samples(y, "y")
        if ny != n:
            raise ValueError(f"Data cardinality is ambiguous: x has {n} samples but y has {ny} "
                             f"samples. Make sure all arrays contain the same number of samples.")
    if sample_weight is not None:
        nw = num_samples(sample_weight, "sample_weight")
        if nw != n:
            raise ValueError(f"sample_weight has {nw} samples but x has {n} samples.")
    return n


def take(structure, index):
    """Rows ``index`` (a slice or an index array) of every array in ``structure``."""
    if structure is None:
        return None
    if isinstance(structure, np.ndarray):
        return structure[index]
    return map_structure(lambda a: a[index], structure)


def split_validation(arrays, n, validation_split):
    """(train, validation) from the last ``validation_split`` fraction, before shuffling."""
    if not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be in (0, 1). Received: {validation_split}")
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"validation_split={validation_split} leaves no samples for "
                         f"{'training' if split_at == 0 else 'validation'} with {n} samples.")
    train = tuple(take(a, slice(0, split_at)) for a in arrays)
    valid = tuple(take(a, slice(split_at, n)) for a in arrays)
    return train, valid


class ArrayBatches:
    """Batches of (x, y, sample_weight) from in-memory arrays, reshuffled every epoch."""

    def __init__(self, x, y=None, sample_weight=None, batch_size=32, shuffle=False):
        self.x, self.y, self.sample_weight = x, y, sample_weight
        self.n = check_same_length(x, y, sample_weight)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle

    def __len__(self):
        return math.ceil(self.n / self.batch_size)

    def epoch_all(self):
        """The whole data as a single batch (``train_on_batch`` and friends)."""
        yield pack(self.x, self.y, self.sample_weight)

    def epoch(self):
        """One pass over the data as (x, y, sample_weight) batches."""
        n, size = self.n, self.batch_size
        order = backend.rng().permutation(n) if self.shuffle else None
        x, y, sw = self.x, self.y, self.sample_weight
        single = isinstance(x, np.ndarray) and (y is None or isinstance(y, np.ndarray))
        for start in range(0, n, size):
            index = order[start:start + size] if order is not None else slice(start, start + size)
            if single and sw is None:
                yield (x[index], y[index]) if y is not None else (x[index],)
            else:
                yield pack(take(x, index), take(y, index), take(sw, index))


class IterableBatches:
    """Batches from a Python iterable or generator of ``x``, ``(x, y)`` or ``(x, y, w)``."""

    def __init__(self, source, steps=None, float_dtype=None):
        self.source = source
        self.steps = steps
        self.float_dtype = float_dtype or backend.default_float()
        self._iterator = None

    def __len__(self):
        if self.steps is not None:
            return self.steps
        try:
            return len(self.source)
        except TypeError:
            return None

    def epoch(self):
        if self._iterator is None or _reiterable(self.source):
            self._iterator = iter(self.source)
        for step, batch in enumerate(self._iterator):
            x, y, sw = unpack(batch)
            yield pack(to_arrays(x, "x", self.float_dtype), to_arrays(y, "y", self.float_dtype),
                       to_arrays(sw, "sample_weight", self.float_dtype))
            if self.steps is not None and step + 1 >= self.steps:
                break


def _reiterable(source):
    return iter(source) is not source


def pack(x, y=None, sample_weight=None):
    """A batch as Keras hands it to ``train_step``: (x,), (x, y) or (x, y, sample_weight)."""
    if sample_weight is not None:
        return x, y, sample_weight
    return (x, y) if y is not None else (x,)


def unpack(data):
    """Keras' ``unpack_x_y_sample_weight``: x, (x,), (x, y) or (x, y, sample_weight)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(f"Data is expected to be x, (x,), (x, y) or (x, y, sample_weight). "
                     f"Received a tuple of length {len(data)}.")


def is_array_like(x):
    if isinstance(x, (np.ndarray, Tensor, list)):
        return True
    if isinstance(x, dict):
        return True
    if isinstance(x, tuple):
        return all(is_array_like(e) for e in x)
    return hasattr(x, "__array__")
