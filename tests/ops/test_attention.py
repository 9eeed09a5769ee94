"""scaled_dot_product_attention: gradients, PyTorch parity, masks, dropout, scores, errors."""

import doctest
import importlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers.checks import compare_with_torch, numeric_gradcheck

import ember

sdpa = ember.scaled_dot_product_attention


@pytest.fixture
def gen():
    return np.random.default_rng(0)


def _qkv(gen, b=2, h=3, tq=4, tk=5, d=6, dv=3):
    return (gen.standard_normal((b, h, tq, d)), gen.standard_normal((b, h, tk, d)),
            gen.standard_normal((b, h, tk, dv)))


def _reference(q, k, v, keep=None, scale=None):
    """softmax(q k^T * scale) @ v in NumPy, masked positions set to -inf (rows kept non-empty)."""
    s = q @ np.swapaxes(k, -1, -2) * (scale or 1 / np.sqrt(q.shape[-1]))
    if keep is not None:
        s = np.where(keep, s, -np.inf)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    return p @ v, p


def test_gradcheck_q_k_v(gen):
    numeric_gradcheck(sdpa, *_qkv(gen))


def test_gradcheck_with_mask_causal_and_scale(gen):
    mask = gen.random((2, 1, 4, 5)) < 0.7
    mask[..., 0] = True
    numeric_gradcheck(lambda q, k, v: sdpa(q, k, v, mask=mask, is_causal=True, scale=0.3),
                      *_qkv(gen))


def test_gradcheck_scores_output(gen):
    q, k, v = _qkv(gen)
    numeric_gradcheck(lambda q, k: sdpa(q, k, v, is_causal=True, return_scores=True)[1], q, k)
    numeric_gradcheck(lambda q, k, v: sdpa(q, k, v, return_scores=True)[0], q, k, v)


def test_gradcheck_with_dropout(gen):
    def fn(q, k, v):
        ember.set_random_seed(3)  # the same dropout mask on every call
        return sdpa(q, k, v, dropout_rate=0.4, training=True)

    numeric_gradcheck(fn, *_qkv(gen))


def test_matches_torch(gen):
    compare_with_torch(sdpa, F.scaled_dot_product_attention, *_qkv(gen, tq=5, d=4, dv=7))


def test_matches_torch_with_broadcast_mask(gen):
    mask = gen.random((2, 1, 4, 5)) < 0.6  # a per-example mask shared by the heads
    mask[..., 2] = True
    compare_with_torch(lambda q, k, v: sdpa(q, k, v, mask=mask, scale=0.5),
                       lambda q, k, v: F.scaled_dot_product_attention(
                           q, k, v, attn_mask=torch.tensor(mask), scale=0.5),
                       *_qkv(gen))


def test_matches_torch_causal(gen):
    compare_with_torch(lambda q, k, v: sdpa(q, k, v, is_causal=True),
                       lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                       *_qkv(gen, tq=5, tk=5))
    # PyTorch takes one or the other: causal combined with a padding mask is their AND
    padding = np.array([True, True, True, False, True])
    both = np.tril(np.ones((4, 5), bool)) & padding
    compare_with_torch(lambda q, k, v: sdpa(q, k, v, mask=padding, is_causal=True),
                       lambda q, k, v: F.scaled_dot_product_attention(
                           q, k, v, attn_mask=torch.tensor(both)),
                       *_qkv(gen))


def test_float32_matches_torch(gen):
    arrays = [a.astype(np.float32) for a in _qkv(gen, b=3, h=2, tq=8, tk=8, d=16, dv=16)]
    compare_with_torch(lambda q, k, v: sdpa(q, k, v, is_causal=True),
                       lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                       *arrays, rtol=1e-4, atol=1e-5)


def test_return_scores_matches_reference(gen):
    q, k, v = _qkv(gen)
    keep = np.tril(np.ones((4, 5), bool))
    out, scores = sdpa(q, k, v, is_causal=True, return_scores=True)
    expected_out, expected_p = _reference(q, k, v, keep)
    np.testing.assert_allclose(out.numpy(), expected_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(scores.numpy(), expected_p, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sdpa(q, k, v, is_causal=True).numpy(), expected_out, rtol=1e-12)


def test_dropout_only_in_training_and_same_mask_both_paths(gen):
    q, k, v = _qkv(gen)
    plain = sdpa(q, k, v).numpy()
    np.testing.assert_array_equal(sdpa(q, k, v, dropout_rate=0.5).numpy(), plain)
    ember.set_random_seed(11)
    fused = sdpa(q, k, v, dropout_rate=0.5, training=True).numpy()
    ember.set_random_seed(11)
    split, _ = sdpa(q, k, v, dropout_rate=0.5, training=True, return_scores=True)
    ember.set_random_seed(11)
    keep = ember.backend.rng().random((2, 3, 4, 5)) < 0.5
    p = _reference(q, k, v)[1]
    np.testing.assert_allclose(fused, (p * keep / 0.5) @ v, rtol=1e-12)
    np.testing.assert_allclose(split.numpy(), fused, rtol=1e-12)
    assert not np.allclose(fused, plain)


def test_fully_masked_row_is_uniform_and_finite(gen):
    q, k, v = (ember.tensor(a, requires_grad=True) for a in _qkv(gen))
    mask = np.ones((4, 5), bool)
    mask[1] = False  # query 1 may attend to nothing
    out, scores = sdpa(q, k, v, mask=mask, return_scores=True)
    np.testing.assert_allclose(scores.numpy()[:, :, 1], 0.2)
    np.testing.assert_allclose(out.numpy()[:, :, 1], v.numpy().mean(axis=2))
    out2 = sdpa(q, k, v, mask=mask)
    np.testing.assert_allclose(out2.numpy(), out.numpy(), rtol=1e-12)
    out2.sum().backward()
    assert np.isfinite(q.grad).all() and np.isfinite(k.grad).all()
    np.testing.assert_array_equal(q.grad[:, :, 1], 0)  # its logits were constants


def test_integer_list_and_tensor_masks_are_cast_to_bool(gen):
    q, k, v = _qkv(gen)
    mask = (gen.random((4, 5)) < 0.5).astype(np.int64)
    mask[:, 0] = 1
    expected = sdpa(q, k, v, mask=mask.astype(bool)).numpy()
    np.testing.assert_allclose(expected, _reference(q, k, v, mask.astype(bool))[0], rtol=1e-12)
    for same in (mask, mask.tolist(), mask.astype(bool).tolist(), ember.tensor(mask)):
        np.testing.assert_array_equal(sdpa(q, k, v, mask=same).numpy(), expected)


def test_only_needed_gradients(gen):
    q, k, v = _qkv(gen)
    v_t = ember.tensor(v, requires_grad=True)
    sdpa(q, k, v_t).sum().backward()
    p = _reference(q, k, v)[1]
    np.testing.assert_allclose(v_t.grad, np.swapaxes(p, -1, -2) @ np.ones((2, 3, 4, 3)))


def test_docstring_examples_run():
    module = importlib.import_module("ember.ops.kernels.attention")
    assert doctest.testmod(module).failed == 0


def test_shape_errors_name_the_op_and_shapes():
    q = np.zeros((2, 3, 4, 6), np.float32)
    k = np.zeros((2, 3, 5, 6), np.float32)
    v = np.zeros((2, 3, 5, 2), np.float32)
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention: query, key and value "
                                         r"must have rank 4 \(batch, heads, time, depth\). "
                                         r"Received shapes \(3, 4, 6\)"):
        sdpa(q[0], k, v)
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention: query and key depths "
                                         r"differ \(6 != 5\). Received shapes \(2, 3, 4, 6\) and "
                                         r"\(2, 3, 5, 5\)"):
        sdpa(q, k[..., :5], v)
    with pytest.raises(ValueError, match=r"key and value time lengths differ \(5 != 4\). "
                                         r"Received shapes \(2, 3, 5, 6\) and \(2, 3, 4, 2\)"):
        sdpa(q, k, v[:, :, :4])
    with pytest.raises(ValueError, match=r"query, key and value need the same \(batch, heads\)"):
        sdpa(q, k[:, :2], v[:, :2])
    with pytest.raises(ValueError, match=r"the mask must broadcast to \(batch, heads, query "
                                         r"time, key time\) = \(2, 3, 4, 5\). Received: "
                                         r"mask.shape=\(4, 4\)"):
        sdpa(q, k, v, mask=np.ones((4, 4), bool))


def test_argument_errors():
    q = np.zeros((1, 1, 2, 4), np.float32)
    with pytest.raises(TypeError, match="scaled_dot_product_attention: query, key and value "
                                        "must share one float dtype. Received: float32, "
                                        "float64, float32"):
        sdpa(q, q.astype(np.float64), q)
    with pytest.raises(ValueError, match=r"dropout_rate must lie in \[0, 1\). "
                                         r"Received: dropout_rate=1.0"):
        sdpa(q, q, q, dropout_rate=1.0)
