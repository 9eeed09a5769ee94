"""``Model``: a layer that trains. ``Model(inputs, outputs)`` builds a functional model;
subclassing ``Model`` and defining ``call`` gives a subclassed one."""

from ..layers.base import Layer
from ..registry import builtin
from .trainer import Trainer


@builtin("models")
class Model(Trainer, Layer):
    """A trainable graph of layers: ``compile``, ``fit``, ``evaluate``, ``predict``, ``save``.

    Functional:

    >>> from ember import keras
    >>> inputs = keras.Input(shape=(4,))
    >>> model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(inputs))

    Subclassed:

    >>> class MLP(keras.Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = keras.layers.Dense(8, activation="relu")
    ...         self.out = keras.layers.Dense(3)
    ...     def call(self, x):
    ...         return self.out(self.hidden(x))
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            from .functional import Functional

            return Functional.__new__(Functional)
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        if type(self).__name__ == "Functional" or not args and "inputs" not in kwargs:
            Layer.__init__(self, **kwargs)
            Trainer.__init__(self)
        else:  # Model(inputs, outputs) reached a subclass: route to the functional init
            from .functional import Functional

            Functional.__init__(self, *args, **kwargs)

    def get_layer(self, name=None, index=None):
        """A layer by name or by index in ``model.layers``."""
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"Model '{self.name}' has {len(layers)} layers; "
                                 f"received index={index}.")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: "
                         f"{[layer.name for layer in layers]}.")

    def build(self, input_shape):
        """Build a subclassed model by calling it once on symbolic inputs of ``input_shape``."""
        from ..keras_tensor import KerasTensor, map_structure

        def is_shape(value):
            return isinstance(value, (tuple, list)) and all(
                d is None or isinstance(d, int) for d in value)

        def symbolic(value):
            if is_shape(value):
                return KerasTensor(tuple(value), self.compute_dtype)
            if isinstance(value, dict):
                return {k: symbolic(v) for k, v in value.items()}
            return [symbolic(v) for v in value]

        self.built = True
        self._build_shapes = input_shape
        inputs = symbolic(input_shape)
        from ..node import _infer

        specs = _infer(self, (inputs,), {})
        self._output_shape_cache = specs[0] if isinstance(specs, tuple) and len(specs) == 2 and \
            isinstance(specs[0], tuple) else map_structure(lambda s: s, specs)

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Print the layers, their output shapes and parameter counts as Keras does."""
        from .summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable,
                      layer_range=layer_range)

    # ----- saving (implemented in ember.keras.saving) -------------------------------------------
    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save architecture, weights and optimizer state to a ``.keras`` archive."""
        from ..saving import save_model

        save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True):
        """Save the weights to a ``.weights.h5`` file."""
        from ..saving import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights from a ``.weights.h5`` or ``.keras`` file."""
        from ..saving import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def to_json(self, **kwargs):
        """The model's architecture as a JSON string (Keras' layout)."""
        from ..saving import model_to_json

        return model_to_json(self, **kwargs)

    def get_compile_config(self):
        from ..saving import compile_config

        return compile_config(self)

    def compile_from_config(self, config):
        from ..saving import compile_from_config

        compile_from_config(self, config)

    def get_config(self):
        return Layer.get_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "layers" in config and "input_layers" in config:
            from .functional import Functional

            return Functional.from_config(config, custom_objects=custom_objects)
        return cls(**config)
