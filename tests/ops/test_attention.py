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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_logits_take_the_max_shifted_softmax(gen, dtype):
    # logits in the hundreds: exp would overflow without subtracting each row's maximum
    q, k, v = (a.astype(dtype) for a in _qkv(gen, tq=6, tk=6))
    q = q * 60
    keep = np.tril(np.ones((6, 6), bool))
    expected_out, expected_p = _reference(q, k, v, keep)
    assert np.abs(q @ np.swapaxes(k, -1, -2)).max() / np.sqrt(6) > 100
    out, scores = sdpa(q, k, v, is_causal=True, return_scores=True)
    # float32: gradients up to ~3, with the logits' rounding amplified by |q| ~ 60
    tol = dict(rtol=1e-4, atol=5e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(scores.numpy(), expected_p, **tol)
    np.testing.assert_allclose(out.numpy(), expected_out, **tol)
    compare_with_torch(lambda q, k, v: sdpa(q, k, v, is_causal=True),
                       lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
                       q, k, v, **tol)


def test_both_softmax_paths_agree():
    # logits within the shift-free limit give the same probabilities with and without the shift
    from ember.ops.kernels.attention import _softmax_keys

    s = np.random.default_rng(1).standard_normal((2, 3, 7, 5)).astype(np.float32) * 8
    bias = np.where(np.tri(7, 5, -1, dtype=bool), np.float32(-1e30), np.float32(0))
    shifted = _softmax_keys(s.copy(), bias, all_rows_live=False)
    free = _softmax_keys(s.copy(), bias, all_rows_live=True)
    expected = np.exp(np.where(bias < 0, -np.inf, s.astype(np.float64)))
    expected /= expected.sum(axis=-2, keepdims=True)
    np.testing.assert_allclose(shifted, expected, rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(free, expected, rtol=2e-6, atol=1e-7)


def test_float32_inputs_as_transposed_views_match_torch(gen):
    # the layout MultiHeadAttention passes: (B, T, H, D) projections viewed as (B, H, T, D)
    q, k, v = (gen.standard_normal((2, 9, 3, 4)).astype(np.float32).transpose(0, 2, 1, 3)
               for _ in range(3))
    tensors = [ember.tensor(a, requires_grad=True) for a in (q, k, v)]
    tensors[0].data, tensors[1].data, tensors[2].data = q, k, v  # keep the strided views
    assert not tensors[0].data.flags.c_contiguous
    out = sdpa(*tensors, is_causal=True)
    g = gen.standard_normal(out.shape).astype(np.float32)
    out.backward(g)
    torch_in = [torch.tensor(np.ascontiguousarray(a), requires_grad=True) for a in (q, k, v)]
    expected = F.scaled_dot_product_attention(*torch_in, is_causal=True)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    for t, tt in zip(tensors, torch_in):
        np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_causal_mask_cache_keeps_dtypes_and_lengths_apart(gen):
    for tq, tk in ((4, 4), (3, 5), (4, 4)):
        q, k, v = _qkv(gen, tq=tq, tk=tk)
        keep = np.tri(tq, tk, dtype=bool)
        for dtype in (np.float32, np.float64):
            out = sdpa(q.astype(dtype), k.astype(dtype), v.astype(dtype), is_causal=True)
            assert out.dtype == dtype
            np.testing.assert_allclose(out.numpy(), _reference(q, k, v, keep)[0], rtol=1e-4,
                                       atol=1e-5)


def test_vector_padding_mask_matches_torch(gen):
    padding = np.array([True, False, True, True, False])  # (Tk,): the same for every query
    compare_with_torch(lambda q, k, v: sdpa(q, k, v, mask=padding),
                       lambda q, k, v: F.scaled_dot_product_attention(
                           q, k, v, attn_mask=torch.tensor(padding[None])),
                       *_qkv(gen))


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
