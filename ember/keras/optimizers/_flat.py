"""Flat optimizer state: the variables of one dtype, their gradients and every slot (momentum,
velocity, ...) as single contiguous arrays, so one update rule call covers all of them.

A ``Region`` is the part of a group an update touches: the whole buffers (the usual step) or
a run of consecutive variables (when some gradients are missing).
"""

import numpy as np

from ... import parallel
from ...autograd.flat import FlatParameters


class _ExistingFlat:
    """The variables already view one buffer in order (someone built FlatParameters before):
    use it as it is instead of copying."""

    def __init__(self, variables, data, grad, offsets):
        self.variables, self.data, self.grad, self.offsets = variables, data, grad, offsets

    def view(self, buffer, index):
        start, stop = self.offsets[index]
        return buffer[start:stop].reshape(self.variables[index].data.shape)


def _offset(array, base):
    return (array.__array_interface__["data"][0]
            - base.__array_interface__["data"][0]) // base.itemsize


def _existing(variables):
    """An ``_ExistingFlat`` when ``variables`` are consecutive views of one value buffer and one
    gradient buffer that they fill exactly; else None."""
    first = variables[0]
    base, gbase = first.data.base, getattr(first.grad, "base", None)
    if base is None or gbase is None or base.ndim != 1 or gbase.shape != base.shape:
        return None
    offsets, position = [], 0
    for v in variables:
        if (v.data.base is not base or v.grad is None or v.grad.base is not gbase
                or not v.data.flags.c_contiguous or not v.grad.flags.c_contiguous
                or _offset(v.data, base) != position or _offset(v.grad, gbase) != position):
            return None
        offsets.append((position, position + v.data.size))
        position += v.data.size
    if position != base.size:
        return None
    return _ExistingFlat(variables, base, gbase, offsets)


class Group:
    """Variables sharing one float dtype, flattened; slots are flat arrays of the same size."""

    def __init__(self, variables, indices, slot_specs, scratch_count, decays):
        self.variables = variables
        self.indices = indices  # positions in the optimizer's variable list
        self.flat = _existing(variables) or FlatParameters(variables)
        self.data, self.grad = self.flat.data, self.flat.grad
        self.offsets = list(self.flat.offsets)
        self.data_views = [v.data for v in variables]
        self.grad_views = [v.grad for v in variables]
        self.slots = {name: np.full(self.data.size, value, self.data.dtype)
                      for name, value in slot_specs}
        self.scratch = [np.empty_like(self.data) for _ in range(scratch_count)]
        self.decay_mask = None  # None: every variable decays; else a flat 0/1 array
        if not all(decays):
            self.decay_mask = np.zeros(self.data.size, self.data.dtype)
            for (start, stop), decay in zip(self.offsets, decays):
                self.decay_mask[start:stop] = 1 if decay else 0
        self.whole = Region(self, slice(None), range(len(variables)))

    def slot_view(self, name, index):
        return self.flat.view(self.slots[name], index)

    def restore_views(self, index):
        """Re-attach a variable whose ``.data`` or ``.grad`` was rebound to a new array."""
        v = self.variables[index]
        if v.data is not self.data_views[index]:
            self.data_views[index][...] = v.data
            v.data = self.data_views[index]
        if v.grad is not self.grad_views[index]:
            v.grad = self.grad_views[index]

    def regions(self, local_indices):
        """Regions covering ``local_indices`` (sorted): one per run of consecutive variables."""
        runs, start = [], None
        for k, i in enumerate(local_indices):
            if start is None:
                start = i
            if k + 1 == len(local_indices) or local_indices[k + 1] != i + 1:
                runs.append((start, i))
                start = None
        return [Region(self, slice(self.offsets[a][0], self.offsets[b][1]), range(a, b + 1))
                for a, b in runs]


class Region:
    """Views of a group's buffers over some consecutive variables."""

    def __init__(self, group, sl, members):
        self.group = group
        self.members = members
        self.w = group.data[sl]
        self.g = group.grad[sl]
        self.slots = {name: buffer[sl] for name, buffer in group.slots.items()}
        self.tmp = [buffer[sl] for buffer in group.scratch]
        self.decay_mask = None if group.decay_mask is None else group.decay_mask[sl]
        first = group.offsets[members[0]][0] if len(members) else 0
        sizes = np.array([group.offsets[i][1] - group.offsets[i][0] for i in members], np.int64)
        starts = np.array([group.offsets[i][0] - first for i in members], np.int64)
        keep = sizes > 0  # np.add.reduceat misreads empty segments
        self.starts, self.sizes = starts[keep], sizes[keep]

    def clip_each_norm(self, clipnorm):
        """Scale each variable's gradient so its L2 norm is at most ``clipnorm``."""
        if not self.sizes.size:
            return
        t = self.tmp[0]
        np.square(self.g, out=t)
        norms = np.sqrt(np.add.reduceat(t, self.starts))
        factors = clipnorm / np.maximum(norms, clipnorm)
        if (factors < 1).any():
            if self.sizes.size == 1:
                self.g *= factors[0]
            else:
                self.g *= np.repeat(factors.astype(self.g.dtype), self.sizes)

    def apply_weight_decay(self, rate):
        """``w -= w * rate`` on the variables that decay (``rate = weight_decay * lr``)."""
        t = self.tmp[0]
        if self.decay_mask is None:
            np.multiply(self.w, rate, out=t)
        else:
            np.multiply(self.w, self.decay_mask, out=t)
            t *= rate
        self.w -= t

    def parts(self, count):
        """The region cut into ``count`` contiguous pieces (``Part``s), for elementwise work
        (weight decay, the update rule) on several threads at once."""
        return [Part(self, slice(a, b)) for a, b in parallel.split(self.w.size, count)]


class Part:
    """A contiguous piece of a region's buffers, element by element (no variable boundaries:
    only for elementwise work)."""

    apply_weight_decay = Region.apply_weight_decay

    def __init__(self, region, sl):
        self.w, self.g = region.w[sl], region.g[sl]
        self.slots = {name: buffer[sl] for name, buffer in region.slots.items()}
        self.tmp = [buffer[sl] for buffer in region.tmp]
        self.decay_mask = None if region.decay_mask is None else region.decay_mask[sl]
