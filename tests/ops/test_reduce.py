"""Reductions against PyTorch and finite differences (float64)."""

import numpy as np
import pytest
import torch
from helpers.checks import compare_with_torch, numeric_gradcheck

import ember

X = np.random.default_rng(3).standard_normal((3, 4, 5))
AXES = [None, 0, -1, (0, 2), (1,)]


def torch_dims(axis, ndim=3):
    return tuple(range(ndim)) if axis is None else axis


REDUCTIONS = [
    ("sum", ember.sum, lambda t, d, k: torch.sum(t, d, keepdim=k)),
    ("mean", ember.mean, lambda t, d, k: torch.mean(t, d, keepdim=k)),
    ("max", ember.max, lambda t, d, k: torch.amax(t, d, keepdim=k)),
    ("min", ember.min, lambda t, d, k: torch.amin(t, d, keepdim=k)),
    ("var", ember.var, lambda t, d, k: torch.var(t, d, correction=0, keepdim=k)),
    ("std", ember.std, lambda t, d, k: torch.std(t, d, correction=0, keepdim=k)),
    ("logsumexp", ember.logsumexp, lambda t, d, k: torch.logsumexp(t, d, keepdim=k)),
]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("name, op, torch_op", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reduction(name, op, torch_op, axis, keepdims):
    dims = torch_dims(axis)
    dims = dims if isinstance(dims, tuple) else (dims,)
    compare_with_torch(lambda t: op(t, axis=axis, keepdims=keepdims),
                       lambda t: torch_op(t, dims, keepdims), X)
    numeric_gradcheck(lambda t: op(t, axis=axis, keepdims=keepdims), X)


@pytest.mark.parametrize("axis", [None, 0, (0, 1), -1], ids=str)
def test_prod(axis):
    x = X[:2, :3, :2] + 0.5
    if axis is None:
        torch_fn = torch.prod
    elif isinstance(axis, tuple):
        torch_fn = lambda t: t.prod(axis[1]).prod(axis[0])  # noqa: E731
    else:
        torch_fn = lambda t: t.prod(axis)  # noqa: E731
    compare_with_torch(lambda t: ember.prod(t, axis=axis), torch_fn, x)
    numeric_gradcheck(lambda t: ember.prod(t, axis=axis), x)


def test_prod_gradient_with_zeros():
    x = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 3.0]])
    compare_with_torch(lambda t: ember.prod(t, axis=1), lambda t: t.prod(1), x)


def test_var_with_ddof():
    compare_with_torch(lambda t: ember.var(t, axis=1, ddof=1),
                       lambda t: torch.var(t, 1, correction=1), X)
    numeric_gradcheck(lambda t: ember.var(t, axis=(0, 1), ddof=1), X)


def test_max_ties_share_the_gradient_like_torch_amax():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    compare_with_torch(lambda t: ember.max(t, axis=1), lambda t: torch.amax(t, 1), x)
    compare_with_torch(lambda t: ember.min(t), lambda t: torch.amin(t), x)


def test_logsumexp_is_stable():
    x = ember.tensor(np.array([[1000.0, 1000.0], [-1000.0, -1e4]], np.float32),
                     requires_grad=True)
    y = ember.logsumexp(x, axis=1)
    np.testing.assert_allclose(y.numpy(), [1000 + np.log(2), -1000.0], rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [[0.5, 0.5], [1.0, 0.0]])


def test_reductions_keep_float32_and_aliases():
    x = ember.tensor(X.astype(np.float32), requires_grad=True)
    for op in (ember.sum, ember.mean, ember.max, ember.var, ember.logsumexp, ember.prod):
        assert op(x, axis=1).dtype == np.float32
    assert ember.amax is ember.max and ember.amin is ember.min


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (-1, True)])
def test_argmax_argmin(name, axis, keepdims):
    out = getattr(ember, name)(X, axis=axis, keepdims=keepdims)
    expected = getattr(np, name)(X, axis=axis, keepdims=keepdims)
    assert out.dtype == np.int64 and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "prod", "var", "logsumexp"])
def test_axis_out_of_range(name):
    message = rf"^{name}: axis {{}} is out of range for a tensor of rank 3$"
    with pytest.raises(ValueError, match=message.format(3)):
        getattr(ember, name)(X, axis=3)
    with pytest.raises(ValueError, match=message.format(-4)):
        getattr(ember, name)(X, axis=(0, -4))
