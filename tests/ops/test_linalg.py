"""matmul and the fused dense op against PyTorch and finite differences (float64)."""

import numpy as np
import pytest
import torch
from helpers.checks import compare_with_torch, numeric_gradcheck

import ember

GEN = np.random.default_rng(5)

MATMUL_SHAPES = [
    ((3, 4), (4, 5)),
    ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((4,), (4, 5)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4,)),
    ((4,), (2, 4, 3)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes):
    a, b = GEN.standard_normal(shapes[0]), GEN.standard_normal(shapes[1])
    compare_with_torch(ember.matmul, torch.matmul, a, b)
    compare_with_torch(lambda x, y: x @ y, lambda x, y: x @ y, a, b)
    numeric_gradcheck(ember.matmul, a, b)


def test_matmul_one_operand_needs_grad_and_dot_alias():
    a = ember.tensor(GEN.standard_normal((3, 4)), requires_grad=True)
    b = GEN.standard_normal((4, 2))
    ember.dot(a, b).sum().backward()
    np.testing.assert_allclose(a.grad, np.ones((3, 2)) @ b.T)


@pytest.mark.parametrize("shapes, message", [
    (((2, 3), (4, 2)), r"^matmul: inner dimensions differ \(3 != 4\)\. Received shapes \(2, 3\) "
                       r"and \(4, 2\)$"),
    (((3,), (2,)), r"^matmul: inner dimensions differ \(3 != 2\)\. Received shapes \(3,\) and "
                   r"\(2,\)$"),
    (((2, 2, 3), (3, 3, 2)), r"^matmul: batch axes cannot broadcast\. Received shapes "
                             r"\(2, 2, 3\) and \(3, 3, 2\)$"),
    (((2, 3), ()), r"^matmul: operands must be at least 1-D\. Received shapes \(2, 3\) and "
                   r"\(\)$"),
])
def test_matmul_errors(shapes, message):
    with pytest.raises(ValueError, match=message):
        ember.matmul(np.ones(shapes[0]), np.ones(shapes[1]) if shapes[1] else 2.0)


TORCH_ACTIVATIONS = {None: lambda z: z, "linear": lambda z: z, "relu": torch.relu,
                     "sigmoid": torch.sigmoid, "tanh": torch.tanh,
                     "gelu": torch.nn.functional.gelu,
                     "gelu_approximate": lambda z: torch.nn.functional.gelu(z, approximate="tanh")}


@pytest.mark.parametrize("x_shape", [(5, 3), (2, 4, 3)], ids=str)
@pytest.mark.parametrize("activation", list(TORCH_ACTIVATIONS), ids=str)
def test_dense(activation, x_shape):
    x, w, b = (GEN.standard_normal(x_shape), GEN.standard_normal((3, 4)),
               GEN.standard_normal(4))
    act = TORCH_ACTIVATIONS[activation]
    compare_with_torch(lambda x_, w_, b_: ember.dense(x_, w_, b_, activation),
                       lambda x_, w_, b_: act(x_ @ w_ + b_), x, w, b)
    compare_with_torch(lambda x_, w_: ember.dense(x_, w_, activation=activation),
                       lambda x_, w_: act(x_ @ w_), x, w)
    numeric_gradcheck(lambda x_, w_, b_: ember.dense(x_, w_, b_, activation), x, w, b)


def test_dense_float32_and_input_without_grad():
    x = GEN.standard_normal((6, 3)).astype(np.float32)
    w = ember.tensor(GEN.standard_normal((3, 2)).astype(np.float32), requires_grad=True)
    b = ember.tensor(np.zeros(2, np.float32), requires_grad=True)
    y = ember.dense(x, w, b, "relu")
    assert y.dtype == np.float32
    y.sum().backward()
    assert w.grad.dtype == np.float32 and b.grad.shape == (2,)
    np.testing.assert_allclose(b.grad, (x @ w.numpy() > 0).sum(0))


def test_dense_with_mixed_float_dtypes_returns_gradients_in_input_dtypes():
    x = ember.tensor(GEN.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    w = ember.tensor(GEN.standard_normal((3, 2)), requires_grad=True)  # float64
    b = ember.tensor(np.zeros(2, np.float32), requires_grad=True)
    y = ember.dense(x, w, b, "tanh")
    assert y.dtype == np.float64
    y.sum().backward()
    assert (x.grad.dtype, w.grad.dtype, b.grad.dtype) == (np.float32, np.float64, np.float32)
    expected = (1 - np.tanh(x.numpy().astype(np.float64) @ w.numpy()) ** 2).sum(0)
    np.testing.assert_allclose(b.grad, expected, rtol=1e-6)


@pytest.mark.parametrize("activation, approximate", [("gelu", False),
                                                     ("gelu_approximate", True)])
@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_dense_fused_gelu_matches_dense_then_gelu_op(activation, approximate, dtype):
    """The fused GELU gives the Gelu op's values and gradients (float32 rounding; float16 is
    computed in float32 by both)."""
    arrays = [GEN.standard_normal(s).astype(dtype) for s in ((2, 5, 3), (3, 4), (4,))]

    def run(fused):
        x, w, b = (ember.tensor(a, requires_grad=True) for a in arrays)
        if fused:
            y = ember.dense(x, w, b, activation)
        else:
            y = ember.gelu(ember.dense(x, w, b), approximate=approximate)
        (y * ember.tensor(np.arange(40.0).reshape(2, 5, 4).astype(dtype))).sum().backward()
        return [y.numpy()] + [t.grad for t in (x, w, b)]

    tol = {"float32": 1e-6, "float16": 1e-3}[dtype]
    for fused, plain in zip(run(True), run(False)):
        assert fused.dtype == np.dtype(dtype)
        np.testing.assert_allclose(fused, plain, rtol=tol, atol=tol)


def test_dense_fused_gelu_without_grad():
    x, w = GEN.standard_normal((4, 3)), GEN.standard_normal((3, 2))
    with ember.no_grad():
        y = ember.dense(x, w, activation="gelu")
    z = x @ w
    np.testing.assert_allclose(y.numpy(), torch.nn.functional.gelu(torch.tensor(z)).numpy())
    assert y._ctx is None


@pytest.mark.parametrize("args, message", [
    (((2, 3), (4, 2)), r"^dense: expected x of shape \(\.\.\., n\) and a kernel of shape "
                       r"\(n, units\)\. Received shapes \(2, 3\) and \(4, 2\)$"),
    (((2, 3), (3, 2, 1)), r"^dense: expected x of shape .* Received shapes \(2, 3\) and "
                          r"\(3, 2, 1\)$"),
    (((2, 3), (3, 2), (3,)), r"^dense: the bias must have shape \(2,\)\. Received shapes "
                             r"\(3, 2\) and \(3,\)$"),
])
def test_dense_shape_errors(args, message):
    with pytest.raises(ValueError, match=message):
        ember.dense(*[np.ones(s) for s in args])


def test_dense_activation_error():
    with pytest.raises(ValueError, match=r"^dense: activation must be one of \['gelu', "
                                         r"'gelu_approximate', 'linear', 'relu', 'sigmoid', "
                                         r"'tanh'\] or None\. Received: activation='selu'$"):
        ember.dense(np.ones((2, 3)), np.ones((3, 2)), activation="selu")
