"""``InputSpec``: what a built layer accepts, checked on every call with a message naming it."""

from ..keras_tensor import flatten


class InputSpec:
    """Rank and axis sizes a layer accepts (Keras' ``keras.layers.InputSpec``)."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})
        self.name = name
        self.optional = optional

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}


def check_input_spec(layer, inputs):
    """Raise ``ValueError`` in Keras' words when ``inputs`` do not fit ``layer.input_spec``."""
    specs = layer.input_spec
    specs = specs if isinstance(specs, (list, tuple)) else [specs]
    tensors = flatten(inputs)
    for index, (spec, x) in enumerate(zip(specs, tensors)):
        if spec is None or x is None:
            continue
        shape = tuple(x.shape)
        where = f'Input {index} of layer "{layer.name}" is incompatible with the layer'
        if spec.ndim is not None and len(shape) != spec.ndim:
            raise ValueError(f"{where}: expected ndim={spec.ndim}, found ndim={len(shape)}. "
                             f"Full shape received: {shape}")
        if spec.min_ndim is not None and len(shape) < spec.min_ndim:
            raise ValueError(f"{where}: expected min_ndim={spec.min_ndim}, found "
                             f"ndim={len(shape)}. Full shape received: {shape}")
        if spec.max_ndim is not None and len(shape) > spec.max_ndim:
            raise ValueError(f"{where}: expected max_ndim={spec.max_ndim}, found "
                             f"ndim={len(shape)}. Full shape received: {shape}")
        for axis, size in spec.axes.items():
            if size is None:
                continue
            if -len(shape) <= axis < len(shape) and shape[axis] not in (size, None):
                raise ValueError(f"{where}: expected axis {axis} of input shape to have value "
                                 f"{size}, but received input with shape {shape}")
        if spec.shape is not None:
            for expected, got in zip(spec.shape, shape):
                if expected is not None and got is not None and expected != got:
                    raise ValueError(f"{where}: expected shape={spec.shape}, found "
                                     f"shape={shape}")
