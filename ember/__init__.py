"""ember: a deep-learning framework on NumPy that speaks the Keras API.

>>> import ember as tf
>>> model = tf.keras.Sequential([tf.keras.layers.Dense(3, input_shape=(4,))])
"""

import importlib

from ._openblas import choose_kernels as _choose_blas_kernels
from .autograd import (
    FlatParameters,
    Function,
    Tensor,
    Variable,
    enable_grad,
    is_grad_enabled,
    no_grad,
    tensor,
)
from .backend import floatx, set_random_seed
from .ops import *  # noqa: F401,F403
from .parallel import get_num_threads, set_num_threads

_choose_blas_kernels()  # OpenBLAS's faster kernels where its own pick is slower (see _openblas)

__version__ = "0.1.0"

# heavy or optional parts load on first use, so `import ember` stays fast
_LAZY = {"keras", "datasets", "distributed", "cli", "explain", "data"}


def __getattr__(name):
    if name in _LAZY:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    if name == "plot_history":
        from .plotting import plot_history

        return plot_history
    raise AttributeError(f"module 'ember' has no attribute {name!r}")


__all__ = ["FlatParameters", "Function", "Tensor", "Variable", "enable_grad", "floatx",
           "get_num_threads", "is_grad_enabled", "no_grad", "set_num_threads", "set_random_seed",
           "tensor"]
