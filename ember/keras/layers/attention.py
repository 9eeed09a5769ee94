"""MultiHeadAttention with Keras' weights, masks and call signature, on the fused attention op.

Weights, in Keras' order: query kernel (d_model, heads, key_dim) and bias (heads, key_dim), the
same for key and value (value_dim), then the output kernel (heads, value_dim, out_dim) and bias
(out_dim,), held by four EinsumDense sub-layers named query, key, value, attention_output.
Self-attention (query, key and value one tensor) projects q, k and v in one GEMM against the
three sub-layers' kernels (attention_qkv.py).
"""

import math

import numpy as np

from ... import ops
from ..registry import builtin
from ._utils import as_tensor, check_positive_int, check_rate, mask_array, resolve, serialize
from .attention_qkv import can_pack, packed_qkv
from .base import Layer
from .einsum_dense import EinsumDense


@builtin("layers")
class MultiHeadAttention(Layer):
    """Multi-head scaled dot-product attention (Vaswani et al. 2017) over (batch, time, dim).

    Masks: ``attention_mask`` (batch, T, S) with True = may attend, ``use_causal_mask``, and the
    Keras masks carried by query/value/key (``Embedding(mask_zero=True)``), all combined.

    >>> import numpy as np
    >>> from ember import keras
    >>> mha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    >>> x = np.ones((3, 5, 8), "float32")
    >>> out, scores = mha(x, x, return_attention_scores=True)
    >>> out.shape, scores.shape
    ((3, 5, 8), (3, 2, 5, 5))
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        name = "MultiHeadAttention"
        self.supports_masking = True
        self._num_heads = check_positive_int(num_heads, "num_heads", name)
        self._key_dim = check_positive_int(key_dim, "key_dim", name)
        self._value_dim = check_positive_int(value_dim, "value_dim", name) if value_dim \
            else self._key_dim
        self._dropout = check_rate(dropout, "dropout", name)
        if self._dropout == 1:
            raise ValueError(f"{name}: `dropout` must be below 1. Received: dropout=1")
        self._use_bias = bool(use_bias)
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(int(d) for d in output_shape)
            except TypeError:
                raise ValueError(f"Invalid `output_shape`: {output_shape}. When specified, the "
                                 "`output_shape` should be of type tuple, list, or int.") from None
        self._output_shape = output_shape or None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None and not isinstance(attention_axes, (list, tuple)):
            raise ValueError("`attention_axes` must be an int, list, or tuple."
                             f"Received: attention_axes={attention_axes}")
        if attention_axes is not None and tuple(a % 3 for a in attention_axes) != (1,):
            raise ValueError(f"{name}: only attention over the time axis of (batch, time, dim) "
                             "inputs is supported: attention_axes must be None, 1 or -2. "
                             f"Received: attention_axes={attention_axes}")
        self._attention_axes = None if attention_axes is None else tuple(attention_axes)
        self._flash_attention = flash_attention
        self._kernel_initializer = resolve("initializers", kernel_initializer)
        self._bias_initializer = resolve("initializers", bias_initializer)
        self._kernel_regularizer = resolve("regularizers", kernel_regularizer)
        self._bias_regularizer = resolve("regularizers", bias_regularizer)
        self._activity_regularizer = resolve("regularizers", activity_regularizer)
        self._kernel_constraint = resolve("constraints", kernel_constraint)
        self._bias_constraint = resolve("constraints", bias_constraint)
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))
        self._projections = False

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)

    # ----- weights -----------------------------------------------------------------------------
    def build(self, query_shape, value_shape=None, key_shape=None):
        """Create the projections; the value shape is known only at the first call when the
        layer is built from the query shape alone."""
        if value_shape is not None:
            self._build_projections(query_shape, value_shape, key_shape)
        self.built = True

    def _sublayer(self, equation, output_shape, bias_axes, name):
        init = self._kernel_initializer
        bias_init = self._bias_initializer
        return EinsumDense(
            equation, output_shape=output_shape, bias_axes=bias_axes if self._use_bias else None,
            kernel_initializer=init.clone() if hasattr(init, "clone") else init,
            bias_initializer=bias_init.clone() if hasattr(bias_init, "clone") else bias_init,
            kernel_regularizer=self._kernel_regularizer, bias_regularizer=self._bias_regularizer,
            activity_regularizer=self._activity_regularizer,
            kernel_constraint=self._kernel_constraint, bias_constraint=self._bias_constraint,
            dtype=self.dtype, name=name, trainable=self.trainable)

    def _build_projections(self, query_shape, value_shape, key_shape=None):
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        for label, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3:
                raise ValueError(f"Layer '{self.name}': {label} must have shape (batch, time, "
                                 f"dim). Received: {label}.shape={tuple(shape)}")
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise ValueError("All dimensions of `value` and `key`, except the last one, must be "
                             f"equal. Received: value_shape={tuple(value_shape)} and "
                             f"key_shape={tuple(key_shape)}")
        heads = self._num_heads
        self._query_dense = self._sublayer("abc,cde->abde", (None, heads, self._key_dim), "de",
                                           "query")
        self._query_dense._maybe_build(tuple(query_shape))
        self._key_dense = self._sublayer("abc,cde->abde", (None, heads, self._key_dim), "de",
                                         "key")
        self._key_dense._maybe_build(tuple(key_shape))
        self._value_dense = self._sublayer("abc,cde->abde", (None, heads, self._value_dim), "de",
                                           "value")
        self._value_dense._maybe_build(tuple(value_shape))
        out_dims = self._output_shape or (query_shape[-1],)
        if len(out_dims) != 1:
            raise ValueError(f"Layer '{self.name}': output_shape must have one dimension for "
                             f"(batch, time, dim) inputs. Received: output_shape={out_dims}")
        self._output_dense = self._sublayer("abcd,cde->abe", (None, out_dims[0]), "e",
                                            "attention_output")
        self._output_dense._maybe_build((None, query_shape[1], heads, self._value_dim))
        self._projections = True
        self._shapes = {"query_shape": query_shape, "value_shape": value_shape}
        if key_shape is not value_shape:
            self._shapes["key_shape"] = key_shape

    def get_build_config(self):
        """Keras' form for a multi-shape build: ``{"shapes_dict": {"query_shape": ...}}``."""
        if not self._projections:
            return super().get_build_config()
        return {"shapes_dict": {name: [None] + list(shape[1:])
                                for name, shape in self._shapes.items()}}

    def build_from_config(self, config):
        shapes = config.get("shapes_dict")
        if shapes is None:
            return super().build_from_config(config)
        self.build(**{name: tuple(shape) for name, shape in shapes.items()})

    @property
    def query_dense(self):
        return self._query_dense

    @property
    def key_dense(self):
        return self._key_dense

    @property
    def value_dense(self):
        return self._value_dense

    @property
    def output_dense(self):
        return self._output_dense

    # ----- the call ---------------------------------------------------------------------------
    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        key_given = key is not None and key is not value
        value = _like(value, query.dtype)
        key = _like(key, query.dtype) if key_given else value
        if not self._projections:
            self._build_projections(query.shape, value.shape, key.shape if key_given else None)
        query_mask = _given(query_mask, query)
        value_mask = _given(value_mask, value)
        key_mask = _given(key_mask, key) if key_given else mask_array(key_mask)
        mask = self._compute_attention_mask(query, value, query_mask, value_mask, key_mask,
                                            attention_mask, use_causal_mask)
        if key is query and value is query and can_pack(query, self._query_dense,
                                                        self._key_dense, self._value_dense):
            q, k, v = packed_qkv(query, self._query_dense, self._key_dense, self._value_dense)
        else:
            q = ops.transpose(self._query_dense(query), (0, 2, 1, 3))  # (B, N, T, key_dim)
            k = ops.transpose(self._key_dense(key), (0, 2, 1, 3))  # (B, N, S, key_dim)
            v = ops.transpose(self._value_dense(value), (0, 2, 1, 3))  # (B, N, S, value_dim)
        result = ops.scaled_dot_product_attention(
            q, k, v, mask=None if mask is None else mask[:, None], scale=self._inverse_sqrt_key_dim,
            dropout_rate=self._dropout, training=bool(training),
            return_scores=return_attention_scores)
        context, scores = result if return_attention_scores else (result, None)
        output = self._output_dense(ops.transpose(context, (0, 2, 1, 3)))  # (B, T, out_dim)
        if query_mask is not None:
            from ._utils import mask_tensor

            output._keras_mask = mask_tensor(query_mask)
        return (output, scores) if return_attention_scores else output

    def _compute_attention_mask(self, query, value, query_mask, value_mask, key_mask,
                                attention_mask, use_causal_mask):
        """A bool (B or 1, T, S) array: True where a query position may attend, or None."""
        t, s = query.shape[1], value.shape[1]
        auto = None
        if query_mask is not None:
            auto = query_mask[:, :, None]
        for m in (value_mask, key_mask):
            if m is not None:
                auto = m[:, None, :] if auto is None else auto & m[:, None, :]
        if use_causal_mask:
            causal = np.tri(t, s, dtype=bool)[None]
            auto = causal if auto is None else auto & causal
        given = mask_array(attention_mask)
        if given is not None:
            if given.ndim == 2:
                given = given[None]
            try:
                np.broadcast_shapes(given.shape, (query.shape[0], t, s))
            except ValueError:
                raise ValueError(f"Layer '{self.name}': attention_mask must broadcast to (batch, "
                                 f"T, S) = {(query.shape[0], t, s)}. Received: "
                                 f"attention_mask.shape={given.shape}") from None
            auto = given if auto is None else given & auto
        return auto

    def compute_mask(self, inputs, mask=None):
        return None  # the call attaches the query's mask to the output itself

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape = tuple(query_shape)
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    def get_config(self):
        config = super().get_config()
        config.update({
            "num_heads": self._num_heads,
            "key_dim": self._key_dim,
            "value_dim": self._value_dim,
            "dropout": self._dropout,
            "use_bias": self._use_bias,
            "output_shape": self._output_shape,
            "attention_axes": self._attention_axes,
            "kernel_initializer": serialize("initializers", self._kernel_initializer),
            "bias_initializer": serialize("initializers", self._bias_initializer),
            "kernel_regularizer": serialize("regularizers", self._kernel_regularizer),
            "bias_regularizer": serialize("regularizers", self._bias_regularizer),
            "activity_regularizer": serialize("regularizers", self._activity_regularizer),
            "kernel_constraint": serialize("constraints", self._kernel_constraint),
            "bias_constraint": serialize("constraints", self._bias_constraint),
            "seed": self.seed,
        })
        return config


def _like(x, dtype):
    """``x`` as a tensor of the query's float dtype, keeping its Keras mask."""
    x = as_tensor(x, dtype)
    if x.dtype != dtype and x.dtype.kind == "f":
        mask = getattr(x, "_keras_mask", None)
        x = ops.cast(x, dtype)
        if mask is not None:
            x._keras_mask = mask
    return x


def _given(explicit, tensor):
    """An explicit ``*_mask`` argument, else the Keras mask the tensor carries (as bool arrays)."""
    if explicit is not None:
        return mask_array(explicit)
    return mask_array(getattr(tensor, "_keras_mask", None))
