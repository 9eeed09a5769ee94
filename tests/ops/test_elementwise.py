"""Elementwise ops against PyTorch and finite differences (float64)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers.checks import compare_with_torch, numeric_gradcheck

import ember

GEN = np.random.default_rng(7)


def sample(shape, domain="any"):
    """float64 inputs kept away from each op's kinks and poles."""
    x = GEN.standard_normal(shape) * 2
    if domain == "positive":
        return np.abs(x) + 0.3
    if domain == "unit":  # (-1, 1) for log1p and friends
        return np.tanh(x) * 0.9
    # "any": no value within 0.05 of 0, 3 or 6 (relu, hard_sigmoid and relu6 kinks)
    for kink in (0.0, 3.0, -3.0, 6.0):
        x = np.where(np.abs(x - kink) < 0.05, x + 0.1, x)
    return x


UNARY = [
    # name, ember op, torch op, input domain
    ("negative", ember.negative, torch.neg, "any"),
    ("exp", ember.exp, torch.exp, "any"),
    ("log", ember.log, torch.log, "positive"),
    ("log1p", ember.log1p, torch.log1p, "unit"),
    ("sqrt", ember.sqrt, torch.sqrt, "positive"),
    ("square", ember.square, torch.square, "any"),
    ("abs", ember.abs, torch.abs, "any"),
    ("sin", ember.sin, torch.sin, "any"),
    ("cos", ember.cos, torch.cos, "any"),
    ("tanh", ember.tanh, torch.tanh, "any"),
    ("sigmoid", ember.sigmoid, torch.sigmoid, "any"),
    ("relu", ember.relu, torch.relu, "any"),
    ("relu6", ember.relu6, F.relu6, "any"),
    ("leaky_relu", ember.leaky_relu, lambda x: F.leaky_relu(x, 0.2), "any"),
    ("leaky_relu_0.05", lambda x: ember.leaky_relu(x, negative_slope=0.05),
     lambda x: F.leaky_relu(x, 0.05), "any"),
    ("elu", ember.elu, F.elu, "any"),
    ("elu_alpha", lambda x: ember.elu(x, alpha=0.5), lambda x: F.elu(x, 0.5), "any"),
    ("selu", ember.selu, F.selu, "any"),
    ("gelu_tanh", ember.gelu, lambda x: F.gelu(x, approximate="tanh"), "any"),
    ("gelu_erf", lambda x: ember.gelu(x, approximate=False), F.gelu, "any"),
    ("silu", ember.silu, F.silu, "any"),
    ("softplus", ember.softplus, F.softplus, "any"),
    ("softsign", ember.softsign, F.softsign, "any"),
    ("hard_sigmoid", ember.hard_sigmoid, F.hardsigmoid, "any"),
]


@pytest.mark.parametrize("name, op, torch_op, domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary_matches_torch(name, op, torch_op, domain):
    compare_with_torch(op, torch_op, sample((3, 5), domain))
    compare_with_torch(op, torch_op, sample((4,), domain).astype(np.float32), rtol=1e-5,
                       atol=1e-6)


@pytest.mark.parametrize("name, op, torch_op, domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary_gradcheck(name, op, torch_op, domain):
    numeric_gradcheck(op, sample((2, 3, 2), domain))


@pytest.mark.parametrize("name, op, torch_op, domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary_keeps_float32(name, op, torch_op, domain):
    x = ember.tensor(sample((3,), domain).astype(np.float32), requires_grad=True)
    y = op(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("op", [ember.sigmoid, ember.softplus, ember.tanh, ember.silu,
                                ember.gelu, ember.selu, ember.elu])
def test_activations_stay_finite_at_extremes(op):
    x = ember.tensor(np.array([-1000.0, -80.0, 0.0, 80.0, 1000.0], np.float32),
                     requires_grad=True)
    with np.errstate(over="raise"):
        y = op(x)
    y.sum().backward()
    assert np.all(np.isfinite(y.numpy())) and np.all(np.isfinite(x.grad))


@pytest.mark.parametrize("approximate", [False, True])
def test_gelu_derivative_is_computed_only_when_recording(approximate):
    # the forward computes the derivative for backward only when the graph is recorded; the
    # output is the same either way
    from ember.ops._gelu import Gelu

    x = sample((50,)).astype(np.float32)
    t = ember.tensor(x, requires_grad=True)
    y = ember.gelu(t, approximate=approximate)
    assert y._ctx.d is not None
    with ember.no_grad():
        y_free = ember.gelu(t, approximate=approximate)
    np.testing.assert_array_equal(y_free.numpy(), y.numpy())
    ctx = Gelu()
    with ember.no_grad():
        ctx.forward(x, approximate=approximate)
    assert ctx.d is None


def test_gelu_docstring_example_runs():
    import doctest

    import ember.ops._gelu as module

    assert doctest.testmod(module).failed == 0


@pytest.mark.parametrize("approximate", [False, True])
def test_gelu_float16_is_computed_in_float32(approximate):
    x = sample((40,))
    t = ember.tensor(x.astype(np.float16), requires_grad=True)
    y = ember.gelu(t, approximate=approximate)
    y.sum().backward()
    assert y.dtype == t.grad.dtype == np.float16
    xt = torch.tensor(x.astype(np.float16).astype(np.float64), requires_grad=True)
    expected = F.gelu(xt, approximate="tanh" if approximate else "none")
    expected.sum().backward()
    np.testing.assert_allclose(y.numpy(), expected.detach().numpy(), rtol=2e-3, atol=1e-3)
    np.testing.assert_allclose(t.grad, xt.grad.numpy(), rtol=2e-3, atol=1e-3)


BINARY = [
    ("add", ember.add, torch.add, "any"),
    ("subtract", ember.subtract, torch.sub, "any"),
    ("multiply", ember.multiply, torch.mul, "any"),
    ("divide", ember.divide, torch.div, "positive"),
    ("power", ember.power, torch.pow, "positive"),
    ("maximum", ember.maximum, torch.maximum, "any"),
    ("minimum", ember.minimum, torch.minimum, "any"),
]
SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((), (2, 3)), ((3, 1), (1, 4)),
          ((2, 3), ())]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("name, op, torch_op, domain", BINARY, ids=[b[0] for b in BINARY])
def test_binary_broadcasting(name, op, torch_op, domain, shapes):
    a, b = sample(shapes[0], domain), sample(shapes[1], domain)
    compare_with_torch(op, torch_op, a, b)
    numeric_gradcheck(op, a, b)


@pytest.mark.parametrize("name, op, torch_op, domain", BINARY, ids=[b[0] for b in BINARY])
def test_binary_error_names_op_and_shapes(name, op, torch_op, domain):
    with pytest.raises(ValueError, match=rf"^{name}: cannot broadcast\. Received shapes "
                                         r"\(2, 3\) and \(4,\)$"):
        op(np.ones((2, 3)), np.ones(4))


def test_maximum_ties_send_the_gradient_to_the_first_operand():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = ember.tensor([1.0, 3.0], requires_grad=True)
    ember.maximum(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 0.0])
    np.testing.assert_array_equal(b.grad, [0.0, 1.0])


def test_power_gradient_of_the_exponent_at_zero_base():
    base = ember.tensor(np.array([0.0, 2.0]), requires_grad=True)
    exponent = ember.tensor(np.array([2.0, 3.0]), requires_grad=True)
    ember.power(base, exponent).sum().backward()
    np.testing.assert_allclose(exponent.grad, [0.0, 8 * np.log(2.0)])
    np.testing.assert_allclose(base.grad, [0.0, 12.0])


def test_sign_is_a_constant():
    x = ember.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    s = ember.sign(x)
    np.testing.assert_array_equal(s.numpy(), [-1, 0, 1])
    assert not s.requires_grad


@pytest.mark.parametrize("low, high", [(-0.5, 0.5), (0.0, 10.0), (-10.0, -1.0)])
def test_clip(low, high):
    x = sample((4, 3))
    compare_with_torch(lambda t: ember.clip(t, low, high), lambda t: torch.clamp(t, low, high), x)
    numeric_gradcheck(lambda t: ember.clip(t, low, high), x)


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4), (3, 4)), ((3, 1), (3, 4), (4,)),
                                    ((4,), (2, 1, 4), ())], ids=str)
def test_where(shapes):
    condition = GEN.random(shapes[0]) > 0.5
    a, b = sample(shapes[1]), sample(shapes[2])
    compare_with_torch(lambda x, y: ember.where(condition, x, y),
                       lambda x, y: torch.where(torch.from_numpy(condition), x, y), a, b)
    numeric_gradcheck(lambda x, y: ember.where(condition, x, y), a, b)


def test_where_with_scalars_and_shape_error():
    x = ember.tensor([1.0, -2.0], requires_grad=True)
    y = ember.where(x > 0, x, 0.0)
    assert y.dtype == np.float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0])
    with pytest.raises(ValueError, match=r"where: cannot broadcast\. Received shapes \(2,\) and "
                                         r"\(2, 3\) and \(3, 1, 4\)"):
        ember.where(np.ones(2), np.ones((2, 3)), np.ones((3, 1, 4)))


@pytest.mark.parametrize("source, target", [("float64", "float32"), ("float32", "float64")])
def test_cast_between_floats_is_differentiable(source, target):
    x = ember.tensor(np.array([1.5, -2.0], source), requires_grad=True)
    y = ember.cast(x, target)
    assert y.dtype == np.dtype(target)
    (y * y).sum().backward()
    assert x.grad.dtype == np.dtype(source)
    np.testing.assert_allclose(x.grad, [3.0, -4.0])
    numeric_gradcheck(lambda t: ember.cast(t, "float64") * 2, np.array([1.0, 2.0]))


def test_cast_to_int_and_same_dtype():
    x = ember.tensor([1.7, -2.2], requires_grad=True)
    assert ember.cast(x, "float32") is x
    i = ember.cast(x, "int32")
    assert i.dtype == np.int32 and not i.requires_grad
    np.testing.assert_array_equal(i.numpy(), [1, -2])


@pytest.mark.parametrize("name", ["equal", "not_equal", "less", "less_equal", "greater",
                                  "greater_equal"])
def test_comparison_functions(name):
    a, b = np.array([[1.0, 2.0, 3.0]]), np.array([[2.0], [1.0]])
    out = getattr(ember, name)(a, b)
    assert out.dtype == np.bool_ and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), getattr(np, name)(a, b))
