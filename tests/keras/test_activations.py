"""Activations: values against PyTorch or the written formula, gradients by finite differences,
identifiers and serialization."""

import math

import numpy as np
import pytest
from helpers.checks import compare_with_torch, numeric_gradcheck

import ember
from ember.keras import activations

X = np.linspace(-4.1, 3.9, 24).reshape(4, 6)  # avoids the kinks at 0, +-1, +-3 exactly


def _torch(name, **kwargs):
    import torch
    import torch.nn.functional as F

    table = {
        "relu": F.relu, "relu6": F.relu6, "elu": F.elu, "selu": F.selu, "celu": F.celu,
        "softplus": F.softplus, "softsign": F.softsign, "silu": F.silu, "gelu": F.gelu,
        "tanh": torch.tanh, "sigmoid": torch.sigmoid, "exponential": torch.exp,
        "hard_sigmoid": F.hardsigmoid, "hard_silu": F.hardswish, "hard_tanh": F.hardtanh,
        "mish": F.mish, "log_sigmoid": F.logsigmoid, "tanh_shrink": F.tanhshrink,
        "hard_shrink": F.hardshrink, "soft_shrink": F.softshrink, "glu": F.glu,
        "softmax": lambda x: F.softmax(x, dim=-1), "log_softmax": lambda x: F.log_softmax(x, -1),
        "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    }
    fn = table[name]
    return lambda x: fn(x, **kwargs)


TORCH_NAMES = ["relu", "relu6", "elu", "selu", "celu", "softplus", "softsign", "silu", "gelu",
               "tanh", "sigmoid", "exponential", "hard_sigmoid", "hard_silu", "hard_tanh",
               "mish", "log_sigmoid", "tanh_shrink", "hard_shrink", "soft_shrink", "glu",
               "softmax", "log_softmax", "leaky_relu"]


@pytest.mark.parametrize("name", TORCH_NAMES)
def test_matches_torch(name):
    compare_with_torch(activations.get(name), _torch(name), X, rtol=1e-6, atol=1e-8)


def _formula(name):
    return {
        "squareplus": lambda x: (x + np.sqrt(x * x + 4)) / 2,
        "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x < 1, (x + 1) ** 2 / 4, x)),
        "sparse_sigmoid": lambda x: np.clip((x + 1) / 2, 0, 1),
        "linear": lambda x: x,
        "crelu": lambda x: np.concatenate([np.maximum(x, 0), np.maximum(-x, 0)], -1),
        "gelu_approximate": lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi)
                                                             * (x + 0.044715 * x ** 3))),
    }[name]


@pytest.mark.parametrize("name", ["squareplus", "sparse_plus", "sparse_sigmoid", "linear",
                                  "crelu"])
def test_matches_formula_and_finite_differences(name):
    fn = activations.get(name)
    np.testing.assert_allclose(fn(ember.tensor(X)).numpy(), _formula(name)(X), rtol=1e-7)
    if name != "linear":
        numeric_gradcheck(fn, X)


def test_gelu_defaults_to_exact_and_can_approximate():
    np.testing.assert_allclose(activations.gelu(ember.tensor(X), approximate=True).numpy(),
                               _formula("gelu_approximate")(X), rtol=1e-7)
    exact = activations.gelu(ember.tensor(X)).numpy()
    from scipy.special import erf

    np.testing.assert_allclose(exact, 0.5 * X * (1 + erf(X / math.sqrt(2))), rtol=1e-7)


def test_threshold_and_relu_options_follow_keras():
    x = ember.tensor(np.array([-10, -5, 0.0, 5, 10]))
    np.testing.assert_allclose(activations.relu(x, negative_slope=0.5).numpy(),
                               [-5, -2.5, 0, 5, 10])
    np.testing.assert_allclose(activations.relu(x, max_value=5.0).numpy(), [0, 0, 0, 5, 5])
    np.testing.assert_allclose(activations.relu(x, threshold=5.0).numpy(), [0, 0, 0, 0, 10])
    np.testing.assert_allclose(activations.relu(x, negative_slope=0.1, max_value=6,
                                                threshold=1.0).numpy(),
                               [-1.1, -0.6, -0.1, 5, 6])
    np.testing.assert_allclose(activations.threshold(x, threshold=0.5, default_value=-1.0)
                               .numpy(), [-1, -1, -1, 5, 10])
    numeric_gradcheck(lambda t: activations.relu(t, negative_slope=0.1, max_value=3.0,
                                                 threshold=0.5), X)


def test_sparsemax_projects_onto_the_simplex():
    out = activations.sparsemax(ember.tensor(X)).numpy()
    np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-9)
    assert (out >= 0).all()
    # the projection: out = max(x - tau, 0) with the tau that makes the row sum to 1
    for row, result in zip(X, out):
        support = result > 0
        tau = (row[support].sum() - 1) / support.sum()
        np.testing.assert_allclose(result, np.maximum(row - tau, 0), atol=1e-12)
    numeric_gradcheck(activations.sparsemax, X * 0.3)


@pytest.mark.parametrize("name", TORCH_NAMES + ["squareplus", "sparse_plus", "sparse_sigmoid"])
def test_float32_in_float32_out(name):
    out = activations.get(name)(ember.tensor(X.astype(np.float32)))
    assert out.dtype == np.float32


def test_glu_needs_an_even_axis():
    with pytest.raises(ValueError, match="the size of axis -1 must be divisible by 2"):
        activations.glu(ember.tensor(np.ones((2, 3))))


def test_identifiers_aliases_and_serialization():
    assert activations.get(None) is activations.linear
    assert activations.get("swish") is activations.silu
    assert activations.get("hard_swish") is activations.hard_silu
    assert activations.serialize(activations.get("swish")) == "silu"
    assert activations.serialize(activations.relu) == "relu"
    assert activations.deserialize("gelu") is activations.gelu
    assert activations.deserialize({"module": "builtins", "class_name": "function",
                                    "config": "tanh", "registered_name": "function"}) \
        is activations.tanh

    def my_act(x):
        return x * 2

    assert activations.get(my_act) is my_act
    assert activations.serialize(my_act) == "my_act"


def test_every_keras_name_resolves():
    names = ["relu", "leaky_relu", "relu6", "softmax", "celu", "elu", "selu", "softplus",
             "softsign", "squareplus", "soft_shrink", "sparse_plus", "silu", "swish", "gelu",
             "glu", "tanh", "tanh_shrink", "threshold", "sigmoid", "sparse_sigmoid",
             "exponential", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh",
             "hard_shrink", "linear", "mish", "log_softmax", "log_sigmoid", "sparsemax"]
    for name in names:
        assert callable(activations.get(name)), name


def test_unknown_and_wrong_case_names_raise_with_a_suggestion():
    with pytest.raises(ValueError) as info:
        activations.get("Relu")
    message = str(info.value)
    assert "Could not interpret activation function identifier: 'Relu'" in message
    assert "Did you mean 'relu'?" in message and "Valid activation function names:" in message
