"""Flat parameter buffers: every trainable weight a view into one contiguous array.

An optimizer step or an MPI all-reduce then costs a handful of vectorized calls, whatever the
number of layers.
"""

import numpy as np


class FlatParameters:
    """Gather ``variables`` into one value buffer and one gradient buffer of their common dtype.

    After construction each variable's ``data`` and ``grad`` are views into ``self.data`` and
    ``self.grad``; the backward pass accumulates into them in place.
    """

    def __init__(self, variables):
        self.variables = list(variables)
        dtypes = {v.data.dtype for v in self.variables}
        if len(dtypes) > 1:
            raise ValueError(f"FlatParameters: all variables need one dtype. Received: {dtypes}")
        dtype = dtypes.pop() if dtypes else np.dtype("float32")
        self.offsets = []
        total = 0
        for v in self.variables:
            self.offsets.append((total, total + v.data.size))
            total += v.data.size
        self.data = np.empty(total, dtype)
        self.grad = np.zeros(total, dtype)
        for v, (start, stop) in zip(self.variables, self.offsets):
            self.data[start:stop] = v.data.ravel()
            v.data = self.data[start:stop].reshape(v.data.shape)
            v.grad = self.grad[start:stop].reshape(v.data.shape)

    def zero_grad(self):
        self.grad.fill(0)

    def is_intact(self):
        """True while every variable still views this buffer (nobody rebound ``.data``)."""
        return all(
            v.data.base is self.data and v.grad is not None and v.grad.base is self.grad
            for v in self.variables
        )

    def view(self, buffer, variable_index):
        """The slice of a flat ``buffer`` that belongs to one variable, in its shape."""
        start, stop = self.offsets[variable_index]
        return buffer[start:stop].reshape(self.variables[variable_index].data.shape)

    def __len__(self):
        return self.data.size
