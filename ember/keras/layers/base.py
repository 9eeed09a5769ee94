"""``Layer``: weights created from the input shape in ``build``, math in ``call``, bookkeeping here.

Everything a Keras user expects of ``keras.layers.Layer`` lives in this file: automatic names,
weight tracking (attributes, lists and dicts), freezing, ``get_weights``/``set_weights``, configs,
input checks that name the layer, masks, the ``training`` flag, ``add_loss``.
"""

import inspect

import numpy as np

from ... import backend
from ...autograd.tensor import Tensor
from ...autograd.variable import Variable
from ...ops import cast
from .. import naming
from ..keras_tensor import KerasTensor, flatten, is_symbolic, map_structure
from ..registry import builtin
from ._utils import dtype_name_config
from .context import call_context
from .input_spec import InputSpec, check_input_spec

_LEGACY_KWARGS = ("input_shape", "input_dim", "batch_input_shape", "batch_size")
WEIGHT_CHECKS = []  # callables (layer, shape, dtype) run by add_weight; see ember.keras.saving


@builtin("layers")
class Layer:
    """Base class of all layers (and of ``Model``).

    Subclass it and override ``build(input_shape)`` (create weights with ``add_weight``) and
    ``call(inputs, training=None, mask=None)`` (compute with ember ops):

    >>> import ember
    >>> from ember import keras
    >>> class Scale(keras.layers.Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
    ...     def call(self, x):
    ...         return x * self.w
    >>> Scale()(ember.ones((2, 3))).shape
    (2, 3)
    """

    def __init__(self, *, trainable=True, name=None, dtype=None, autocast=True,
                 activity_regularizer=None, **kwargs):
        legacy = {key: kwargs.pop(key) for key in _LEGACY_KWARGS if key in kwargs}
        if kwargs:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}"
            )
        self._name = name or naming.unique_name(naming.to_snake_case(type(self).__name__))
        self._dtype = np.dtype(dtype) if dtype is not None else backend.default_float()
        self._autocast = autocast
        self._trainable = trainable
        self.activity_regularizer = None
        if activity_regularizer is not None:
            from .. import regularizers

            self.activity_regularizer = regularizers.get(activity_regularizer)
        self.built = False
        self.supports_masking = getattr(self, "supports_masking", False)
        self.input_spec = getattr(self, "input_spec", None)
        self._own_variables = []
        self._losses = []
        self._inbound_nodes = []
        self._build_shapes = None
        self._checked_input = None
        self._output_shape_cache = None
        self._batch_input_shape = _legacy_input_shape(legacy)

    # ----- identity ------------------------------------------------------------------------
    @property
    def name(self):
        return self._name

    @property
    def dtype(self):
        return self._dtype.name

    @property
    def compute_dtype(self):
        return self._dtype.name

    @property
    def variable_dtype(self):
        return self._dtype.name

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    # ----- sub-layers and weights ------------------------------------------------------------
    def _direct_sublayers(self):
        """Layers assigned as attributes, also inside lists, tuples and dicts, in order."""
        found, seen = [], {id(self)}
        for key, value in self.__dict__.items():
            if key in _UNTRACKED:
                continue
            for leaf in _layer_leaves(value):
                if id(leaf) not in seen:
                    seen.add(id(leaf))
                    found.append(leaf)
        return found

    def _flatten_layers(self, include_self=True):
        """This layer and every layer below it, depth first, each once."""
        out, seen, stack = [], set(), [self]
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            if layer is not self or include_self:
                out.append(layer)
            stack.extend(reversed(layer._direct_sublayers()))
        return out

    def _direct_variables(self):
        own = list(self._own_variables)
        ids = {id(v) for v in own}
        for key, value in self.__dict__.items():
            if isinstance(value, Variable) and id(value) not in ids and key not in _UNTRACKED:
                own.append(value)
                ids.add(id(value))
        return own

    def _gather(self, own, sublayer_weights):
        """``own`` then each sub-layer's ``sublayer_weights(layer)``, each variable once."""
        out = list(own)
        seen = {id(v) for v in out}
        for layer in self._direct_sublayers():
            for v in sublayer_weights(layer):
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        return out

    @property
    def weights(self):
        """All weights: this layer's own (trainable first), then those of its sub-layers."""
        own = self._direct_variables()
        own = [v for v in own if v.trainable] + [v for v in own if not v.trainable]
        return self._gather(own, lambda layer: layer.weights)

    variables = weights

    @property
    def trainable_weights(self):
        """The weights that training updates (none when the layer is frozen)."""
        if not self.trainable:
            return []
        own = [v for v in self._direct_variables() if v.trainable]
        return self._gather(own, lambda layer: layer.trainable_weights)

    trainable_variables = trainable_weights

    @property
    def non_trainable_weights(self):
        trainable = {id(v) for v in self.trainable_weights}
        return [v for v in self.weights if id(v) not in trainable]

    non_trainable_variables = non_trainable_weights

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Freezing a layer freezes its sub-layers; frozen weights get no gradient."""
        value = bool(value)
        for layer in self._flatten_layers():
            layer._trainable = value
            for v in layer._direct_variables():
                v.requires_grad = value and v.trainable and v.data.dtype.kind == "f"

    @property
    def layers(self):
        return self._direct_sublayers()

    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True,
                   regularizer=None, constraint=None, name=None, autocast=True, aggregation=None):
        """Create a weight of ``shape`` and track it (Keras' ``add_weight``)."""
        from .. import constraints, initializers, regularizers

        shape = () if shape is None else tuple(int(d) for d in shape)
        dtype = np.dtype(dtype) if dtype is not None else self._dtype
        if WEIGHT_CHECKS:  # set by ember.keras.saving while a file loads: refuses absurd sizes
            WEIGHT_CHECKS[-1](self, shape, dtype)
        if initializer is None:
            initializer = "glorot_uniform" if dtype.kind == "f" else "zeros"
        init = initializers.get(initializer)
        value = init(shape, dtype=dtype) if callable(init) else init
        value = np.asarray(value.data if isinstance(value, Tensor) else value, dtype=dtype)
        name = name or f"variable_{len(self._own_variables)}"
        variable = Variable(value, dtype=dtype, trainable=trainable, name=name,
                            constraint=constraints.get(constraint),
                            regularizer=regularizers.get(regularizer))
        variable.path = f"{self.name}/{name}"
        if not self._trainable:
            variable.requires_grad = False
        self._own_variables.append(variable)
        return variable

    add_variable = add_weight

    def get_weights(self):
        """The weights' values as a list of NumPy arrays (copies)."""
        return [np.array(v.data, copy=True) for v in self.weights]

    def set_weights(self, weights):
        """Set all weights from a list of arrays in ``get_weights`` order; shapes must match."""
        current = self.weights
        if len(weights) != len(current):
            raise ValueError(
                f"Layer '{self.name}' expects {len(current)} weight arrays, but set_weights "
                f"received {len(weights)}."
            )
        for variable, value in zip(current, weights):
            value = np.asarray(value)
            if value.shape != variable.shape:
                raise ValueError(
                    f"Layer '{self.name}' weight '{variable.name}' has shape {variable.shape}; "
                    f"set_weights received an array of shape {value.shape}."
                )
        for variable, value in zip(current, weights):
            variable.assign(value)

    def count_params(self):
        """The number of scalars in all weights (raises if the layer is not built)."""
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer isn't "
                "built. You can build it manually via: `layer.build(input_shape)`."
            )
        return int(sum(v.size for v in self.weights))

    # ----- losses --------------------------------------------------------------------------
    def add_loss(self, loss):
        """Add a scalar loss tensor (from ``call``) to the training objective."""
        if not self._losses:
            _layers_with_losses.append(self)
        self._losses.append(loss)

    @property
    def losses(self):
        """Losses added during the last call plus the weight regularization penalties."""
        out = []
        for layer in self._flatten_layers():
            out.extend(layer._losses)
            for v in layer._direct_variables():
                if v.regularizer is not None and v.trainable and layer.trainable:
                    out.append(v.regularizer(v))
        return out


    # ----- build and call ----------------------------------------------------------------------
    def build(self, input_shape):
        """Create the weights; the default has none. Subclasses call nothing on super."""
        self.built = True

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(f"Layer {type(self).__name__} does not define call()")

    def _maybe_build(self, shapes):
        if self.built:
            return
        if self._build_shapes is None:
            self._build_shapes = shapes
        if type(self).build is not Layer.build or not self.built:
            self.build(shapes)
        self.built = True

    def build_from_config(self, config):
        shape = config.get("input_shape")
        if shape is not None and not self.built:
            self._maybe_build(_as_shape_structure(shape))

    def get_build_config(self):
        if self._build_shapes is None:
            return None
        return {"input_shape": _shape_to_list(self._build_shapes)}

    def __call__(self, *args, **kwargs):
        if not args:
            raise ValueError(f"Layer '{self.name}' was called without inputs.")
        inputs = args[0]
        if type(inputs) is not Tensor or (inputs.data.dtype is not self._dtype
                                          and inputs.data.dtype.kind == "f"):
            if is_symbolic(inputs):
                from ..node import symbolic_call

                return symbolic_call(self, inputs, args[1:], kwargs)
            inputs = self._standardize_inputs(inputs)
        if not self.built:
            self._maybe_build(_shapes_of(inputs))
        spec = self.input_spec
        if spec is not None:
            key = (id(spec), inputs.data.shape if type(inputs) is Tensor else None)
            if key != self._checked_input:  # the same spec and shape as last call: valid
                check_input_spec(self, inputs)
                self._checked_input = key
        flags = _FLAGS.get(type(self)) or _call_flags(type(self))
        ctx = call_context
        previous = ctx.training
        training = kwargs.get("training")
        if training is not None:
            ctx.training = training  # an explicit flag reaches every nested layer
            if not flags.training:
                del kwargs["training"]
        elif flags.training:
            kwargs["training"] = previous
        if flags.mask and kwargs.get("mask") is None:
            mask = _mask_of(inputs)
            if mask is not None:
                kwargs["mask"] = mask
        if ctx.depth == 0:
            _clear_pending_losses()
        ctx.depth += 1
        try:
            outputs = self.call(inputs, *args[1:], **kwargs)
        finally:
            ctx.depth -= 1
            ctx.training = previous
        if self._output_shape_cache is None:
            self._output_shape_cache = map_structure(_batchless_shape, outputs)
        if self.activity_regularizer is not None:
            for out in flatten(outputs):
                if isinstance(out, Tensor):
                    self.add_loss(self.activity_regularizer(out))
        if flags.custom_mask or (self.supports_masking and _mask_of(inputs) is not None):
            _attach_masks(outputs, self.compute_mask(inputs, kwargs.get("mask",
                                                                         _mask_of(inputs))))
        return outputs

    def _standardize_inputs(self, inputs):
        """NumPy arrays and lists become tensors; floats take the layer's dtype (autocast)."""
        dtype = self._dtype
        autocast = self._autocast

        def convert(x):
            if isinstance(x, Tensor):
                if autocast and x.data.dtype != dtype and x.data.dtype.kind == "f":
                    mask = getattr(x, "_keras_mask", None)
                    x = cast(x, dtype)
                    if mask is not None:
                        x._keras_mask = mask
                return x
            if x is None or isinstance(x, (str, bytes)):
                return x
            array = np.asarray(x)
            if array.dtype.kind == "f" and autocast:
                array = array.astype(dtype, copy=False)
            elif array.dtype.kind in "b":
                pass
            elif array.dtype.kind not in "iuf":
                raise TypeError(
                    f"Layer '{self.name}' expects numeric inputs. Received an array of dtype "
                    f"{array.dtype}."
                )
            return Tensor(array)

        if isinstance(inputs, Tensor):
            return convert(inputs)
        return map_structure(convert, inputs)

    def compute_mask(self, inputs, mask=None):
        """The output mask: passed through unchanged by layers that support masking."""
        return mask if self.supports_masking else None

    def compute_output_shape(self, input_shape):
        """The output shape for ``input_shape`` (found by a symbolic call when not overridden)."""
        from ..node import infer_output_shapes

        return infer_output_shapes(self, input_shape)

    def compute_output_spec(self, inputs):
        return map_structure(lambda s: KerasTensor(s), self.compute_output_shape(
            map_structure(lambda t: t.shape, inputs)))

    @property
    def output_shape(self):
        if self._output_shape_cache is None:
            raise AttributeError(f"Layer '{self.name}' has no defined output shape yet.")
        return self._output_shape_cache

    @property
    def input(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' is not connected: it has no input.")
        return self._inbound_nodes[0].input_structure

    @property
    def output(self):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' is not connected: it has no output.")
        return self._inbound_nodes[0].outputs

    # ----- configs --------------------------------------------------------------------------
    def get_config(self):
        """Constructor arguments as JSON-friendly values (subclasses add theirs)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._batch_input_shape is not None:
            config["batch_input_shape"] = list(self._batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config):
        """Re-create a layer from ``get_config()``'s output."""
        return cls(**dtype_name_config(config))


# layers holding losses from the current outermost call; cleared when the next one starts
_layers_with_losses = []


def _clear_pending_losses():
    for layer in _layers_with_losses:
        layer._losses = []
    _layers_with_losses.clear()


_UNTRACKED = {"_inbound_nodes", "_model", "_output_layers", "_input_layers", "_parent"}


def _layer_leaves(value):
    if isinstance(value, Layer):
        return [value]
    if isinstance(value, (list, tuple)):
        return [leaf for item in value for leaf in _layer_leaves(item)]
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _layer_leaves(item)]
    return []


def _legacy_input_shape(legacy):
    if "batch_input_shape" in legacy and legacy["batch_input_shape"] is not None:
        return tuple(legacy["batch_input_shape"])
    batch = legacy.get("batch_size")
    if legacy.get("input_shape") is not None:
        shape = legacy["input_shape"]
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        return (batch,) + shape
    if legacy.get("input_dim") is not None:
        return (batch, int(legacy["input_dim"]))
    return None


class _CallFlags:
    __slots__ = ("training", "mask", "custom_mask")


_FLAGS = {}


def _call_flags(cls):
    """Which of ``training``/``mask`` a layer's ``call`` accepts (inspected once per class)."""
    flags = _FLAGS.get(cls)
    if flags is None:
        params = inspect.signature(cls.call).parameters
        var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        flags = _CallFlags()
        flags.training = "training" in params or (var_kw and cls.__name__ == "Lambda")
        flags.mask = "mask" in params
        flags.custom_mask = cls.compute_mask is not Layer.compute_mask
        _FLAGS[cls] = flags
    return flags


def _mask_of(inputs):
    if isinstance(inputs, Tensor):
        return getattr(inputs, "_keras_mask", None)
    if isinstance(inputs, (list, tuple)):
        masks = [getattr(x, "_keras_mask", None) if isinstance(x, Tensor) else None
                 for x in inputs]
        return masks if any(m is not None for m in masks) else None
    return None


def _attach_masks(outputs, masks):
    """Give each output its mask: one mask for all, or a list with one per output."""
    if masks is None:
        return
    outs = flatten(outputs)
    if isinstance(masks, (list, tuple)) and len(masks) == len(outs):
        pairs = zip(outs, masks)
    else:
        pairs = ((out, masks) for out in outs)
    for out, mask in pairs:
        if isinstance(out, Tensor) and mask is not None:
            out._keras_mask = mask


def _batchless_shape(x):
    return (None,) + tuple(x.shape[1:]) if isinstance(x, Tensor) and x.ndim else None


def _shapes_of(inputs):
    """Input shapes for ``build``, the batch axis unknown (None) as Keras passes them."""

    def shape(x):
        if isinstance(x, Tensor):
            return (None,) + tuple(x.shape[1:]) if x.ndim else ()
        return None

    if isinstance(inputs, Tensor):
        return shape(inputs)
    return map_structure(shape, inputs)


def _as_shape_structure(value):
    if isinstance(value, dict):
        return {k: _as_shape_structure(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple, dict)):
        return [_as_shape_structure(v) for v in value]
    return tuple(value)


def _shape_to_list(shapes):
    if isinstance(shapes, tuple) and all(d is None or isinstance(d, int) for d in shapes):
        return list(shapes)
    if isinstance(shapes, dict):
        return {k: _shape_to_list(v) for k, v in shapes.items()}
    return [_shape_to_list(s) for s in shapes]


__all__ = ["InputSpec", "Layer"]
