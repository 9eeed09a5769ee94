"""Kernels of the layer ops: convolution, pooling, normalization, embedding, attention."""

from . import attention as _attention
from . import conv as _conv
from . import embedding as _embedding
from . import layer_norm as _layer_norm
from . import normalization as _normalization
from . import pooling as _pooling
from . import recurrent as _recurrent
from .attention import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .embedding import *  # noqa: F401,F403
from .layer_norm import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403

__all__ = [
    name
    for module in (_attention, _conv, _embedding, _layer_norm, _normalization, _pooling,
                   _recurrent)
    for name in module.__all__
]
