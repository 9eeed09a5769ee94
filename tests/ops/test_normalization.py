"""batch_norm, batch_norm_train, layer_norm, group_norm: gradients and PyTorch parity."""

import doctest
import importlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers.checks import compare_with_torch, numeric_gradcheck

import ember

EPS = 1e-3


@pytest.fixture
def gen():
    return np.random.default_rng(0)


def _channel_params(gen, c):
    return gen.standard_normal(c) + 1.0, gen.standard_normal(c)


# ----------------------------------------------------------------------------- batch_norm


@pytest.mark.parametrize("axis", [-1, 1])
def test_batch_norm_gradcheck_every_input(gen, axis):
    x = gen.standard_normal((3, 4, 5)) * 2 + 1
    c = x.shape[axis]
    mean, variance = gen.standard_normal(c), gen.random(c) + 0.5
    gamma, beta = _channel_params(gen, c)
    fn = lambda x, m, v, g, b: ember.batch_norm(x, m, v, g, b, epsilon=EPS, axis=axis)
    numeric_gradcheck(fn, x, mean, variance, gamma, beta)


def test_batch_norm_gradcheck_without_gamma_beta(gen):
    x, mean, variance = gen.standard_normal((6, 3)), gen.standard_normal(3), gen.random(3) + 0.5
    numeric_gradcheck(lambda x, m, v: ember.batch_norm(x, m, v), x, mean, variance)
    numeric_gradcheck(lambda x, v, b: ember.batch_norm(x, mean, v, beta=b), x, variance,
                      gen.standard_normal(3))


def test_batch_norm_eval_matches_torch(gen):
    x = gen.standard_normal((4, 3, 5, 5))  # channels-first for PyTorch: axis=1
    mean, variance = gen.standard_normal(3), gen.random(3) + 0.5
    gamma, beta = _channel_params(gen, 3)
    compare_with_torch(
        lambda x, g, b: ember.batch_norm(x, mean, variance, g, b, epsilon=EPS, axis=1),
        lambda x, g, b: F.batch_norm(x, torch.tensor(mean), torch.tensor(variance), g, b,
                                     training=False, eps=EPS),
        x, gamma, beta)
    # d/dmean and d/dvariance against the same formula through PyTorch's autograd
    compare_with_torch(
        lambda m, v: ember.batch_norm(x, m, v, gamma, beta, axis=1),
        lambda m, v: ((torch.tensor(x) - m[:, None, None]) / torch.sqrt(v[:, None, None] + EPS)
                      * torch.tensor(gamma)[:, None, None] + torch.tensor(beta)[:, None, None]),
        mean, variance)


def test_batch_norm_train_gradcheck_every_input(gen):
    x = gen.standard_normal((5, 3, 4)) * 3 - 2
    gamma, beta = _channel_params(gen, 4)
    numeric_gradcheck(lambda x, g, b: ember.batch_norm_train(x, g, b), x, gamma, beta)
    numeric_gradcheck(lambda x, g, b: ember.batch_norm_train(x, g, b, axis=1), x,
                      *_channel_params(gen, 3))
    numeric_gradcheck(lambda x: ember.batch_norm_train(x), x)


@pytest.mark.parametrize("layout", ["channels_first", "channels_last"])
def test_batch_norm_train_matches_torch(gen, layout):
    x = gen.standard_normal((4, 3, 5, 6)) * 2 + 0.5
    gamma, beta = _channel_params(gen, 3)
    if layout == "channels_first":
        ours = lambda x, g, b: ember.batch_norm_train(x, g, b, axis=1)[0]
        theirs = lambda x, g, b: F.batch_norm(x, None, None, g, b, training=True, eps=EPS)
    else:
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
        ours = lambda x, g, b: ember.batch_norm_train(x, g, b)[0]
        theirs = lambda x, g, b: F.batch_norm(x.permute(0, 3, 1, 2), None, None, g, b,
                                              training=True, eps=EPS).permute(0, 2, 3, 1)
    compare_with_torch(ours, theirs, x, gamma, beta)


def test_batch_norm_train_statistics(gen):
    x = gen.standard_normal((8, 2, 3)) * 4 + 3
    y, mean, var = ember.batch_norm_train(ember.tensor(x, requires_grad=True), axis=-1)
    np.testing.assert_allclose(mean.numpy(), x.mean(axis=(0, 1)), rtol=1e-12)
    np.testing.assert_allclose(var.numpy(), x.var(axis=(0, 1)), rtol=1e-12)  # biased (ddof=0)
    assert not mean.requires_grad and not var.requires_grad and y.requires_grad
    # PyTorch keeps the unbiased variance in running_var: N / (N - 1) times ours
    running_mean = torch.zeros(3, dtype=torch.float64)
    running_var = torch.ones(3, dtype=torch.float64)
    F.batch_norm(torch.tensor(x).permute(0, 2, 1), running_mean, running_var, training=True,
                 momentum=1.0)
    n = 16
    np.testing.assert_allclose(mean.numpy(), running_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(var.numpy() * n / (n - 1), running_var.numpy(), rtol=1e-12)


def test_batch_norm_float32_params_with_float64_input(gen):
    x = ember.tensor(gen.standard_normal((4, 3)), requires_grad=True)
    gamma = ember.tensor(np.ones(3, np.float32), requires_grad=True)
    beta = ember.tensor(np.zeros(3, np.float32), requires_grad=True)
    y, _, _ = ember.batch_norm_train(x, gamma, beta)
    (y * y).sum().backward()
    assert y.dtype == np.float64
    assert gamma.grad.dtype == np.float32 and beta.grad.dtype == np.float32


def test_batch_norm_float32_stays_float32(gen):
    x = gen.standard_normal((16, 8)).astype(np.float32)
    y = ember.batch_norm(x, np.zeros(8, np.float32), np.ones(8, np.float32))
    assert y.dtype == np.float32
    y, mean, var = ember.batch_norm_train(x)
    assert y.dtype == mean.dtype == var.dtype == np.float32


# ----------------------------------------------------------------------------- layer_norm


@pytest.mark.parametrize("axis", [-1, (1, 2), 1])
def test_layer_norm_gradcheck_every_input(gen, axis):
    x = gen.standard_normal((3, 4, 5)) * 2 + 1
    shape = (5,) if axis == -1 else (4, 5) if axis == (1, 2) else (4,)
    gamma, beta = gen.standard_normal(shape) + 1, gen.standard_normal(shape)
    numeric_gradcheck(lambda x, g, b: ember.layer_norm(x, g, b, axis=axis), x, gamma, beta)


def test_layer_norm_gradcheck_without_params(gen):
    numeric_gradcheck(lambda x: ember.layer_norm(x), gen.standard_normal((4, 6)))


def test_layer_norm_over_every_axis(gen):
    x = gen.standard_normal((3, 4))
    gamma, beta = gen.standard_normal((3, 4)), gen.standard_normal((3, 4))
    numeric_gradcheck(lambda x, g, b: ember.layer_norm(x, g, b, axis=(0, 1)), x, gamma, beta)
    expected = (x - x.mean()) / np.sqrt(x.var() + EPS) * gamma + beta
    np.testing.assert_allclose(ember.layer_norm(x, gamma, beta, axis=(0, 1)).numpy(), expected,
                               rtol=1e-12)


def test_layer_norm_parameter_shape_follows_the_axis_order(gen):
    # Keras: gamma has shape [x.shape[a] for a in axis] and is reshaped to broadcast
    x = gen.standard_normal((2, 3, 4))
    gamma, beta = gen.standard_normal((4, 3)), gen.standard_normal((4, 3))
    y = ember.layer_norm(x, gamma, beta, axis=(2, 1))
    xhat = (x - x.mean((1, 2), keepdims=True)) / np.sqrt(x.var((1, 2), keepdims=True) + EPS)
    expected = xhat * gamma.reshape(1, 3, 4) + beta.reshape(1, 3, 4)
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-12)
    numeric_gradcheck(lambda x, g, b: ember.layer_norm(x, g, b, axis=(2, 1)), x, gamma, beta)


@pytest.mark.parametrize("axis", [-1, (-2, -1)])
def test_layer_norm_matches_torch(gen, axis):
    x = gen.standard_normal((2, 3, 4, 5)) * 3 + 1
    shape = x.shape[-1:] if axis == -1 else x.shape[-2:]
    gamma, beta = gen.standard_normal(shape) + 1, gen.standard_normal(shape)
    compare_with_torch(lambda x, g, b: ember.layer_norm(x, g, b, axis=axis),
                       lambda x, g, b: F.layer_norm(x, shape, g, b, eps=EPS), x, gamma, beta)


@pytest.mark.parametrize("has_gamma, has_beta", [(True, False), (False, True)])
@pytest.mark.parametrize("shape", [(3, 4, 5), (7,)], ids=str)
def test_layer_norm_last_axis_with_one_param(gen, shape, has_gamma, has_beta):
    # the last-axis kernel (BLAS row sums) with either parameter alone, and on a vector
    x = gen.standard_normal(shape) * 2 + 1
    params = [gen.standard_normal(shape[-1]) + 1 for _ in range(has_gamma + has_beta)]

    def ours(x, *p):
        return ember.layer_norm(x, p[0] if has_gamma else None,
                                p[-1] if has_beta else None, epsilon=1e-5)

    def theirs(x, *p):
        return F.layer_norm(x, shape[-1:], p[0] if has_gamma else None,
                            p[-1] if has_beta else None, eps=1e-5)

    compare_with_torch(ours, theirs, x, *params)
    numeric_gradcheck(ours, x, *params)


def test_layer_norm_parameter_gradients_alone(gen):
    # only gamma and beta need gradients (x is a constant): same values as with all three
    x = (gen.standard_normal((6, 5, 8)) * 2).astype(np.float32)
    gamma, beta = (a.astype(np.float32) for a in _channel_params(gen, 8))
    g = gen.standard_normal(x.shape).astype(np.float32)
    grads = []
    for x_grad in (False, True):
        ts = [ember.tensor(x, requires_grad=x_grad)] + [
            ember.tensor(a, requires_grad=True) for a in (gamma, beta)]
        ember.layer_norm(*ts).backward(g)
        grads.append([t.grad for t in ts[1:]])
        assert (ts[0].grad is not None) == x_grad
    for alone, together in zip(*grads):
        np.testing.assert_array_equal(alone, together)
    xt = torch.tensor(x)
    gt, bt = (torch.tensor(a, requires_grad=True) for a in (gamma, beta))
    F.layer_norm(xt, (8,), gt, bt, eps=EPS).backward(torch.tensor(g))
    np.testing.assert_allclose(grads[0][0], gt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(grads[0][1], bt.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_layer_norm_inner_axis_matches_torch(gen):
    x = gen.standard_normal((2, 6, 3))
    gamma, beta = gen.standard_normal(6) + 1, gen.standard_normal(6)
    compare_with_torch(
        lambda x, g, b: ember.layer_norm(x, g, b, epsilon=1e-5, axis=1),
        lambda x, g, b: F.layer_norm(x.transpose(1, 2), (6,), g, b, eps=1e-5).transpose(1, 2),
        x, gamma, beta)


# ----------------------------------------------------------------------------- group_norm


@pytest.mark.parametrize("shape, groups", [((2, 3, 4, 6), 3), ((3, 4), 2), ((2, 5, 4), 1)])
def test_group_norm_gradcheck_every_input(gen, shape, groups):
    x = gen.standard_normal(shape) * 2 + 1
    gamma, beta = _channel_params(gen, shape[-1])
    numeric_gradcheck(lambda x, g, b: ember.group_norm(x, groups, g, b), x, gamma, beta)


@pytest.mark.parametrize("shape, groups", [((2, 3, 4, 6), 3), ((2, 5, 8), 4), ((4, 6), 6)])
def test_group_norm_matches_torch(gen, shape, groups):
    x = gen.standard_normal(shape) * 2 + 1
    gamma, beta = _channel_params(gen, shape[-1])
    last = len(shape) - 1

    def theirs(x, g, b):  # PyTorch wants channels first: move them there and back
        return F.group_norm(x.movedim(last, 1), groups, g, b, eps=EPS).movedim(1, last)

    compare_with_torch(lambda x, g, b: ember.group_norm(x, groups, g, b), theirs, x, gamma, beta)


def test_group_norm_without_params_matches_torch(gen):
    x = gen.standard_normal((2, 3, 4))
    compare_with_torch(lambda x: ember.group_norm(x, 2),
                       lambda x: F.group_norm(x.movedim(2, 1), 2, eps=EPS).movedim(1, 2), x)


# ------------------------------------------------------------------------- shared behaviour


def test_float32_matches_torch(gen):
    x = (gen.standard_normal((8, 5, 12)) * 3 + 2).astype(np.float32)
    gamma, beta = (a.astype(np.float32) for a in _channel_params(gen, 12))
    tol = dict(rtol=1e-4, atol=1e-5)
    compare_with_torch(lambda x, g, b: ember.batch_norm_train(x, g, b)[0],
                       lambda x, g, b: F.batch_norm(x.transpose(1, 2), None, None, g, b,
                                                    training=True, eps=EPS).transpose(1, 2),
                       x, gamma, beta, **tol)
    compare_with_torch(lambda x, g, b: ember.layer_norm(x, g, b),
                       lambda x, g, b: F.layer_norm(x, (12,), g, b, eps=EPS), x, gamma, beta, **tol)
    compare_with_torch(lambda x, g, b: ember.group_norm(x, 4, g, b),
                       lambda x, g, b: F.group_norm(x.transpose(1, 2), 4, g, b,
                                                    eps=EPS).transpose(1, 2),
                       x, gamma, beta, **tol)



def test_inputs_are_not_modified(gen):
    x = gen.standard_normal((4, 6))
    gamma, beta = _channel_params(gen, 6)
    before = [x.copy(), gamma.copy(), beta.copy()]
    tensors = [ember.tensor(a, requires_grad=True) for a in (x, gamma, beta)]
    for fn in (lambda x, g, b: ember.batch_norm_train(x, g, b)[0],
               lambda x, g, b: ember.layer_norm(x, g, b),
               lambda x, g, b: ember.group_norm(x, 3, g, b)):
        fn(*tensors).sum().backward()
    for a, b in zip((x, gamma, beta), before):
        np.testing.assert_array_equal(a, b)


def test_no_grad_builds_no_graph(gen):
    x = ember.tensor(gen.standard_normal((4, 3)), requires_grad=True)
    with ember.no_grad():
        y, mean, _ = ember.batch_norm_train(x)
        z = ember.layer_norm(x)
    assert not y.requires_grad and not z.requires_grad
    assert mean.shape == (3,)


@pytest.mark.parametrize("name", ["normalization", "layer_norm"])
def test_docstring_examples_run(name):
    module = importlib.import_module(f"ember.ops.kernels.{name}")
    assert doctest.testmod(module).failed == 0


# --------------------------------------------------------------------------------- errors


def test_parameter_shape_errors():
    x = np.zeros((4, 3), np.float32)
    with pytest.raises(ValueError, match=r"batch_norm: gamma must have shape \(3,\).*"
                                         r"Received: gamma.shape=\(4,\)"):
        ember.batch_norm(x, np.zeros(3), np.ones(3), gamma=np.ones(4))
    with pytest.raises(ValueError, match=r"batch_norm: variance must have shape \(3,\)"):
        ember.batch_norm(x, np.zeros(3), np.ones(2))
    with pytest.raises(ValueError, match=r"batch_norm_train: beta must have shape \(4,\)"):
        ember.batch_norm_train(x, beta=np.ones(3), axis=0)
    with pytest.raises(ValueError, match=r"layer_norm: gamma must have shape \(4, 3\)"):
        ember.layer_norm(x, gamma=np.ones(3), axis=(0, 1))
    with pytest.raises(ValueError, match=r"group_norm: beta must have shape \(3,\)"):
        ember.group_norm(x, 3, beta=np.ones(6))


def test_argument_errors():
    x = np.zeros((4, 6), np.float32)
    with pytest.raises(ValueError, match="batch_norm: axis 2 is out of range for a tensor of "
                                         "rank 2"):
        ember.batch_norm(x, np.zeros(6), np.ones(6), axis=2)
    with pytest.raises(ValueError, match="layer_norm: epsilon must be non-negative. "
                                         "Received: epsilon=-1"):
        ember.layer_norm(x, epsilon=-1)
    with pytest.raises(ValueError, match=r"batch_norm_train: batch statistics need more than "
                                         r"one value per channel. Received: x.shape=\(1, 6\)"):
        ember.batch_norm_train(x[:1])
    with pytest.raises(ValueError, match=r"group_norm: the number of channels \(6\) must be a "
                                         r"multiple of groups. Received: groups=4"):
        ember.group_norm(x, 4)
    with pytest.raises(ValueError, match="group_norm: the number of channels"):
        ember.group_norm(x, 12)
    with pytest.raises(ValueError, match=r"layer_norm: axis must name distinct axes, at least "
                                         r"one. Received: axis=\(1, -1\)"):
        ember.layer_norm(x, axis=(1, -1))
    with pytest.raises(TypeError, match="group_norm: x must be a float tensor. "
                                        "Received: dtype=int64"):
        ember.group_norm(np.ones((2, 4), np.int64), 2)
    with pytest.raises(ValueError, match=r"group_norm: expected inputs of shape \(batch, ..., "
                                         r"channels\). Received: x.shape=\(6,\)"):
        ember.group_norm(x[0], 2)
