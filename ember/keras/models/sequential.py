"""``Sequential``: a plain stack of layers, each feeding the next."""

from ...autograd.tensor import Tensor
from ...ops import cast
from ..keras_tensor import KerasTensor
from ..layers.base import Layer
from ..layers.input_layer import InputLayer
from ..registry import builtin
from .model import Model


@builtin("models")
class Sequential(Model):
    """A linear stack of layers.

    >>> from ember import keras
    >>> model = keras.Sequential([
    ...     keras.layers.Dense(10, input_shape=(4,), activation="relu"),
    ...     keras.layers.Dense(3, activation="softmax")])
    >>> model.output_shape
    (None, 3)
    """

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._layers = []
        self._input_layer = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_build_graph()

    @property
    def layers(self):
        return list(self._layers)

    def _direct_sublayers(self):
        return list(self._layers)

    def add(self, layer, rebuild=True):
        """Append a layer (or a ``keras.Input`` tensor to fix the input shape)."""
        self._shard_plan = None  # decided again for the new stack
        if isinstance(layer, KerasTensor):
            layer = layer._history[0]
        if not isinstance(layer, Layer):
            raise ValueError(f"Only instances of `keras.Layer` can be added to a Sequential "
                             f"model. Received: {layer!r:.100} (of type {type(layer).__name__})")
        if isinstance(layer, InputLayer):
            if self._layers or self._input_layer is not None:
                raise ValueError("Sequential: an InputLayer can only be the first layer.")
            self._input_layer = layer
        else:
            if not self._layers and self._input_layer is None \
                    and layer._batch_input_shape is not None:
                self._input_layer = InputLayer(batch_shape=layer._batch_input_shape)
            if any(existing.name == layer.name for existing in self._layers):
                raise ValueError(f"All layers added to a Sequential model should have unique "
                                 f"names. Name '{layer.name}' is already the name of a layer in "
                                 f"this model.")
            self._layers.append(layer)
        if rebuild:
            self._maybe_build_graph()

    def pop(self, rebuild=True):
        """Remove and return the last layer."""
        if not self._layers:
            raise TypeError("There are no layers in the model.")
        self._shard_plan = None
        layer = self._layers.pop()
        self.built = False
        if rebuild:
            self._maybe_build_graph()
        return layer

    def _maybe_build_graph(self):
        """With a known input shape, run the layers symbolically: builds weights, shapes."""
        if self._input_layer is None or not self._layers:
            return
        x = self._input_layer.output_tensor
        for layer in self._layers:
            x = layer(x)
        self._build_shapes = self._input_layer.batch_shape
        self._output_shape_cache = x.shape
        self.built = True

    def build(self, input_shape=None):
        if isinstance(input_shape, dict) or (isinstance(input_shape, list) and input_shape
                                              and isinstance(input_shape[0], (list, tuple))):
            raise ValueError("Sequential models take a single input. Received input shapes "
                             f"{input_shape}")
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError("Sequential.build: the input shape is unknown; pass "
                                 "input_shape or start the model with keras.Input(shape=...).")
            input_shape = self._input_layer.batch_shape
        if self._input_layer is None:
            self._input_layer = InputLayer(batch_shape=tuple(input_shape))
        self._maybe_build_graph()

    def _maybe_build(self, shapes):
        if not self.built:
            self.build(shapes)

    @property
    def input_shape(self):
        if self._input_layer is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined input shape yet.")
        return self._input_layer.batch_shape

    @property
    def inputs(self):
        return [self._input_layer.output_tensor] if self._input_layer is not None else []

    def call(self, inputs, training=None, mask=None):
        x = inputs
        if self._input_layer is not None:
            x = _cast_to_input_dtype(x, self._input_layer)
        for layer in self._layers:
            x = layer(x)  # the training flag reaches them through the call context
        return x

    def get_config(self):
        from ..saving_config import serialize_layer

        layers = []
        if self._input_layer is not None:
            layers.append(serialize_layer(self._input_layer))
        layers.extend(serialize_layer(layer) for layer in self._layers)
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype,
                "layers": layers}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ..saving_config import deserialize_layer

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        for layer_config in config["layers"]:
            model.add(deserialize_layer(layer_config, custom_objects), rebuild=False)
        model._maybe_build_graph()
        return model


def _cast_to_input_dtype(x, input_layer):
    """Inputs take the dtype of the model's Input (integers become floats for a float Input)."""
    dtype = input_layer._input_dtype
    if isinstance(x, Tensor) and x.data.dtype is not dtype and x.data.dtype != dtype:
        mask = getattr(x, "_keras_mask", None)
        x = cast(x, dtype)
        if mask is not None:
            x._keras_mask = mask
    return x
