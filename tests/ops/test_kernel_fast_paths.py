"""The performance paths of the kernels, each against a reference on the same inputs: im2col's
two layouts, per-offset input gradients, the row-sum helper, batch-chunked max pooling, the
float32 Phi behind exact GELU, and dense on inputs of any rank."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers.checks import compare_with_torch, numeric_gradcheck
from scipy.special import erf

import ember
from ember.ops._gelu import _erf, _gelu_forward
from ember.ops._sums import column_sums
from ember.ops.kernels import conv

GEN = np.random.default_rng(21)


def torch_conv2d_nhwc(x, kernel, bias, strides, dilation, groups, pads):
    xt = F.pad(x.permute(0, 3, 1, 2), (*pads[1], *pads[0]))
    out = F.conv2d(xt, kernel.permute(3, 2, 0, 1).contiguous(), bias, stride=strides,
                   dilation=dilation, groups=groups)
    return out.permute(0, 2, 3, 1)


# channels per group on both sides of conv.FEW_CHANNELS: the window-view im2col and the
# shifted-image (transposed) im2col
@pytest.mark.parametrize("channels, groups", [(8, 1), (8, 2), (3, 1), (6, 3)])
@pytest.mark.parametrize("strides, dilation, padding", [((1, 1), (1, 1), "valid"),
                                                        ((2, 1), (1, 2), "same")])
def test_conv2d_both_im2col_layouts_match_torch(channels, groups, strides, dilation, padding):
    x = GEN.standard_normal((2, 7, 6, channels))
    k = GEN.standard_normal((3, 2, channels // groups, 6))
    b = GEN.standard_normal(6)
    pads = conv.spatial_pads("conv2d", x.shape, (3, 2), strides, dilation, padding, k.shape)

    def ours(xt, kt, bt):
        return ember.conv2d(xt, kt, bt, strides=strides, padding=padding,
                            dilation_rate=dilation, groups=groups)

    compare_with_torch(ours, lambda xt, kt, bt: torch_conv2d_nhwc(xt, kt, bt, strides, dilation,
                                                                  groups, pads), x, k, b)
    numeric_gradcheck(ours, x, k, b)


def test_conv2d_float32_mnist_shapes_match_torch():
    x = GEN.standard_normal((3, 13, 13, 32)).astype(np.float32)
    k = (GEN.standard_normal((3, 3, 32, 16)) * 0.1).astype(np.float32)
    b = GEN.standard_normal(16).astype(np.float32)
    compare_with_torch(lambda *t: ember.conv2d(*t),
                       lambda *t: torch_conv2d_nhwc(*t, (1, 1), (1, 1), 1, ((0, 0), (0, 0))),
                       x, k, b, rtol=1e-4, atol=1e-4)
    y = ember.conv2d(x, ember.tensor(k, requires_grad=True))
    assert y.dtype == np.float32


@pytest.mark.parametrize("shape", [(86528, 32), (15488, 64), (7, 3), (1, 5), (1000, 1),
                                   (33, 1024), (12, 10)])
def test_column_sums_equal_numpy_sum(shape):
    a = GEN.standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(column_sums(a), a.sum(axis=0, dtype=np.float64),
                               rtol=1e-4, atol=1e-3)
    strided = GEN.standard_normal((shape[0], 2 * shape[1]))[:, ::2]
    np.testing.assert_allclose(column_sums(strided), strided.sum(axis=0))


def test_batch_chunks_cover_the_batch_once():
    x = np.zeros((37, 100, 100))  # 80 kB per item
    chunks = conv.batch_chunks(x, target_bytes=1 << 20)
    assert len(chunks) == 3
    covered = np.concatenate([np.arange(37)[c] for c in chunks])
    np.testing.assert_array_equal(covered, np.arange(37))
    assert conv.batch_chunks(np.zeros((2, 10**6)), target_bytes=1000) == [slice(0, 1),
                                                                        slice(1, 2)]


@pytest.mark.parametrize("pool, strides", [(2, None), (3, 2)])
def test_max_pool_over_several_batch_chunks_matches_torch(pool, strides):
    # 40 images of 26x26x32 float32 (86 kB each) span four 1 MB chunks; the ReLU zeros make
    # ties, which must send the gradient to each window's first maximum
    x = np.maximum(GEN.standard_normal((40, 26, 26, 32)), 0).astype(np.float32)

    def ours(t):
        return ember.max_pool2d(t, pool, strides)

    def reference(t):
        out = F.max_pool2d(t.permute(0, 3, 1, 2), pool, strides or pool)
        return out.permute(0, 2, 3, 1)

    compare_with_torch(ours, reference, x)


def test_max_pool_sends_no_gradient_into_nan_windows():
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    x[0, 0, 1, 0] = np.nan
    t = ember.tensor(x, requires_grad=True)
    y = ember.max_pool2d(t, 2)
    assert np.isnan(y.numpy()[0, 0, 0, 0])
    y.sum().backward()
    np.testing.assert_array_equal(t.grad[0, :2, :2, 0], np.zeros((2, 2)))
    assert t.grad[0, 1, 3, 0] == 1 and t.grad.sum() == 3


def test_float32_exact_gelu_is_within_an_ulp_of_the_exact_value():
    # the fitted tanh form behind exact GELU in float32: Phi within 2e-7 (measured 1.4e-7;
    # the erf-based form before it: 2.6e-7), the derivative within 3e-7
    x = np.linspace(-10, 10, 400_001).astype(np.float32)
    x64 = x.astype(np.float64)
    phi = 0.5 * (1 + erf(x64 / np.sqrt(2)))
    y, d = _gelu_forward(x, approximate=False, with_derivative=True)
    assert y.dtype == d.dtype == np.float32
    assert np.abs((y - x64 * phi) / np.maximum(np.abs(x64), 1)).max() < 2e-7
    exact_d = phi + x64 * np.exp(-x64**2 / 2) / np.sqrt(2 * np.pi)
    assert np.abs(d - exact_d).max() < 3e-7
    special = np.float32([1e-30, -1e-20, 0.0, 1e4, -1e4, np.inf, -np.inf, np.nan])
    with np.errstate(over="raise"):
        y, _ = _gelu_forward(special[:-3], approximate=False, with_derivative=False)
    np.testing.assert_allclose(y, special[:-3] * 0.5 * (1 + erf(special[:-3] / np.sqrt(2))),
                               rtol=1e-6, atol=0)
    with np.errstate(invalid="ignore"):
        y, d = _gelu_forward(special[-3:], approximate=False, with_derivative=True)
    assert y[0] == np.inf and np.isnan(y[1:]).all()  # -inf * Phi(-inf) = -inf * 0, as PyTorch
    assert _erf(np.float64([0.5])) == erf(0.5)  # float64 stays exact


@pytest.mark.parametrize("approximate", [False, True])
def test_gelu_float32_on_a_wide_range_matches_torch(approximate):
    x = (GEN.standard_normal((64, 50)) * 4).astype(np.float32)
    compare_with_torch(lambda t: ember.gelu(t, approximate=approximate),
                       lambda t: F.gelu(t, approximate="tanh" if approximate else "none"), x,
                       rtol=1e-5, atol=1e-5)  # float32 gradients cancel near x = -4


@pytest.mark.parametrize("x_shape", [(3,), (2, 3, 4, 3)], ids=str)
def test_dense_on_vectors_and_rank_four_inputs_matches_torch(x_shape):
    x, w, b = GEN.standard_normal(x_shape), GEN.standard_normal((3, 5)), GEN.standard_normal(5)
    compare_with_torch(lambda *t: ember.dense(*t, activation="relu"),
                       lambda xt, wt, bt: torch.relu(xt @ wt + bt), x, w, b)
    numeric_gradcheck(lambda *t: ember.dense(*t, activation="tanh"), x, w, b)


@pytest.mark.parametrize("channels", [2, 8])
def test_conv2d_with_a_bias_of_another_dtype_adds_it_after_the_gemm(channels):
    # the bias rides in the GEMM only when all dtypes agree; otherwise it is added after
    x = GEN.standard_normal((2, 5, 5, channels)).astype(np.float32)
    k = GEN.standard_normal((3, 3, channels, 4)).astype(np.float32)
    b = GEN.standard_normal(4)  # float64
    xt, kt, bt = (ember.tensor(a, requires_grad=True) for a in (x, k, b))
    y = ember.conv2d(xt, kt, bt)
    expected = torch_conv2d_nhwc(*(torch.tensor(a.astype(np.float64)) for a in (x, k, b)),
                                 (1, 1), (1, 1), 1, ((0, 0), (0, 0)))
    np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=1e-5, atol=1e-5)
    y.sum().backward()
    assert (xt.grad.dtype, kt.grad.dtype, bt.grad.dtype) == (np.float32, np.float32, np.float64)
    np.testing.assert_allclose(bt.grad, np.full(4, 2 * 3 * 3), rtol=1e-6)
