"""Shape ops and array creation against PyTorch, NumPy and finite differences (float64)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers.checks import compare_with_torch, numeric_gradcheck

import ember

GEN = np.random.default_rng(11)
X = GEN.standard_normal((2, 3, 4))

ONE_INPUT = [
    # id, ember fn, torch fn
    ("reshape", lambda t: ember.reshape(t, (4, -1)), lambda t: t.reshape(4, -1)),
    ("reshape_int", lambda t: ember.reshape(t, 24), lambda t: t.reshape(24)),
    ("transpose", lambda t: ember.transpose(t), lambda t: t.permute(2, 1, 0)),
    ("transpose_axes", lambda t: ember.transpose(t, (1, -1, 0)), lambda t: t.permute(1, 2, 0)),
    ("swapaxes", lambda t: ember.swapaxes(t, 0, 2), lambda t: t.transpose(0, 2)),
    ("moveaxis", lambda t: ember.moveaxis(t, 0, -1), lambda t: torch.movedim(t, 0, -1)),
    ("moveaxis_many", lambda t: ember.moveaxis(t, (0, 1), (2, 0)),
     lambda t: torch.movedim(t, (0, 1), (2, 0))),
    ("expand_dims", lambda t: ember.expand_dims(t, 1), lambda t: t.unsqueeze(1)),
    ("expand_dims_last", lambda t: ember.expand_dims(t, -1), lambda t: t.unsqueeze(-1)),
    ("squeeze", lambda t: ember.squeeze(ember.expand_dims(t, 0)), lambda t: t),
    ("squeeze_axis", lambda t: ember.squeeze(t[:, :1], 1), lambda t: t[:, :1].squeeze(1)),
    ("flatten", ember.flatten, lambda t: t.flatten()),
    ("pad", lambda t: ember.pad(t, ((0, 1), (2, 0), (1, 1))),
     lambda t: F.pad(t, (1, 1, 2, 0, 0, 1))),
    ("pad_value", lambda t: ember.pad(t, 1, constant_values=2.5),
     lambda t: F.pad(t, (1,) * 6, value=2.5)),
    ("broadcast_to", lambda t: ember.broadcast_to(t[:, :1], (5, 2, 3, 4)),
     lambda t: torch.broadcast_to(t[:, :1], (5, 2, 3, 4))),
    ("tile", lambda t: ember.tile(t, (2, 1, 3)), lambda t: t.repeat(2, 1, 3)),
    ("tile_int", lambda t: ember.tile(t, 2), lambda t: t.repeat(1, 1, 2)),
    ("tile_more_axes", lambda t: ember.tile(t, (2, 1, 1, 2)), lambda t: t.repeat(2, 1, 1, 2)),
    ("repeat_axis", lambda t: ember.repeat(t, 2, axis=1),
     lambda t: torch.repeat_interleave(t, 2, dim=1)),
    ("repeat_counts", lambda t: ember.repeat(t, [1, 0, 3], axis=-2),
     lambda t: torch.repeat_interleave(t, torch.tensor([1, 0, 3]), dim=1)),
    ("repeat_flat", lambda t: ember.repeat(t, 2), lambda t: torch.repeat_interleave(t, 2)),
    ("flip", lambda t: ember.flip(t, 1), lambda t: torch.flip(t, (1,))),
    ("flip_all", ember.flip, lambda t: torch.flip(t, (0, 1, 2))),
    ("tril", ember.tril, torch.tril),
    ("triu_k", lambda t: ember.triu(t, k=1), lambda t: torch.triu(t, diagonal=1)),
    ("take_flat", lambda t: ember.take(t, np.array([[0, 5], [23, 5]])),
     lambda t: t.flatten()[torch.tensor([[0, 5], [23, 5]])]),
    ("take_axis", lambda t: ember.take(t, np.array([2, 0, 2, -1]), axis=1),
     lambda t: t[:, torch.tensor([2, 0, 2, 2])]),
    ("take_axis_2d", lambda t: ember.take(t, np.array([[3, 3], [0, 1]]), axis=2),
     lambda t: t[:, :, torch.tensor([[3, 3], [0, 1]])]),
    ("take_along_axis", lambda t: ember.take_along_axis(t, IDX, axis=2),
     lambda t: torch.take_along_dim(t, torch.from_numpy(IDX), dim=2)),
    ("take_along_axis_0", lambda t: ember.take_along_axis(t, IDX0, axis=0),
     lambda t: torch.take_along_dim(t, torch.from_numpy(IDX0), dim=0)),
    ("split", lambda t: ember.split(t, 2, axis=2), lambda t: torch.split(t, 2, dim=2)),
    ("split_indices", lambda t: ember.split(t, [1, 3], axis=-1),
     lambda t: (t[..., :1], t[..., 1:3], t[..., 3:])),
]
IDX = GEN.integers(0, 4, (2, 3, 6))
IDX0 = GEN.integers(0, 2, (1, 3, 4))


@pytest.mark.parametrize("name, op, torch_op", ONE_INPUT, ids=[o[0] for o in ONE_INPUT])
def test_shape_op(name, op, torch_op):
    compare_with_torch(op, torch_op, X)
    numeric_gradcheck(op, X)


TWO_INPUTS = [
    ("concatenate", lambda a, b: ember.concatenate([a, b, a], axis=1),
     lambda a, b: torch.cat([a, b, a], 1)),
    ("concatenate_neg", lambda a, b: ember.concatenate([a, b], axis=-2),
     lambda a, b: torch.cat([a, b], -2)),
    ("stack", lambda a, b: ember.stack([a, b[:, :2] * 2], axis=1),
     lambda a, b: torch.stack([a, b[:, :2] * 2], 1)),
    ("stack_last", lambda a, b: ember.stack([a, b[:, 1:3], a], axis=-1),
     lambda a, b: torch.stack([a, b[:, 1:3], a], -1)),
]


@pytest.mark.parametrize("name, op, torch_op", TWO_INPUTS, ids=[o[0] for o in TWO_INPUTS])
def test_joining(name, op, torch_op):
    a, b = GEN.standard_normal((2, 2, 3)), GEN.standard_normal((2, 4, 3))
    compare_with_torch(op, torch_op, a, b)
    numeric_gradcheck(op, a, b)


def test_joining_mixed_dtypes_keeps_gradient_dtypes():
    a = ember.tensor(np.ones(2, np.float32), requires_grad=True)
    b = ember.tensor(np.full(2, 2.0), requires_grad=True)
    joined = ember.concatenate([a, b, np.array([3, 4])])
    assert joined.dtype == np.float64
    (joined * joined).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_array_equal(b.grad, [4.0, 4.0])
    assert ember.stack([a, np.array([1, 2])]).dtype == np.float32


def test_repeated_take_indices_accumulate():
    x = ember.tensor(np.zeros((2, 3)), requires_grad=True)
    ember.take(x, np.array([1, 1, 2]), axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 2, 1], [0, 2, 1]])


def test_one_hot():
    out = ember.one_hot(np.array([[0, 2], [1, 1]]), 3)
    assert out.dtype == np.float32 and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), np.eye(3)[[[0, 2], [1, 1]]])
    assert ember.one_hot(np.array([1]), 2, dtype="float64").dtype == np.float64


def test_creation():
    assert ember.zeros((2, 3)).dtype == np.float32
    np.testing.assert_array_equal(ember.ones(2).numpy(), [1, 1])
    np.testing.assert_array_equal(ember.full((2,), 7, dtype="int32").numpy(), [7, 7])
    like = ember.tensor(np.ones((2, 2)))
    assert ember.zeros_like(like).dtype == np.float64
    np.testing.assert_array_equal(ember.ones_like(like, dtype="int64").numpy(), np.ones((2, 2)))
    np.testing.assert_array_equal(ember.full_like(like, 3.0).numpy(), np.full((2, 2), 3.0))
    assert ember.arange(5).dtype == np.int64
    np.testing.assert_allclose(ember.arange(0, 1, 0.25).numpy(), [0, 0.25, 0.5, 0.75])
    assert ember.arange(0, 1, 0.25).dtype == np.float32
    assert ember.arange(3, dtype="float64").dtype == np.float64
    np.testing.assert_array_equal(ember.eye(2, 3, k=1).numpy(), np.eye(2, 3, k=1))
    for t in (ember.zeros(2), ember.eye(2), ember.arange(2)):
        assert not t.requires_grad


@pytest.mark.parametrize("draw", [ember.random_normal, ember.random_uniform])
def test_random_draws_follow_the_seed(draw):
    ember.set_random_seed(5)
    a = draw((200,))
    ember.set_random_seed(5)
    b = draw((200,))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.dtype == np.float32
    c, d = draw((3,), seed=1), draw((3,), seed=1)
    np.testing.assert_array_equal(c.numpy(), d.numpy())
    assert not np.array_equal(draw((200,)).numpy(), a.numpy())


def test_random_distributions():
    ember.set_random_seed(0)
    n = ember.random_normal((20000,), mean=2.0, stddev=3.0, dtype="float64").numpy()
    u = ember.random_uniform((20000,), minval=-1.0, maxval=3.0).numpy()
    assert abs(n.mean() - 2.0) < 0.1 and abs(n.std() - 3.0) < 0.1
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.05


ERRORS = [
    (lambda: ember.reshape(X, (5, 5)), ValueError,
     r"^reshape: cannot reshape a tensor of shape \(2, 3, 4\) \(24 elements\) into shape "
     r"\(5, 5\)$"),
    (lambda: ember.transpose(X, (0, 0, 1)), ValueError,
     r"^transpose: axes \(0, 0, 1\) are not a permutation of 3 axes$"),
    (lambda: ember.moveaxis(X, (0, 1), 2), ValueError,
     r"^moveaxis: source \(0, 1\) and destination \(2,\) need the same number of axes$"),
    (lambda: ember.moveaxis(X, 3, 0), ValueError,
     r"^moveaxis: axis 3 is out of range for a tensor of rank 3$"),
    (lambda: ember.squeeze(X, 0), ValueError, r"^squeeze: axis 0 of shape \(2, 3, 4\) is not of "
                                              r"size 1$"),
    (lambda: ember.concatenate([X, np.ones((2, 4, 4)), np.ones((3, 3, 4))], axis=1), ValueError,
     r"^concatenate: all axes but axis 1 must match\. Received shapes \(2, 3, 4\) and "
     r"\(2, 4, 4\) and \(3, 3, 4\)$"),
    (lambda: ember.concatenate([X, np.ones((2, 3))]), ValueError,
     r"^concatenate: all axes but axis 0 must match\. Received shapes \(2, 3, 4\) and \(2, 3\)$"),
    (lambda: ember.concatenate([]), ValueError, r"^concatenate: needs at least one tensor$"),
    (lambda: ember.concatenate([X], axis=3), ValueError,
     r"^concatenate: axis 3 is out of range for a tensor of rank 3$"),
    (lambda: ember.stack([X, np.ones((3, 2))]), ValueError,
     r"^stack: all tensors need one shape\. Received shapes \(2, 3, 4\) and \(3, 2\)$"),
    (lambda: ember.split(X, 3, axis=2), ValueError,
     r"^split: axis 2 of size 4 cannot be split into 3 equal sections$"),
    (lambda: ember.pad(X, 1, mode="reflect"), ValueError,
     r"^pad: only mode='constant' is differentiable\. Received: mode='reflect'$"),
    (lambda: ember.broadcast_to(X, (3, 4)), ValueError,
     r"^broadcast_to: cannot broadcast\. Received shapes \(2, 3, 4\) and \(3, 4\)$"),
    (lambda: ember.take(X, np.array([4, -1]), axis=2), IndexError,
     r"^take: indices must lie in \[-4, 4\) for axis 2 of shape \(2, 3, 4\)\. Received values "
     r"from -1 to 4$"),
    (lambda: ember.take(X, np.array([0.5])), TypeError,
     r"^take: indices must be integers\. Received: dtype=float64$"),
    (lambda: ember.one_hot(np.array([0, 3]), 3), ValueError,
     r"^one_hot: labels must lie in \[0, 3\)\. Received values from 0 to 3$"),
    (lambda: ember.one_hot(np.array([0.0]), 3), TypeError,
     r"^one_hot: labels must be integers\. Received: dtype=float64$"),
    (lambda: ember.tensor(X)[:, 5], IndexError,
     r"^getitem: index 5 is out of bounds for axis 1 with size 3 \(tensor shape \(2, 3, 4\)\)$"),
]


@pytest.mark.parametrize("call, error, message", ERRORS, ids=[e[2][1:20] for e in ERRORS])
def test_error_messages(call, error, message):
    with pytest.raises(error, match=message):
        call()
