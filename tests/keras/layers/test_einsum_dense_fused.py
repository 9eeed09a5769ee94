"""EinsumDense with its bias added inside the einsum op: values and gradients against
PyTorch (float64) and against the unfused einsum-then-add (float32), for the matrix-product
equations (2-D GEMMs), other contractions (tensordot / np.einsum) and partial biases."""

import numpy as np
import pytest
import torch
from helpers.layer_checks import compare_layer, set_random_weights

import ember
from ember.keras import layers
from ember.keras.layers.einsum_dense import Einsum, _matrix_axes

CASES = [  # equation, output_shape, bias_axes, input shape
    ("abc,cde->abde", (None, 3, 4), "de", (2, 5, 6)),  # MHA's query/key/value
    ("abcd,cde->abe", (None, 6), "e", (2, 5, 3, 4)),  # MHA's output projection
    ("ab,bc->ac", (4,), "c", (3, 5)),
    ("abc,cde->abde", (None, 3, 4), "d", (2, 5, 6)),  # a bias of shape (3, 1)
    ("abc,cd->abd", (5, 4), "b", (2, 5, 6)),  # bias over a leading output axis
    ("abc,dce->abde", (None, 3, 4), "e", (2, 5, 6)),  # not a matrix product: tensordot
    ("abc,cb->ac", (6,), "c", (2, 5, 6)),  # a shared letter kept: np.einsum
    ("...b,bc->...c", (4,), "c", (2, 3, 5)),  # ellipsis
    ("abc,cde->abde", (None, 3, 4), None, (2, 5, 6)),  # no bias
]


def built(equation, output_shape, bias_axes, shape, dtype="float64"):
    layer = layers.EinsumDense(equation, output_shape=output_shape, bias_axes=bias_axes,
                               dtype=dtype)
    layer.build((None,) + shape[1:])
    set_random_weights(layer)
    return layer


@pytest.mark.parametrize("equation, output_shape, bias_axes, shape", CASES, ids=str)
def test_einsum_dense_matches_torch(equation, output_shape, bias_axes, shape):
    layer = built(equation, output_shape, bias_axes, shape)
    x = np.random.default_rng(1).standard_normal(shape)

    def torch_call(x, kernel, bias=None):
        y = torch.einsum(equation, x, kernel)
        return y if bias is None else y + bias

    compare_layer(layer, torch_call, [x], layer.weights)


@pytest.mark.parametrize("equation, output_shape, bias_axes, shape", CASES, ids=str)
def test_fused_bias_matches_einsum_then_add_in_float32(equation, output_shape, bias_axes,
                                                       shape):
    layer = built(equation, output_shape, bias_axes, shape, dtype="float32")
    x = np.random.default_rng(2).standard_normal(shape).astype(np.float32)

    def run(fused):
        for w in layer.weights:
            w.grad = None
        xt = ember.tensor(x, requires_grad=True)
        if fused:
            y = layer(xt)
        else:
            y = Einsum.apply(xt, layer.kernel, equation=layer._explicit(xt.ndim))
            y = y if layer.bias is None else y + layer.bias
        w = np.random.default_rng(3).standard_normal(y.shape).astype(np.float32)
        (y * ember.tensor(w)).sum().backward()
        return [y.numpy(), xt.grad] + [v.grad for v in layer.weights]

    for got, want in zip(run(True), run(False)):
        assert got.dtype == np.float32 and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_mixed_dtypes_keep_numpy_promotion():
    layer = built("abc,cde->abde", (None, 3, 4), "de", (2, 5, 6))  # float64 weights
    x = ember.tensor(np.ones((2, 5, 6), np.float32), requires_grad=True)
    y = layer(x)
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float32 and layer.bias.grad.dtype == np.float64


@pytest.mark.parametrize("spec, n", [
    (("abc", "cde", "abde"), 1), (("abcd", "cde", "abe"), 2), (("ab", "bc", "ac"), 1),
    (("abc", "dce", "abde"), 0), (("abc", "cb", "ac"), 0), (("abc", "ced", "abed"), 1),
    (("abc", "ced", "abde"), 0), (("abcd", "dce", "abe"), 0), (("ab", "bc", "ca"), 0),
])
def test_matrix_axes(spec, n):
    assert _matrix_axes(*spec) == n
