"""EinsumDense: a dense layer whose contraction is an einsum equation (Keras' layer).

MultiHeadAttention uses it for its projections, so its weights have Keras' shapes: query/key/
value kernels (d_model, heads, key_dim), biases (heads, key_dim), output kernel
(heads, value_dim, d_model). Two-operand einsums run through ``np.einsum(optimize=True)``,
which hands dense-like contractions to BLAS.
"""

import math
import re
import string
from functools import lru_cache

import numpy as np

from ...autograd.function import Function, unbroadcast
from ...ops._sums import column_sums
from ..registry import builtin
from ._utils import kernel_bias_config, resolve_kernel_bias_options
from .base import Layer


class Einsum(Function):
    """``einsum("x,k->y", x, k) + b`` with an explicit (ellipsis-free) equation; ``b`` optional.

    The bias is added in place on the contraction's fresh output and its gradient comes from
    this op's backward: a separate Add would cost a pass over the output each way, and its
    backward a slow multi-axis reduction. When the equation is a matrix product (see
    ``_matrix_axes``), both passes are 2-D GEMMs on reshaped views.
    """

    def forward(self, x, k, b=None, *, equation):
        self.inp, self.ker, self.out, self.matrix = _plan(equation)
        self.k, self.b_shape = k, None if b is None else b.shape
        if self.matrix:
            n = self.matrix
            self.x_shape = x.shape
            inner = math.prod(k.shape[:n])
            self.x2 = x.reshape(math.prod(x.shape[:-n]), inner)  # a copy if x is a transpose
            self.k2 = k.reshape(inner, math.prod(k.shape[n:]))
            y = (self.x2 @ self.k2).reshape(x.shape[:-n] + k.shape[n:])
        else:
            self.x = x
            y = _einsum(self.inp, x, self.ker, k, self.out)
        if b is not None:
            y += b  # y is the contraction's own new array
        return y

    def backward(self, g):
        needs = self.needs_input_grad
        gx = gk = gb = None
        if self.matrix:
            x2, k2 = self.x2, self.k2
            g2 = g.reshape(x2.shape[0], k2.shape[1])
            if needs[0]:
                gx = (g2 @ k2.T).astype(x2.dtype, copy=False).reshape(self.x_shape)
            if needs[1]:
                gk = (x2.T @ g2).astype(k2.dtype, copy=False).reshape(self.k.shape)
        else:
            if needs[0]:
                gx = _contract(self.out, g, self.ker, self.k, self.inp, self.x.shape)
            if needs[1]:
                gk = _contract(self.inp, self.x, self.out, g, self.ker, self.k.shape)
        if self.b_shape is None:
            return gx, gk
        if needs[2]:
            gb = _bias_grad(g, self.b_shape)
        return gx, gk, gb


def _bias_grad(g, shape):
    """``g`` summed to a bias of ``shape`` (the output's trailing axes, some of size 1)."""
    size = math.prod(shape)
    if g.shape[g.ndim - len(shape):] == shape:  # a bias over whole trailing axes: one GEMV
        return column_sums(g.reshape(-1, size)).reshape(shape)
    return np.ascontiguousarray(unbroadcast(g, shape))


@lru_cache(maxsize=256)
def _plan(equation):
    """(input spec, kernel spec, output spec, matrix axes) of an explicit equation."""
    inp, rest = equation.split(",")
    ker, out = rest.split("->")
    return inp, ker, out, _matrix_axes(inp, ker, out)


def _matrix_axes(inp, ker, out):
    """n when the einsum is ``x.reshape(rows, K) @ k.reshape(K, cols)`` reshaped: the input's
    last n letters are the kernel's first n, contracted in the same order, and the output is
    the input's other letters then the kernel's (e.g. "abc,cde->abde", "abcd,cde->abe");
    else 0. Every letter appears once per operand and the kernel's free letters all reach the
    output, so nothing is summed or broadcast outside the GEMM."""
    for n in range(min(len(inp), len(ker)), 0, -1):
        shared = inp[len(inp) - n:]
        lead, free = inp[:len(inp) - n], ker[n:]
        if (ker[:n] == shared and out == lead + free
                and len(set(inp + free)) == len(inp) + len(free) and len(set(ker)) == len(ker)):
            return n
    return 0


def _einsum(a_spec, a, b_spec, b, out_spec):
    """A two-operand einsum. When it is a plain contraction (every shared index summed away,
    no repeated index), it is one ``tensordot`` GEMM: ``np.einsum(optimize=True)`` would plan
    the same product again on every call."""
    shared = [c for c in a_spec if c in b_spec]
    free = [c for c in a_spec if c not in shared] + [c for c in b_spec if c not in shared]
    plain = (not any(c in out_spec for c in shared) and len(set(a_spec)) == len(a_spec)
             and len(set(b_spec)) == len(b_spec) and sorted(free) == sorted(out_spec))
    if not plain:
        return np.einsum(f"{a_spec},{b_spec}->{out_spec}", a, b, optimize=True)
    out = np.tensordot(a, b, axes=([a_spec.index(c) for c in shared],
                                   [b_spec.index(c) for c in shared]))
    order = [free.index(c) for c in out_spec]
    return out if order == sorted(order) else out.transpose(order)


def _contract(a_spec, a, b_spec, b, target, shape):
    """einsum into ``target``; target axes found in neither operand are broadcast back."""
    present = "".join(c for c in target if c in a_spec or c in b_spec)
    out = _einsum(a_spec, a, b_spec, b, present)
    if present != target:
        expand = [i for i, c in enumerate(target) if c not in present]
        out = np.broadcast_to(np.expand_dims(out, expand), shape)
    return np.ascontiguousarray(out)


def _parse(equation):
    """(input, kernel, output) specs, with "..." kept as the marker "0"; left or no ellipsis."""
    replaced = equation.replace("...", "0")
    match = re.fullmatch(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", replaced)
    if match:
        return match.groups(), False
    match = re.fullmatch(r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", replaced)
    if match:
        return match.groups(), True
    raise ValueError(f"Invalid einsum equation '{equation}'. Equations must be in the form "
                     "[X],[Y]->[Z] or ...[X],[Y]->...[Z].")


@builtin("layers")
class EinsumDense(Layer):
    """``activation(einsum(equation, inputs, kernel) + bias)``.

    ``output_shape`` excludes the batch axis (``None`` for sizes taken from the input);
    ``bias_axes`` names the output letters the bias spans.

    >>> import numpy as np
    >>> from ember import keras
    >>> layer = keras.layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 4),
    ...                                  bias_axes="de")
    >>> layer(np.ones((3, 5, 8), "float32")).shape
    (3, 5, 2, 4)
    >>> [w.shape for w in layer.weights]
    [(8, 2, 4), (2, 4)]
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, **kwargs):
        super().__init__(**kwargs)
        from .. import activations

        self.equation = equation
        (self._inp, self._ker, self._out), self._left_elided = _parse(equation)
        self.partial_output_shape = (tuple(output_shape) if isinstance(output_shape, (list,
                                                                                      tuple))
                                     else (output_shape,))
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        resolve_kernel_bias_options(self, kernel_initializer, bias_initializer,
                                    kernel_regularizer, bias_regularizer, activity_regularizer,
                                    kernel_constraint, bias_constraint)
        self.lora_rank = lora_rank

    def _full_output_shape(self, input_shape):
        inp, out = self._inp, self._out
        elided = len(input_shape) - len(inp)
        shape = [input_shape[0]] + list(self.partial_output_shape)
        if elided > 0 and self._left_elided:
            for i in range(1, elided):
                shape.insert(1, input_shape[i])
        lead = elided if self._left_elided else 0
        if len(shape) != len(out) + lead:
            raise ValueError(f"Layer '{self.name}': output_shape {self.partial_output_shape} does "
                             f"not fit the equation '{self.equation}' for inputs of shape "
                             f"{tuple(input_shape)}.")
        return shape, lead, elided

    def build(self, input_shape):
        inp, ker, out = self._inp, self._ker, self._out
        if len(input_shape) < len(inp) or (not self._left_elided and len(input_shape) != len(inp)):
            raise ValueError(f"Layer '{self.name}': the equation '{self.equation}' expects inputs "
                             f"of rank {len(inp)}. Received: input_shape={tuple(input_shape)}")
        shape, lead, elided = self._full_output_shape(input_shape)
        in_dims = {c: input_shape[i + elided] for i, c in enumerate(inp)}
        out_dims = {c: shape[i + lead] for i, c in enumerate(out)}
        for c in out:
            if c not in inp and c not in ker:
                raise ValueError(f"Dimension '{c}' was specified in the output '{out}' but has "
                                 f"no corresponding dim in the input spec '{inp}' or weight "
                                 f"spec '{ker}'")
        kernel_shape = []
        for c in ker:
            size = in_dims.get(c, out_dims.get(c))
            if size is None:
                raise ValueError(f"Weight dimension '{c}' did not have a match in either the "
                                 f"input spec '{inp}' or the output spec '{out}'. For this "
                                 "layer, the weight must be fully specified.")
            kernel_shape.append(size)
        self.full_output_shape = tuple(shape)
        self.kernel = self.add_weight(shape=kernel_shape,
                                      initializer=self._kernel_init_by_axes(kernel_shape),
                                      name="kernel", regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)
        self.bias = None
        if self.bias_axes:
            for c in self.bias_axes:
                if c not in out:
                    raise ValueError(f"Bias dimension '{c}' was requested, but is not part of "
                                     f"the output spec '{out}'")
            first = min(out.find(c) for c in self.bias_axes)
            bias_shape = [out_dims[c] if c in self.bias_axes else 1 for c in out[first:]]
            self.bias = self.add_weight(shape=bias_shape, initializer=self.bias_initializer,
                                        name="bias", regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint)
        self.built = True

    def _kernel_init_by_axes(self, kernel_shape):
        """The kernel initializer with Keras 3's fans for an einsum kernel.

        A fan-scaled initializer (glorot, he, lecun) would read a 3-D kernel like a conv kernel;
        as Keras, the fan in is the size of the kernel axes the input contracts and the fan out
        the size of the others. The kernel is drawn as that 2-D matrix, then reshaped.
        """
        from .. import initializers

        init = initializers.get(self.kernel_initializer)
        if not isinstance(init, initializers.VarianceScaling):
            return init
        fan_in = int(np.prod([n for c, n in zip(self._ker, kernel_shape) if c in self._inp]))
        fan_out = int(np.prod(kernel_shape)) // max(fan_in, 1)
        return lambda shape, dtype=None: np.reshape(init((fan_in, fan_out), dtype=dtype), shape)

    def _explicit(self, ndim):
        if not self._left_elided:
            return f"{self._inp},{self._ker}->{self._out}"
        used = set(self._inp + self._ker + self._out)
        free = [c for c in string.ascii_letters if c not in used]
        lead = "".join(free[:ndim - len(self._inp)])
        return f"{lead}{self._inp},{self._ker}->{lead}{self._out}"

    def call(self, inputs):
        equation = self._explicit(inputs.ndim)
        bias = self.bias
        if bias is None:
            y = Einsum.apply(inputs, self.kernel, equation=equation)
        elif inputs.dtype == self.kernel.dtype == bias.dtype:  # the bias added in the op
            y = Einsum.apply(inputs, self.kernel, bias, equation=equation)
        else:  # mixed dtypes: a separate add promotes as NumPy does
            y = Einsum.apply(inputs, self.kernel, equation=equation) + bias
        return self.activation(y)

    def get_config(self):
        from .. import activations

        config = super().get_config()
        config.update({
            "output_shape": list(self.partial_output_shape),
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            **kernel_bias_config(self),
        })
        return config
