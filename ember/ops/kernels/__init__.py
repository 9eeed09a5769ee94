"""Kernels of the layer ops: convolution, pooling, normalization, embedding, attention."""

from .attention import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .embedding import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
