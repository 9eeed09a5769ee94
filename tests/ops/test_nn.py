"""Softmax, cross-entropy and dropout against PyTorch, finite differences and Keras' formulas."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers.checks import compare_with_torch, numeric_gradcheck

import ember

GEN = np.random.default_rng(2)
LOGITS = GEN.standard_normal((4, 5)) * 3
LABELS = np.array([0, 4, 2, 2])


@pytest.mark.parametrize("axis", [-1, 0, 1])
@pytest.mark.parametrize("name, torch_op", [("softmax", F.softmax),
                                            ("log_softmax", F.log_softmax)])
def test_softmax_family(name, torch_op, axis):
    x = GEN.standard_normal((3, 4, 2))
    op = getattr(ember, name)
    compare_with_torch(lambda t: op(t, axis=axis), lambda t: torch_op(t, dim=axis), x)
    numeric_gradcheck(lambda t: op(t, axis=axis), x)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_family_is_stable_for_huge_logits(name):
    x = ember.tensor(np.array([[1000.0, -1000.0, 0.0]], np.float32), requires_grad=True)
    y = getattr(ember, name)(x)
    (y * ember.tensor([[1.0, 2.0, 3.0]])).sum().backward()
    assert np.all(np.isfinite(y.numpy())) and np.all(np.isfinite(x.grad))
    expected = torch.softmax(torch.tensor([[1000.0, -1000.0, 0.0]]), -1)
    if name == "log_softmax":
        np.testing.assert_allclose(y.numpy(), [[0.0, -2000.0, -1000.0]])
    else:
        np.testing.assert_allclose(y.numpy(), expected.numpy())


def test_sparse_crossentropy_from_logits():
    compare_with_torch(lambda x, y: ember.sparse_categorical_crossentropy(y, x),
                       lambda x, y: F.cross_entropy(x, y, reduction="none"), LOGITS, LABELS)
    numeric_gradcheck(lambda x: ember.sparse_categorical_crossentropy(LABELS, x), LOGITS)


def test_sparse_crossentropy_over_a_middle_axis_and_sequences():
    logits = GEN.standard_normal((2, 3, 4))  # (batch, steps, classes)
    labels = GEN.integers(0, 4, (2, 3))
    compare_with_torch(lambda x, y: ember.sparse_categorical_crossentropy(y, x),
                       lambda x, y: F.cross_entropy(x.permute(0, 2, 1), y, reduction="none"),
                       logits, labels)
    class_axis_1 = GEN.standard_normal((2, 4, 3))  # (batch, classes, steps)
    compare_with_torch(lambda x, y: ember.sparse_categorical_crossentropy(y, x, axis=1),
                       lambda x, y: F.cross_entropy(x, y, reduction="none"),
                       class_axis_1, labels)


@pytest.mark.parametrize("scale", [1000.0, -1000.0, 1e4])
def test_fused_crossentropy_is_finite_for_extreme_logits(scale):
    logits = np.array([[1.0, -1.0, 0.5], [-1.0, 1.0, 0.0]], np.float32) * scale
    labels = np.array([1, 1])
    x = ember.tensor(logits, requires_grad=True)
    loss = ember.sparse_categorical_crossentropy(labels, x)
    loss.sum().backward()
    expected = F.cross_entropy(torch.tensor(logits), torch.tensor(labels), reduction="none")
    assert np.all(np.isfinite(loss.numpy())) and np.all(np.isfinite(x.grad))
    np.testing.assert_allclose(loss.numpy(), expected.numpy(), rtol=1e-6)
    target = np.eye(3, dtype=np.float32)[labels]
    x2 = ember.tensor(logits, requires_grad=True)
    loss2 = ember.categorical_crossentropy(target, x2)
    loss2.sum().backward()
    np.testing.assert_allclose(loss2.numpy(), loss.numpy(), rtol=1e-6)
    np.testing.assert_allclose(x2.grad, x.grad, atol=1e-7)


def test_categorical_crossentropy_from_logits_with_soft_targets():
    target = F.softmax(torch.tensor(GEN.standard_normal((4, 5))), -1).numpy()
    compare_with_torch(lambda x, t: ember.categorical_crossentropy(t, x),
                       lambda x, t: F.cross_entropy(x, t, reduction="none"), LOGITS, target)
    numeric_gradcheck(lambda x, t: ember.categorical_crossentropy(t, x), LOGITS, target)


def keras_probs_crossentropy(target, probs):
    """Keras' formula: renormalize, clip to [1e-7, 1 - 1e-7], -sum(target * log)."""
    probs = probs / probs.sum(-1, keepdims=True)
    return -(target * np.log(np.clip(probs, 1e-7, 1 - 1e-7))).sum(-1)


def test_crossentropy_from_probabilities():
    probs = F.softmax(torch.tensor(LOGITS), -1).numpy()
    probs[0] = [1.0, 0.0, 0.0, 0.0, 0.0]  # exercises the clipping
    probs[1] *= 1.5  # and the renormalization
    target = np.eye(5)[LABELS]
    dense = ember.categorical_crossentropy(target, probs, from_logits=False)
    sparse = ember.sparse_categorical_crossentropy(LABELS, probs, from_logits=False)
    np.testing.assert_allclose(dense.numpy(), keras_probs_crossentropy(target, probs))
    np.testing.assert_allclose(sparse.numpy(), keras_probs_crossentropy(target, probs))
    smooth = F.softmax(torch.tensor(LOGITS), -1).numpy() * 1.3
    numeric_gradcheck(lambda p: ember.categorical_crossentropy(target, p, from_logits=False),
                      smooth)
    numeric_gradcheck(lambda p: ember.sparse_categorical_crossentropy(LABELS, p,
                                                                      from_logits=False), smooth)


@pytest.mark.parametrize("call, error, message", [
    (lambda: ember.sparse_categorical_crossentropy(LABELS.astype(float), LOGITS), TypeError,
     r"^sparse_categorical_crossentropy: labels must be integer class indices\. Received: "
     r"dtype=float64$"),
    (lambda: ember.sparse_categorical_crossentropy(np.array([0, 1]), LOGITS), ValueError,
     r"^sparse_categorical_crossentropy: labels need the logits' shape without the class axis "
     r"\(4,\)\. Received shapes \(2,\) and \(4, 5\)$"),
    (lambda: ember.sparse_categorical_crossentropy(np.array([0, 1, 5, -1]), LOGITS), ValueError,
     r"^sparse_categorical_crossentropy: labels must lie in \[0, 5\)\. Received values from -1 "
     r"to 5$"),
    (lambda: ember.categorical_crossentropy(np.ones((4, 4)), LOGITS), ValueError,
     r"^categorical_crossentropy: target and output need one shape\. Received shapes \(4, 4\) "
     r"and \(4, 5\)$"),
    (lambda: ember.dropout(LOGITS, 1.0), ValueError,
     r"^dropout: rate must lie in \[0, 1\)\. Received: rate=1\.0$"),
    (lambda: ember.dropout(LOGITS, -0.1), ValueError,
     r"^dropout: rate must lie in \[0, 1\)\. Received: rate=-0\.1$"),
])
def test_error_messages(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_dropout_training_flag_and_scaling():
    x = ember.tensor(np.ones((200, 50), np.float32), requires_grad=True)
    assert ember.dropout(x, 0.3, training=False) is x
    assert ember.dropout(x, 0.0) is x
    y = ember.dropout(x, 0.3)
    kept = y.numpy() != 0
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy()[kept], 1 / 0.7, rtol=1e-6)
    assert abs(kept.mean() - 0.7) < 0.02
    y.sum().backward()
    np.testing.assert_allclose(x.grad, kept / 0.7, rtol=1e-6)


def test_dropout_follows_seeds():
    x = np.ones((10, 10))
    ember.set_random_seed(3)
    a = ember.dropout(x, 0.5).numpy()
    ember.set_random_seed(3)
    b = ember.dropout(x, 0.5).numpy()
    c = ember.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)
    np.testing.assert_array_equal(ember.dropout(x, 0.5, seed=9).numpy(),
                                  ember.dropout(x, 0.5, seed=9).numpy())


def test_dropout_noise_shape_shares_the_mask():
    y = ember.dropout(np.ones((4, 3, 6)), 0.5, noise_shape=(4, 1, 6)).numpy()
    assert np.all(y == y[:, :1, :])
    numeric_gradcheck(lambda t: ember.dropout(t, 0.5, seed=1), GEN.standard_normal((3, 4)))
