"""Keras layers on ember ops."""

from .base import Layer
from .core import Activation, Dense, Dropout, Flatten, Identity, Reshape
from .input_layer import Input, InputLayer
from .input_spec import InputSpec

__all__ = ["Activation", "Dense", "Dropout", "Flatten", "Identity", "Input", "InputLayer",
           "InputSpec", "Layer", "Reshape"]
