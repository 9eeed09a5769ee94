"""Max and average pooling (channels-last) against PyTorch (NCHW) and finite differences.

"same" references pad explicitly with TensorFlow's rule: -inf for max pooling; for average
pooling, the sum of real elements divided by their count (TensorFlow excludes the padding).
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers.checks import compare_with_torch, numeric_gradcheck

import ember

GEN = np.random.default_rng(9)


def tf_pads(size, pool, stride, padding):
    if padding == "valid":
        return 0, 0
    total = max((-(-size // stride) - 1) * stride + pool - size, 0)
    return total // 2, total - total // 2


def torch_pool2d(kind, x, pool, strides, padding):
    """Keras' 2-D pooling through torch: NHWC in and out."""
    pool = tuple(np.broadcast_to(pool, 2))
    strides = pool if strides is None else tuple(np.broadcast_to(strides, 2))
    pads = [tf_pads(x.shape[1 + i], pool[i], strides[i], padding) for i in range(2)]
    width = (*pads[1], *pads[0])
    xt = x.permute(0, 3, 1, 2)
    if kind == "max":
        out = F.max_pool2d(F.pad(xt, width, value=-np.inf), pool, strides)
    else:
        total = F.avg_pool2d(F.pad(xt, width), pool, strides)
        real = F.avg_pool2d(F.pad(torch.ones_like(xt), width), pool, strides)
        out = total / real
    return out.permute(0, 2, 3, 1)


POOL2D = [
    # x shape, pool_size, strides, padding
    ((2, 6, 6, 3), 2, None, "valid"),
    ((2, 7, 5, 3), 2, None, "valid"),
    ((1, 6, 9, 2), (2, 3), None, "valid"),
    ((1, 7, 6, 2), 3, 2, "valid"),
    ((1, 7, 6, 2), 3, 2, "same"),
    ((1, 5, 5, 2), 2, None, "same"),
    ((1, 6, 6, 2), 3, 1, "same"),
    ((1, 6, 7, 2), (2, 3), (1, 2), "same"),
    ((1, 4, 4, 1), 4, 1, "valid"),
    ((1, 5, 6, 2), 1, 2, "valid"),
]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("xs, pool, strides, padding", POOL2D, ids=str)
def test_pool2d(kind, xs, pool, strides, padding):
    op = {"max": ember.max_pool2d, "avg": ember.avg_pool2d}[kind]
    x = GEN.standard_normal(xs)
    compare_with_torch(lambda t: op(t, pool, strides, padding),
                       lambda t: torch_pool2d(kind, t, pool, strides, padding), x)
    numeric_gradcheck(lambda t: op(t, pool, strides, padding), x)


POOL1D = [
    ((2, 8, 3), 2, None, "valid"),
    ((2, 9, 3), 2, None, "valid"),
    ((1, 9, 2), 3, 2, "same"),
    ((1, 7, 2), 2, 1, "same"),
    ((1, 8, 2), 3, 1, "valid"),
]


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("xs, pool, strides, padding", POOL1D, ids=str)
def test_pool1d(kind, xs, pool, strides, padding):
    op = {"max": ember.max_pool1d, "avg": ember.avg_pool1d}[kind]
    x = GEN.standard_normal(xs)
    compare_with_torch(lambda t: op(t, pool, strides, padding),
                       lambda t: torch_pool2d(kind, t[:, None], (1, pool),
                                              (1, strides or pool), padding)[:, 0], x)
    numeric_gradcheck(lambda t: op(t, pool, strides, padding), x)


def test_avg_pool_same_averages_only_real_elements():
    x = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    out = ember.avg_pool2d(x, 2, 1, "same").numpy()[0, :, :, 0]
    # TensorFlow's values: padding at the end only, excluded from the mean
    np.testing.assert_allclose(out, [[3.0, 4.0, 4.5], [6.0, 7.0, 7.5], [7.5, 8.5, 9.0]])


def test_max_pool_gradient_goes_to_the_first_maximum():
    x = ember.tensor(np.array([[1.0, 3.0], [3.0, 2.0]]).reshape(1, 2, 2, 1), requires_grad=True)
    ember.max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.ravel(), [0.0, 1.0, 0.0, 0.0])
    y = ember.tensor(np.zeros((1, 3, 3, 1)), requires_grad=True)  # overlapping, all tied
    ember.max_pool2d(y, 2, 1).sum().backward()
    np.testing.assert_array_equal(y.grad[0, :, :, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


@pytest.mark.parametrize("shape", [(3, 8, 6, 4), (2, 11, 11, 3), (2, 5, 7, 2)], ids=str)
def test_2x2_max_pool_ties_and_odd_sizes_match_torch(shape):
    """The 2x2 tiled fast path (a tournament of whole-array calls) against torch: values and
    first-maximum gradients with many ties (small integers, ReLU zeros), and the uncovered
    last row/column of odd sizes (zero gradient)."""
    rng = np.random.default_rng(1)
    x = np.maximum(rng.integers(-2, 3, shape), 0).astype(np.float32)
    g = rng.standard_normal((shape[0], shape[1] // 2, shape[2] // 2, shape[3])).astype(np.float32)
    xt = ember.tensor(x, requires_grad=True)
    out = ember.max_pool2d(xt, 2)
    out.backward(g)
    torch_x = torch.tensor(x).permute(0, 3, 1, 2).requires_grad_()
    torch_out = F.max_pool2d(torch_x, 2)
    torch_out.backward(torch.tensor(g).permute(0, 3, 1, 2))
    np.testing.assert_array_equal(out.numpy(), torch_out.detach().permute(0, 2, 3, 1).numpy())
    np.testing.assert_array_equal(xt.grad, torch_x.grad.permute(0, 2, 3, 1).numpy())


def test_2x2_max_pool_of_nan_windows_passes_no_gradient():
    x = np.ones((1, 2, 4, 1), np.float32)
    x[0, 0, 0, 0] = np.nan
    xt = ember.tensor(x, requires_grad=True)
    out = ember.max_pool2d(xt, 2)
    assert np.isnan(out.numpy()[0, 0, 0, 0])
    out.sum().backward()
    np.testing.assert_array_equal(xt.grad[0, :, :, 0], [[0, 0, 1, 0], [0, 0, 0, 0]])


@pytest.mark.parametrize("op", [ember.max_pool2d, ember.avg_pool2d])
def test_pool_keeps_float32(op):
    x = ember.tensor(GEN.standard_normal((2, 6, 6, 3)).astype(np.float32), requires_grad=True)
    for args in ((2,), (3, 2, "same")):
        y = op(x, *args)
        assert y.dtype == np.float32
        y.sum().backward()
        assert x.grad.dtype == np.float32


@pytest.mark.parametrize("call, message", [
    (lambda: ember.max_pool2d(np.ones((2, 4, 4)), 2),
     r"^max_pool2d: expected an input of rank 4 \(batch, height, width, channels\)\. Received: "
     r"x.shape=\(2, 4, 4\)$"),
    (lambda: ember.avg_pool1d(np.ones((2, 4, 4, 1)), 2),
     r"^avg_pool1d: expected an input of rank 3 \(batch, steps, channels\)\. Received: "
     r"x.shape=\(2, 4, 4, 1\)$"),
    (lambda: ember.max_pool2d(np.ones((1, 4, 4, 1)), (2, 0)),
     r"^max_pool2d: pool_size must be a positive int or a tuple of 2 positive ints\. Received: "
     r"pool_size=\(2, 0\)$"),
    (lambda: ember.avg_pool2d(np.ones((1, 4, 4, 1)), 2, strides=1.5),
     r"^avg_pool2d: strides must be a positive int or a tuple of 2 positive ints\. Received: "
     r"strides=1\.5$"),
    (lambda: ember.max_pool1d(np.ones((1, 4, 1)), 2, padding="causal"),
     r"^max_pool1d: padding must be one of \['valid', 'same'\]\. Received: padding='causal'$"),
    (lambda: ember.avg_pool2d(np.ones((1, 4, 4, 1)), 5),
     r"^avg_pool2d: pool_size 5 is larger than the input\. Received: x.shape=\(1, 4, 4, 1\), "
     r"padding='valid'$"),
])
def test_error_messages(call, message):
    with pytest.raises(ValueError, match=message):
        call()
