"""Keras layers on ember ops."""

from .base import Layer
from .core import Activation, Dense, Dropout, Flatten, Identity, Reshape
from .input_layer import Input, InputLayer
from .input_spec import InputSpec

__all__ = ["Activation", "Dense", "Dropout", "Flatten", "Identity", "Input", "InputLayer",
           "InputSpec", "Layer", "Reshape"]

# convnet, RNN and transformer building blocks (engineer D)
from .activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax  # noqa: E402
from .attention import MultiHeadAttention  # noqa: E402
from .convolutional import (  # noqa: E402
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    Convolution1D,
    Convolution2D,
    Convolution2DTranspose,
    DepthwiseConv2D,
    SeparableConv2D,
    SeparableConvolution2D,
)
from .einsum_dense import EinsumDense  # noqa: E402
from .embedding import Embedding, Masking  # noqa: E402
from .lambda_layer import Lambda  # noqa: E402
from .merging import (  # noqa: E402
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from .normalization import BatchNormalization, GroupNormalization, LayerNormalization  # noqa
from .pooling import (  # noqa: E402
    AveragePooling1D,
    AveragePooling2D,
    AvgPool1D,
    AvgPool2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPool1D,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
)
from .preprocessing import Normalization, Rescaling  # noqa: E402
from .recurrent import GRU, LSTM, RNN, SimpleRNN  # noqa: E402
from .regularization import GaussianNoise, SpatialDropout1D, SpatialDropout2D  # noqa: E402
from .reshaping import (  # noqa: E402
    Cropping1D,
    Cropping2D,
    Permute,
    RepeatVector,
    UpSampling1D,
    UpSampling2D,
    ZeroPadding1D,
    ZeroPadding2D,
)
from .rnn_cells import GRUCell, LSTMCell, SimpleRNNCell  # noqa: E402
from .wrappers import Bidirectional, TimeDistributed, Wrapper  # noqa: E402

__all__ += [
    "Add", "AveragePooling1D", "AveragePooling2D", "AvgPool1D", "AvgPool2D", "Average",
    "BatchNormalization", "Bidirectional", "Concatenate", "Conv1D", "Conv2D", "Conv2DTranspose",
    "Convolution1D", "Convolution2D", "Convolution2DTranspose", "Cropping1D", "Cropping2D",
    "DepthwiseConv2D", "Dot", "ELU", "EinsumDense", "Embedding", "GRU", "GRUCell",
    "GaussianNoise", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAvgPool1D",
    "GlobalAvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "GroupNormalization", "LSTM", "LSTMCell", "Lambda",
    "LayerNormalization", "LeakyReLU", "Masking", "MaxPool1D", "MaxPool2D", "MaxPooling1D",
    "MaxPooling2D", "Maximum", "Minimum", "MultiHeadAttention", "Multiply", "Normalization",
    "PReLU", "Permute", "RNN", "ReLU", "RepeatVector", "Rescaling", "SeparableConv2D",
    "SeparableConvolution2D", "SimpleRNN", "SimpleRNNCell", "Softmax", "SpatialDropout1D",
    "SpatialDropout2D", "Subtract", "TimeDistributed", "UpSampling1D", "UpSampling2D", "Wrapper",
    "ZeroPadding1D", "ZeroPadding2D", "add", "average", "concatenate", "dot", "maximum",
    "minimum", "multiply", "subtract",
]
