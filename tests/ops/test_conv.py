"""Convolutions (channels-last, Keras layouts) against PyTorch (NCHW/OIHW) and finite differences.

PyTorch pads symmetrically, so "same" cases pad explicitly with TensorFlow's rule first (the
odd extra row at the end). conv2d_transpose is checked against its definition: the gradient of
the forward convolution with respect to that convolution's input, taken by torch.autograd.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers.checks import compare_with_torch, numeric_gradcheck

import ember

GEN = np.random.default_rng(4)


def tf_pads(size, kernel, stride, dilation, padding):
    """TensorFlow's (before, after) padding of one axis."""
    if padding == "valid":
        return 0, 0
    span = (kernel - 1) * dilation + 1
    if padding == "causal":
        return span - 1, 0
    total = max((-(-size // stride) - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def torch_conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation=1, groups=1,
                 pads=None):
    """Keras' conv2d through torch: NHWC/HWIO in and out."""
    strides, dilation = np.broadcast_to(strides, 2), np.broadcast_to(dilation, 2)
    kh, kw = kernel.shape[:2]
    if pads is None:
        pads = [tf_pads(x.shape[1 + i], (kh, kw)[i], strides[i], dilation[i], padding)
                for i in range(2)]
    xt = F.pad(x.permute(0, 3, 1, 2), (*pads[1], *pads[0]))
    weight = kernel.permute(3, 2, 0, 1).contiguous()  # torch needs it so for 1x1 outputs
    out = F.conv2d(xt.contiguous(), weight, bias, stride=tuple(strides),
                   dilation=tuple(dilation), groups=groups)
    return out.permute(0, 2, 3, 1)


CONV2D = [
    # x shape, kernel shape, strides, padding, dilation, groups
    ((2, 5, 6, 3), (3, 3, 3, 4), 1, "valid", 1, 1),
    ((2, 5, 6, 3), (3, 3, 3, 4), 1, "same", 1, 1),
    ((1, 7, 6, 2), (3, 2, 2, 3), 2, "same", 1, 1),
    ((1, 8, 7, 2), (2, 4, 2, 3), (2, 3), "same", 1, 1),
    ((1, 7, 7, 2), (3, 3, 2, 2), (2, 1), "valid", 1, 1),
    ((1, 9, 8, 2), (3, 3, 2, 2), 1, "same", 2, 1),
    ((1, 9, 8, 2), (2, 3, 2, 2), 1, "valid", (2, 3), 1),
    ((2, 6, 5, 4), (3, 3, 2, 6), 1, "same", 1, 2),
    ((1, 6, 6, 6), (3, 1, 2, 3), 2, "valid", 1, 3),
    ((1, 4, 4, 3), (1, 1, 3, 5), 1, "valid", 1, 1),
    ((1, 5, 5, 2), (5, 5, 2, 1), 1, "valid", 1, 1),
    ((1, 3, 3, 1), (4, 4, 1, 2), 3, "same", 1, 1),
]


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("xs, ks, strides, padding, dilation, groups", CONV2D, ids=str)
def test_conv2d(xs, ks, strides, padding, dilation, groups, bias):
    x, k, b = GEN.standard_normal(xs), GEN.standard_normal(ks), GEN.standard_normal(ks[-1])
    options = {"strides": strides, "padding": padding, "dilation_rate": dilation,
               "groups": groups}
    if bias:
        compare_with_torch(lambda *t: ember.conv2d(*t, **options),
                           lambda xt, kt, bt: torch_conv2d(xt, kt, bt, strides, padding,
                                                           dilation, groups), x, k, b)
        numeric_gradcheck(lambda *t: ember.conv2d(*t, **options), x, k, b)
    else:
        compare_with_torch(lambda *t: ember.conv2d(*t, **options),
                           lambda xt, kt: torch_conv2d(xt, kt, None, strides, padding,
                                                       dilation, groups), x, k)
        numeric_gradcheck(lambda *t: ember.conv2d(*t, **options), x, k)


@pytest.mark.parametrize("xs, ks, strides, padding, dilation, groups", CONV2D[:3] + CONV2D[7:8],
                         ids=str)
def test_conv2d_with_fused_relu(xs, ks, strides, padding, dilation, groups):
    x, k, b = GEN.standard_normal(xs), GEN.standard_normal(ks), GEN.standard_normal(ks[-1])
    options = {"strides": strides, "padding": padding, "dilation_rate": dilation,
               "groups": groups, "activation": "relu"}
    compare_with_torch(lambda *t: ember.conv2d(*t, **options),
                       lambda xt, kt, bt: torch.relu(torch_conv2d(xt, kt, bt, strides, padding,
                                                                  dilation, groups)), x, k, b)
    numeric_gradcheck(lambda *t: ember.conv2d(*t, **options), x, k, b)


def test_conv1d_with_fused_relu_matches_the_separate_ops():
    x, k = GEN.standard_normal((2, 9, 3)), GEN.standard_normal((3, 3, 4))
    compare_with_torch(lambda xt, kt: ember.conv1d(xt, kt, padding="causal", activation="relu"),
                       lambda xt, kt: torch.relu(torch_conv2d(
                           xt[:, None], kt[None], None, 1, "valid", 1, 1,
                           pads=[(0, 0), (2, 0)])[:, 0]), x, k)


CONV1D = [
    ((2, 9, 3), (3, 3, 4), 1, "valid", 1, 1),
    ((2, 9, 3), (3, 3, 4), 2, "same", 1, 1),
    ((2, 8, 3), (2, 3, 2), 1, "same", 1, 1),
    ((1, 9, 2), (3, 2, 3), 1, "causal", 2, 1),
    ((1, 9, 4), (3, 2, 4), 1, "causal", 1, 2),
    ((1, 10, 2), (4, 2, 2), 3, "valid", 1, 1),
]


@pytest.mark.parametrize("xs, ks, strides, padding, dilation, groups", CONV1D, ids=str)
def test_conv1d(xs, ks, strides, padding, dilation, groups):
    x, k, b = GEN.standard_normal(xs), GEN.standard_normal(ks), GEN.standard_normal(ks[-1])
    options = {"strides": strides, "padding": padding, "dilation_rate": dilation,
               "groups": groups}
    pad = tf_pads(xs[1], ks[0], strides, dilation, padding)

    def reference(xt, kt, bt):
        out = torch_conv2d(xt[:, None], kt[None], bt, (1, strides), padding, (1, dilation),
                           groups, pads=[(0, 0), pad])
        return out[:, 0]

    compare_with_torch(lambda *t: ember.conv1d(*t, **options), reference, x, k, b)
    numeric_gradcheck(lambda *t: ember.conv1d(*t, **options), x, k, b)


def test_same_padding_puts_the_extra_element_at_the_end():
    x = np.array([1.0, 2.0, 3.0, 4.0]).reshape(1, 4, 1)
    kernel = np.array([1.0, 10.0]).reshape(2, 1, 1)
    out = ember.conv1d(x, kernel, padding="same")
    np.testing.assert_allclose(out.numpy().ravel(), [21.0, 32.0, 43.0, 4.0])
    causal = ember.conv1d(x, kernel, padding="causal")
    np.testing.assert_allclose(causal.numpy().ravel(), [10.0, 21.0, 32.0, 43.0])


def test_conv_keeps_float32_and_skips_unneeded_gradients():
    x = GEN.standard_normal((2, 6, 6, 3)).astype(np.float32)
    k = ember.tensor(GEN.standard_normal((3, 3, 3, 4)).astype(np.float32), requires_grad=True)
    b = ember.tensor(np.zeros(4, np.float32), requires_grad=True)
    y = ember.conv2d(x, k, b, padding="same")
    assert y.dtype == np.float32
    y.sum().backward()
    assert k.grad.dtype == np.float32 and b.grad.dtype == np.float32
    np.testing.assert_allclose(b.grad, np.full(4, 72.0))
    expected = torch_conv2d(torch.tensor(x), torch.tensor(k.numpy()), padding="same")
    np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=1e-4, atol=1e-5)


def torch_conv2d_transpose(x, kernel, bias, out_hw, strides, padding, dilation):
    """Keras' conv2d_transpose by definition: d/dy <conv2d(y, kernel), x>, y of the output size.

    The transposed-conv kernel (kh, kw, filters, C) is the forward kernel HWIO mapping
    ``filters`` channels to C.
    """
    y = torch.zeros((x.shape[0], *out_hw, kernel.shape[2]), dtype=x.dtype, requires_grad=True)
    forward = torch_conv2d(y, kernel, None, strides, padding, dilation)
    (out,) = torch.autograd.grad(forward, y, grad_outputs=x, create_graph=True)
    return out if bias is None else out + bias


TRANSPOSE = [
    # x (H, W), kernel (kh, kw), strides, padding, output_padding, dilation -> Keras' output size
    ((4, 4), (3, 3), 2, "same", None, 1, (8, 8)),
    ((4, 5), (3, 3), 2, "valid", None, 1, (9, 11)),
    ((3, 3), (2, 2), 3, "valid", None, 1, (9, 9)),
    ((4, 4), (3, 3), 2, "same", 1, 1, (8, 8)),
    ((4, 4), (3, 3), 2, "same", 0, 1, (7, 7)),
    ((3, 4), (3, 2), (2, 1), "valid", (1, 0), 1, (8, 5)),
    ((4, 4), (3, 3), 1, "same", None, 2, (4, 4)),
    ((5, 3), (4, 4), 2, "same", None, 1, (10, 6)),
    ((3, 3), (1, 1), 2, "same", None, 1, (6, 6)),
    ((3, 3), (2, 2), 1, "valid", None, 2, (5, 5)),
]


@pytest.mark.parametrize("hw, khw, strides, padding, output_padding, dilation, expected",
                         TRANSPOSE, ids=str)
def test_conv2d_transpose(hw, khw, strides, padding, output_padding, dilation, expected):
    x = GEN.standard_normal((2, *hw, 3))
    k = GEN.standard_normal((*khw, 4, 3))
    b = GEN.standard_normal(4)
    options = {"strides": strides, "padding": padding, "output_padding": output_padding,
               "dilation_rate": dilation}
    out = ember.conv2d_transpose(x, k, b, **options)
    assert out.shape == (2, *expected, 4)
    compare_with_torch(lambda *t: ember.conv2d_transpose(*t, **options),
                       lambda xt, kt, bt: torch_conv2d_transpose(xt, kt, bt, expected, strides,
                                                                 padding, dilation), x, k, b)
    numeric_gradcheck(lambda *t: ember.conv2d_transpose(*t, **options), x, k, b)


def test_conv2d_transpose_matches_torch_conv_transpose_when_padding_agrees():
    # "valid" with output_padding: both frameworks give (H - 1) * s + k + output_padding
    x, k = GEN.standard_normal((2, 3, 4, 2)), GEN.standard_normal((3, 3, 5, 2))
    compare_with_torch(
        lambda xt, kt: ember.conv2d_transpose(xt, kt, strides=2, output_padding=1),
        lambda xt, kt: F.conv_transpose2d(xt.permute(0, 3, 1, 2), kt.permute(3, 2, 0, 1),
                                          stride=2, output_padding=1).permute(0, 2, 3, 1),
        x, k)


DEPTHWISE = [
    ((2, 5, 5, 3), (3, 3, 3, 1), 1, "valid", 1),
    ((1, 6, 5, 2), (3, 3, 2, 3), 1, "same", 1),
    ((1, 7, 7, 2), (3, 2, 2, 2), 2, "same", 1),
    ((1, 8, 8, 2), (3, 3, 2, 1), 1, "same", 2),
    ((1, 7, 6, 3), (2, 2, 3, 2), (2, 1), "valid", 1),
]


@pytest.mark.parametrize("xs, ks, strides, padding, dilation", DEPTHWISE, ids=str)
def test_depthwise_conv2d(xs, ks, strides, padding, dilation):
    x, k, b = GEN.standard_normal(xs), GEN.standard_normal(ks), GEN.standard_normal(ks[2] * ks[3])
    options = {"strides": strides, "padding": padding, "dilation_rate": dilation}
    channels = xs[-1]

    def reference(xt, kt, bt):  # a grouped conv with one group per input channel
        grouped = kt.reshape(*ks[:2], 1, -1)
        return torch_conv2d(xt, grouped, bt, strides, padding, dilation, groups=channels)

    compare_with_torch(lambda *t: ember.depthwise_conv2d(*t, **options), reference, x, k, b)
    numeric_gradcheck(lambda *t: ember.depthwise_conv2d(*t, **options), x, k, b)
    numeric_gradcheck(lambda *t: ember.depthwise_conv2d(*t, **options), x, k)


X4, K4 = np.ones((2, 5, 5, 4)), np.ones((3, 3, 4, 6))

ERRORS = [
    (lambda: ember.conv2d(X4, np.ones((3, 3, 4, 2)), activation="gelu"), ValueError,
     r"^conv2d: activation must be None, 'linear' or 'relu' \(apply others after the op\)\. "
     r"Received: activation='gelu'$"),
    (lambda: ember.conv2d(np.ones((5, 5, 4)), K4), ValueError,
     r"^conv2d: expected x of rank 4 and a kernel of rank 4 \(x \(N, H, W, C\), kernel HWIO\)\. "
     r"Received shapes \(5, 5, 4\) and \(3, 3, 4, 6\)$"),
    (lambda: ember.conv2d(X4, np.ones((3, 3, 3, 6))), ValueError,
     r"^conv2d: the input has 4 channels but the kernel expects 3 x groups=1\. Received shapes "
     r"\(2, 5, 5, 4\) and \(3, 3, 3, 6\)$"),
    (lambda: ember.conv2d(X4, np.ones((3, 3, 2, 5)), groups=2), ValueError,
     r"^conv2d: the kernel's 5 output channels are not divisible by groups=2\. Received shapes "
     r"\(2, 5, 5, 4\) and \(3, 3, 2, 5\)$"),
    (lambda: ember.conv2d(X4, K4, groups=0), ValueError,
     r"^conv2d: groups must be a positive int\. Received: groups=0$"),
    (lambda: ember.conv2d(X4, K4, np.ones(4)), ValueError,
     r"^conv2d: the bias must have shape \(6,\)\. Received shapes \(3, 3, 4, 6\) and \(4,\)$"),
    (lambda: ember.conv2d(X4, K4, padding="full"), ValueError,
     r"^conv2d: padding must be one of \['valid', 'same'\]\. Received: padding='full'$"),
    (lambda: ember.conv2d(X4, K4, padding="causal"), ValueError,
     r"^conv2d: padding must be one of \['valid', 'same'\]\. Received: padding='causal'$"),
    (lambda: ember.conv2d(X4, K4, strides=(1, 0)), ValueError,
     r"^conv2d: strides must be a positive int or a tuple of 2 positive ints\. Received: "
     r"strides=\(1, 0\)$"),
    (lambda: ember.conv2d(X4, K4, dilation_rate=(1, 2, 3)), ValueError,
     r"^conv2d: dilation_rate must be a positive int or a tuple of 2 positive ints\. Received: "
     r"dilation_rate=\(1, 2, 3\)$"),
    (lambda: ember.conv2d(X4, np.ones((6, 3, 4, 6))), ValueError,
     r"^conv2d: the window \(size 6, dilation 1\) is larger than the padded input \(size 5\), "
     r"no output is left\. Received shapes \(2, 5, 5, 4\) and \(6, 3, 4, 6\)$"),
    (lambda: ember.conv2d(X4, K4, dilation_rate=3), ValueError,
     r"^conv2d: the window \(size 3, dilation 3\) is larger than the padded input"),
    (lambda: ember.conv1d(np.ones((2, 5, 4)), np.ones((3, 3, 6))), ValueError,
     r"^conv1d: the input has 4 channels but the kernel expects 3 x groups=1\. Received shapes "
     r"\(2, 5, 4\) and \(3, 3, 6\)$"),
    (lambda: ember.conv1d(X4, K4), ValueError,
     r"^conv1d: expected x of rank 3 and a kernel of rank 3 \(x \(N, W, C\), kernel \(k, I, O\)\)"
     r"\. Received shapes \(2, 5, 5, 4\) and \(3, 3, 4, 6\)$"),
    (lambda: ember.conv1d(np.ones((2, 5, 4)), np.ones((3, 4, 6)), strides=(1, 1)), ValueError,
     r"^conv1d: strides must be a positive int or a tuple of 1 positive ints\. Received: "
     r"strides=\(1, 1\)$"),
    (lambda: ember.conv2d_transpose(X4, np.ones((3, 3, 6, 3))), ValueError,
     r"^conv2d_transpose: the input has 4 channels but the kernel \(kh, kw, filters, C\) expects "
     r"3\. Received shapes \(2, 5, 5, 4\) and \(3, 3, 6, 3\)$"),
    (lambda: ember.conv2d_transpose(X4, np.ones((3, 3, 4))), ValueError,
     r"^conv2d_transpose: expected x of rank 4 \(N, H, W, C\) and a kernel of rank 4 "
     r"\(kh, kw, filters, C\)\. Received shapes \(2, 5, 5, 4\) and \(3, 3, 4\)$"),
    (lambda: ember.conv2d_transpose(X4, np.ones((3, 3, 6, 4)), strides=2, output_padding=2),
     ValueError, r"^conv2d_transpose: strides must be greater than output padding\. Received: "
                 r"strides=\(2, 2\), output_padding=\(2, 2\)$"),
    (lambda: ember.conv2d_transpose(X4, np.ones((3, 3, 6, 4)), output_padding=-1), ValueError,
     r"^conv2d_transpose: output_padding must be a non-negative int or a tuple of 2 of them\. "
     r"Received: output_padding=-1$"),
    (lambda: ember.conv2d_transpose(X4, np.ones((3, 3, 6, 4)), np.ones(4)), ValueError,
     r"^conv2d_transpose: the bias must have shape \(6,\)\. Received shapes \(3, 3, 6, 4\) and "
     r"\(4,\)$"),
    (lambda: ember.conv2d_transpose(np.ones((1, 1, 3, 4)), np.ones((2, 2, 6, 4)), strides=2,
                                    padding="same", output_padding=0), ValueError,
     r"^conv2d_transpose: the output size \(0, 4\) is empty\. Received shapes \(1, 1, 3, 4\) "
     r"and \(2, 2, 6, 4\)$"),
    (lambda: ember.depthwise_conv2d(X4, np.ones((3, 3, 3, 2))), ValueError,
     r"^depthwise_conv2d: the input has 4 channels but the kernel expects 3\. Received shapes "
     r"\(2, 5, 5, 4\) and \(3, 3, 3, 2\)$"),
    (lambda: ember.depthwise_conv2d(X4, np.ones((3, 3, 4))), ValueError,
     r"^depthwise_conv2d: expected x of rank 4 \(N, H, W, C\) and a kernel of rank 4 "
     r"\(kh, kw, C, multiplier\)\. Received shapes \(2, 5, 5, 4\) and \(3, 3, 4\)$"),
    (lambda: ember.depthwise_conv2d(X4, np.ones((3, 3, 4, 2)), np.ones(4)), ValueError,
     r"^depthwise_conv2d: the bias must have shape \(8,\)\. Received shapes \(3, 3, 4, 2\) and "
     r"\(4,\)$"),
]


@pytest.mark.parametrize("call, error, message", ERRORS, ids=[e[2][1:30] for e in ERRORS])
def test_error_messages(call, error, message):
    with pytest.raises(error, match=message):
        call()
