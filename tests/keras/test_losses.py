"""Losses: values against NumPy references and PyTorch, gradients by finite differences, edge
values (probabilities 0 and 1, logits of +-100), Keras' documented examples, label errors,
reductions, identifiers and configs."""

import numpy as np
import pytest
from helpers.checks import compare_with_torch, numeric_gradcheck
from helpers.config_checks import family_round_trip

import ember
from ember.keras import losses

EPS = 1e-7


def _clip(p):
    return np.clip(p, EPS, 1 - EPS)


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _log1p_exp(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


# ----- per-sample values against NumPy references ------------------------------------------

gen = np.random.default_rng(7)
PROBS = gen.uniform(0.05, 0.95, (6, 4))
ONEHOT = np.eye(4)[gen.integers(0, 4, 6)]
LABELS = ONEHOT.argmax(-1)
BINARY = gen.integers(0, 2, (6, 4)).astype(np.float64)
LOGITS = gen.standard_normal((6, 4)) * 2
TARGETS = gen.standard_normal((6, 4))
POSITIVE = gen.uniform(0.5, 2.0, (6, 4))

REFERENCES = [
    ("binary_crossentropy", BINARY, PROBS, {},
     lambda t, p: -(t * np.log(_clip(p)) + (1 - t) * np.log(1 - _clip(p))).mean(-1)),
    ("binary_crossentropy", BINARY, LOGITS, {"from_logits": True},
     lambda t, x: (_log1p_exp(x) - x * t).mean(-1)),
    ("categorical_crossentropy", ONEHOT, PROBS, {},
     lambda t, p: -(t * np.log(_clip(p / p.sum(-1, keepdims=True)))).sum(-1)),
    ("categorical_crossentropy", ONEHOT, LOGITS, {"from_logits": True},
     lambda t, x: -(t * np.log(_softmax(x))).sum(-1)),
    ("sparse_categorical_crossentropy", LABELS, PROBS, {},
     lambda t, p: -np.log(_clip((p / p.sum(-1, keepdims=True))[np.arange(6), t]))),
    ("sparse_categorical_crossentropy", LABELS, LOGITS, {"from_logits": True},
     lambda t, x: -np.log(_softmax(x)[np.arange(6), t])),
    ("binary_focal_crossentropy", BINARY, PROBS, {"gamma": 2.0},
     lambda t, p: ((1 - (t * p + (1 - t) * (1 - p))) ** 2
                   * -(t * np.log(_clip(p)) + (1 - t) * np.log(1 - _clip(p)))).mean(-1)),
    ("categorical_focal_crossentropy", ONEHOT, PROBS, {},
     lambda t, p: (0.25 * (1 - _clip(p / p.sum(-1, keepdims=True))) ** 2
                   * -t * np.log(_clip(p / p.sum(-1, keepdims=True)))).sum(-1)),
    ("mean_squared_error", TARGETS, LOGITS, {}, lambda t, p: ((t - p) ** 2).mean(-1)),
    ("mean_absolute_error", TARGETS, LOGITS, {}, lambda t, p: np.abs(t - p).mean(-1)),
    ("mean_absolute_percentage_error", TARGETS, LOGITS, {},
     lambda t, p: 100 * np.abs((t - p) / np.maximum(np.abs(t), EPS)).mean(-1)),
    ("mean_squared_logarithmic_error", POSITIVE, PROBS, {},
     lambda t, p: ((np.log(p + 1) - np.log(t + 1)) ** 2).mean(-1)),
    ("cosine_similarity", TARGETS, LOGITS, {},
     lambda t, p: -(t * p).sum(-1) / np.linalg.norm(t, axis=-1) / np.linalg.norm(p, axis=-1)),
    ("huber", TARGETS, LOGITS, {"delta": 1.0},
     lambda t, p: np.where(np.abs(p - t) <= 1, 0.5 * (p - t) ** 2, np.abs(p - t) - 0.5).mean(-1)),
    ("log_cosh", TARGETS, LOGITS, {}, lambda t, p: np.log(np.cosh(p - t)).mean(-1)),
    ("hinge", BINARY, LOGITS, {},
     lambda t, p: np.maximum(1 - (2 * t - 1) * p, 0).mean(-1)),
    ("squared_hinge", BINARY, LOGITS, {},
     lambda t, p: (np.maximum(1 - (2 * t - 1) * p, 0) ** 2).mean(-1)),
    ("categorical_hinge", ONEHOT, LOGITS, {},
     lambda t, p: np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0)),
    ("kl_divergence", _softmax(TARGETS), PROBS, {},
     lambda t, p: (_clip(t) * np.log(_clip(t) / np.clip(p, EPS, 1))).sum(-1)),
    ("poisson", POSITIVE, POSITIVE[::-1].copy(), {},
     lambda t, p: (p - t * np.log(p + EPS)).mean(-1)),
    ("dice", BINARY, PROBS, {"axis": -1},
     lambda t, p: 1 - 2 * (t * p).sum(-1) / (t.sum(-1) + p.sum(-1) + EPS)),
    ("tversky", BINARY, PROBS, {"alpha": 0.3, "beta": 0.7, "axis": -1},
     lambda t, p: 1 - (t * p).sum(-1) / ((t * p).sum(-1) + 0.3 * ((1 - p) * t).sum(-1)
                                          + 0.7 * (p * (1 - t)).sum(-1) + EPS)),
]
IDS = [f"{name}-{'-'.join(kw) or 'plain'}" for name, _, _, kw, _ in REFERENCES]


@pytest.mark.parametrize("name,y_true,y_pred,kwargs,reference", REFERENCES, ids=IDS)
def test_values_match_numpy_reference(name, y_true, y_pred, kwargs, reference):
    fn = getattr(losses, name)
    values = fn(y_true, ember.tensor(y_pred), **kwargs)
    np.testing.assert_allclose(values.numpy(), reference(y_true, y_pred), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name,y_true,y_pred,kwargs,reference", REFERENCES, ids=IDS)
def test_gradients_match_finite_differences(name, y_true, y_pred, kwargs, reference):
    fn = getattr(losses, name)
    numeric_gradcheck(lambda p: fn(y_true, p, **kwargs), y_pred)


@pytest.mark.parametrize("cls,kwargs,y_true,y_pred", [
    (losses.BinaryCrossentropy, {}, BINARY, PROBS),
    (losses.CategoricalCrossentropy, {"label_smoothing": 0.2}, ONEHOT, PROBS),
    (losses.SparseCategoricalCrossentropy, {"from_logits": True}, LABELS, LOGITS),
    (losses.Huber, {"delta": 0.5}, TARGETS, LOGITS),
])
def test_loss_classes_reduce_their_function(cls, kwargs, y_true, y_pred):
    loss = cls(**kwargs)
    per_sample = getattr(losses, loss.fn.__name__)(y_true, y_pred, **kwargs).numpy()
    weights = gen.uniform(0, 1, 6)
    assert float(loss(y_true, y_pred)) == pytest.approx(per_sample.mean(), rel=1e-6)
    assert float(loss(y_true, y_pred, sample_weight=weights)) == pytest.approx(
        (per_sample * weights).mean(), rel=1e-6)
    assert float(cls(reduction="sum", **kwargs)(y_true, y_pred)) == pytest.approx(
        per_sample.sum(), rel=1e-6)
    np.testing.assert_allclose(cls(reduction=None, **kwargs)(y_true, y_pred).numpy(),
                               per_sample, rtol=1e-6)
    weighted = cls(reduction="mean_with_sample_weight", **kwargs)(y_true, y_pred, weights)
    assert float(weighted) == pytest.approx((per_sample * weights).sum() / weights.sum(),
                                            rel=1e-6)


# ----- PyTorch as an oracle ----------------------------------------------------------------


def test_against_torch():
    import torch.nn.functional as F

    compare_with_torch(lambda x: losses.binary_crossentropy(BINARY, x, from_logits=True),
                       lambda x: F.binary_cross_entropy_with_logits(
                           x, torch_tensor(BINARY), reduction="none").mean(-1), LOGITS)
    compare_with_torch(lambda x: losses.sparse_categorical_crossentropy(LABELS, x,
                                                                        from_logits=True),
                       lambda x: F.cross_entropy(x, torch_tensor(LABELS), reduction="none"),
                       LOGITS)
    compare_with_torch(lambda x: losses.categorical_crossentropy(ONEHOT, x, from_logits=True,
                                                                 label_smoothing=0.1),
                       lambda x: F.cross_entropy(x, torch_tensor(LABELS), reduction="none",
                                                 label_smoothing=0.1), LOGITS)
    compare_with_torch(lambda p: losses.binary_crossentropy(BINARY, p),
                       lambda p: F.binary_cross_entropy(p, torch_tensor(BINARY),
                                                        reduction="none").mean(-1), PROBS)
    compare_with_torch(lambda p: losses.huber(TARGETS, p, delta=0.7),
                       lambda p: F.huber_loss(p, torch_tensor(TARGETS), delta=0.7,
                                              reduction="none").mean(-1), LOGITS)
    compare_with_torch(lambda p: losses.poisson(POSITIVE, p),
                       lambda p: F.poisson_nll_loss(p, torch_tensor(POSITIVE), log_input=False,
                                                    eps=1e-7, reduction="none").mean(-1),
                       POSITIVE[::-1].copy())


def torch_tensor(array):
    import torch

    return torch.tensor(array)


# ----- edge values: no NaN or inf ------------------------------------------------------------


def _finite_value_and_gradient(fn, y_pred):
    x = ember.tensor(np.asarray(y_pred, np.float32), requires_grad=True)
    value = fn(x)
    value.sum().backward()
    assert np.isfinite(value.numpy()).all() and np.isfinite(x.grad).all()
    return value.numpy(), x.grad


def test_probabilities_of_exactly_zero_and_one():
    clipped = -np.log(np.float32(EPS))  # p clipped up to 1e-7
    high = np.float32(1) - np.float32(EPS)  # 1 - 1e-7 rounded to float32, as in Keras
    t = np.array([[1.0], [0.0], [1.0], [0.0]])
    values, grad = _finite_value_and_gradient(
        lambda p: losses.binary_crossentropy(t, p), [[0.0], [1.0], [1.0], [0.0]])
    np.testing.assert_allclose(values, [clipped, -np.log1p(-high), 0, 0], rtol=1e-5, atol=2e-7)
    assert not grad.any()  # the clip is active at 0 and 1
    values, grad = _finite_value_and_gradient(
        lambda p: losses.categorical_crossentropy(np.eye(3)[[0, 1]], p),
        [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    np.testing.assert_allclose(values, [clipped, -np.log(high)], rtol=1e-5)
    values, grad = _finite_value_and_gradient(
        lambda p: losses.sparse_categorical_crossentropy([0, 1], p),
        [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    np.testing.assert_allclose(values, [clipped, -np.log(high)], rtol=1e-5)


@pytest.mark.parametrize("fn", [
    lambda x: losses.binary_crossentropy(np.array([[1.0, 0.0, 1.0, 0.0]]), x,
                                         from_logits=True),
    lambda x: losses.categorical_crossentropy(np.eye(4)[[0]], x, from_logits=True),
    lambda x: losses.sparse_categorical_crossentropy([0], x, from_logits=True),
    lambda x: losses.binary_focal_crossentropy(np.array([[1.0, 0.0, 1.0, 0.0]]), x,
                                               from_logits=True),
    lambda x: losses.categorical_focal_crossentropy(np.eye(4)[[0]], x, from_logits=True),
], ids=["bce", "cce", "scce", "binary_focal", "categorical_focal"])
def test_logits_of_plus_minus_100(fn):
    values, grad = _finite_value_and_gradient(fn, [[100.0, 100.0, -100.0, -100.0]])
    assert (values >= 0).all()


def test_logit_losses_are_exact_far_out():
    value = losses.binary_crossentropy(np.array([[0.0]]), ember.tensor([[100.0]]),
                                       from_logits=True)
    assert float(value.numpy()[0]) == pytest.approx(100.0)
    value = losses.sparse_categorical_crossentropy([1], ember.tensor([[100.0, -100.0]]),
                                                   from_logits=True)
    assert float(value.numpy()[0]) == pytest.approx(200.0)


# ----- Keras' documented examples -----------------------------------------------------------


def test_keras_documented_values():
    y_true, y_pred = np.array([0, 1, 0, 0]), np.array([-18.6, 0.51, 2.94, -12.8])
    assert float(losses.BinaryCrossentropy(from_logits=True)(y_true, y_pred)) == \
        pytest.approx(0.8654, abs=1e-4)
    y_true2 = np.array([[0, 1], [0, 0]])
    y_pred2 = np.array([[-18.6, 0.51], [2.94, -12.8]])
    bce = losses.BinaryCrossentropy(from_logits=True)
    assert float(bce(y_true2, y_pred2, sample_weight=[0.8, 0.2])) == pytest.approx(0.243,
                                                                                   abs=1e-3)
    y_true3 = np.array([[0, 1, 0], [0, 0, 1]])
    y_pred3 = np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]], "float32")
    cce = losses.CategoricalCrossentropy()
    assert float(cce(y_true3, y_pred3)) == pytest.approx(1.177, abs=1e-3)
    assert float(cce(y_true3, y_pred3, sample_weight=np.array([0.3, 0.7]))) == \
        pytest.approx(0.814, abs=1e-3)
    assert float(losses.SparseCategoricalCrossentropy()([1, 2], y_pred3)) == \
        pytest.approx(1.177, abs=1e-3)
    focal = losses.CategoricalFocalCrossentropy(reduction=None)(y_true3, y_pred3).numpy()
    np.testing.assert_allclose(focal, [3.2058331e-05, 4.6627346e-01], rtol=1e-5)
    assert float(losses.BinaryFocalCrossentropy(gamma=2, from_logits=True)(
        y_true, y_pred)) == pytest.approx(0.691, abs=1e-3)
    np.testing.assert_allclose(losses.binary_crossentropy(
        y_true2, np.array([[0.6, 0.4], [0.4, 0.6]])).numpy(), [0.916, 0.714], atol=1e-3)
    dice_true = np.array([[[[1.0], [1.0]], [[0.0], [0.0]]]] * 2)
    dice_pred = np.array([[[[0.0], [1.0]], [[0.0], [1.0]]], [[[0.4], [0.0]], [[0.0], [0.9]]]])
    np.testing.assert_allclose(losses.dice(dice_true, dice_pred, axis=(1, 2, 3)).numpy(),
                               [0.5, 0.75757575], rtol=1e-6)


# ----- labels that do not fit the loss ---------------------------------------------------------


def test_sparse_loss_rejects_labels_out_of_range():
    with pytest.raises(ValueError) as info:
        losses.SparseCategoricalCrossentropy()([0, 12], PROBS[:2])
    message = str(info.value)
    assert "received a label value of 12, which is outside the valid range of [0, 4)" in message
    assert "y_pred has 4 classes" in message and "13 units" in message
    with pytest.raises(ValueError, match="label value of -1"):
        losses.sparse_categorical_crossentropy([-1, 0], PROBS[:2])


def test_sparse_loss_rejects_one_hot_labels_and_names_categorical():
    with pytest.raises(ValueError) as info:
        losses.SparseCategoricalCrossentropy(from_logits=True)(ONEHOT, LOGITS)
    message = str(info.value)
    assert "these look like one-hot encoded labels" in message
    assert "loss='categorical_crossentropy'" in message


def test_sparse_loss_rejects_fractional_labels():
    with pytest.raises(ValueError, match="non-integer values such as 0.5"):
        losses.sparse_categorical_crossentropy(np.array([0.5, 1.0]), PROBS[:2])


def test_categorical_loss_rejects_integer_labels_and_names_sparse():
    for labels in (LABELS, LABELS[:, None]):
        with pytest.raises(ValueError) as info:
            losses.CategoricalCrossentropy()(labels, PROBS)
        message = str(info.value)
        assert "these look like integer class labels" in message
        assert "loss='sparse_categorical_crossentropy'" in message
        assert "to_categorical(y, num_classes=4)" in message


def test_binary_loss_shape_mismatch_hints_at_sparse():
    with pytest.raises(ValueError, match="use loss='sparse_categorical_crossentropy'"):
        losses.BinaryCrossentropy()(LABELS, PROBS)


# ----- Keras' rules: ranks, ignore_class, smoothing, reductions ---------------------------------


def test_trailing_axis_of_one_is_squeezed_or_expanded():
    y_pred = ember.tensor(np.array([[0.2], [0.7], [0.9]], "float32"))
    y_true = np.array([0, 1, 1])
    bce = losses.BinaryCrossentropy()
    assert float(bce(y_true, y_pred)) == pytest.approx(float(bce(y_true[:, None], y_pred)))
    mse = losses.MeanSquaredError()
    assert float(mse(y_true, y_pred)) == pytest.approx(
        np.mean((y_true - y_pred.numpy()[:, 0]) ** 2), rel=1e-6)


def test_ignore_class_averages_over_the_valid_entries():
    labels = np.array([0, 255, 2, 255, 1, 3])
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=255)
    valid = labels != 255
    expected = -np.log(_softmax(LOGITS)[np.arange(6)[valid], labels[valid]]).mean()
    x = ember.tensor(LOGITS, requires_grad=True)
    value = loss(labels, x)
    assert float(value) == pytest.approx(expected, rel=1e-9)
    value.backward()
    assert not x.grad[~valid].any()
    values = losses.sparse_categorical_crossentropy(labels, LOGITS, from_logits=True,
                                                    ignore_class=255).numpy()
    assert (values[~valid] == 0).all()


def test_label_smoothing():
    smoothed = BINARY * 0.8 + 0.1
    np.testing.assert_allclose(
        losses.binary_crossentropy(BINARY, PROBS, label_smoothing=0.2).numpy(),
        losses.binary_crossentropy(smoothed, PROBS).numpy(), rtol=1e-9)
    smoothed = ONEHOT * 0.7 + 0.3 / 4
    np.testing.assert_allclose(
        losses.categorical_crossentropy(ONEHOT, LOGITS, from_logits=True,
                                        label_smoothing=0.3).numpy(),
        losses.categorical_crossentropy(smoothed, LOGITS, from_logits=True).numpy(), rtol=1e-9)


def test_invalid_reduction():
    with pytest.raises(ValueError, match="Invalid value for argument `reduction`"):
        losses.MeanSquaredError(reduction="average")


def test_sample_weight_per_timestep():
    y_true, y_pred = TARGETS.reshape(2, 3, 4), LOGITS.reshape(2, 3, 4)
    weights = np.array([[1.0, 0.0, 2.0], [0.5, 0.5, 0.0]])
    per_step = ((y_true - y_pred) ** 2).mean(-1)
    value = losses.MeanSquaredError()(y_true, y_pred, sample_weight=weights)
    assert float(value) == pytest.approx((per_step * weights).mean(), rel=1e-9)
    value = losses.MeanSquaredError()(y_true, y_pred, sample_weight=np.array([1.0, 3.0]))
    assert float(value) == pytest.approx((per_step * [[1.0], [3.0]]).mean(), rel=1e-9)


# ----- identifiers, classes, configs ----------------------------------------------------------


@pytest.mark.parametrize("name,cls", [
    ("mse", "MeanSquaredError"), ("MSE", "MeanSquaredError"), ("mae", "MeanAbsoluteError"),
    ("mape", "MeanAbsolutePercentageError"), ("msle", "MeanSquaredLogarithmicError"),
    ("bce", "BinaryCrossentropy"), ("kld", "KLDivergence"), ("KLD", "KLDivergence"),
    ("binary_crossentropy", "BinaryCrossentropy"), ("huber", "Huber"), ("log_cosh", "LogCosh"),
    ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"),
    ("CategoricalCrossentropy", "CategoricalCrossentropy"), ("poisson", "Poisson"),
    ("categorical_hinge", "CategoricalHinge"), ("dice", "Dice"), ("tversky", "Tversky"),
])
def test_string_identifiers(name, cls):
    assert type(losses.get(name)).__name__ == cls


def test_identifiers_are_case_sensitive_with_a_suggestion():
    with pytest.raises(ValueError) as info:
        losses.get("Mse")
    message = str(info.value)
    assert "Could not interpret loss identifier: 'Mse'" in message
    assert "Did you mean" in message and "Valid loss names:" in message
    assert "mean_squared_error" in message


def test_get_wraps_functions_and_builds_dicts():
    def my_loss(y_true, y_pred):
        return ember.mean(ember.abs(y_pred - y_true), axis=-1)

    loss = losses.get(my_loss)
    assert isinstance(loss, losses.LossFunctionWrapper) and loss.name == "my_loss"
    assert float(loss(np.zeros((2, 2)), np.ones((2, 2)))) == pytest.approx(1.0)
    built = losses.get({"class_name": "CategoricalCrossentropy",
                        "config": {"from_logits": True}})
    assert built.from_logits is True
    wrapped = losses.get(losses.categorical_crossentropy)
    assert wrapped.probabilities_kind == "categorical" and wrapped.from_logits is False


def test_probabilities_kind_and_from_logits():
    assert losses.BinaryCrossentropy().probabilities_kind == "binary"
    assert losses.CategoricalCrossentropy().probabilities_kind == "categorical"
    sparse = losses.SparseCategoricalCrossentropy(from_logits=True)
    assert sparse.probabilities_kind == "sparse" and sparse.from_logits is True
    assert losses.MeanSquaredError().probabilities_kind is None


@pytest.mark.parametrize("loss", [
    losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
    losses.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=3.0),
    losses.CategoricalCrossentropy(axis=-1, reduction="sum"),
    losses.CategoricalFocalCrossentropy(alpha=0.5),
    losses.SparseCategoricalCrossentropy(ignore_class=-1, name="scce"),
    losses.MeanSquaredError(), losses.MeanAbsoluteError(), losses.Huber(delta=2.0),
    losses.CosineSimilarity(axis=0), losses.LogCosh(), losses.Hinge(), losses.KLDivergence(),
    losses.Poisson(), losses.Dice(axis=(1,)), losses.Tversky(alpha=0.1),
    losses.LossFunctionWrapper(losses.mean_squared_error, name="wrapped"),
])
def test_config_round_trip(loss):
    again = family_round_trip(loss, losses, "keras.losses")
    y_true = LABELS if loss.probabilities_kind == "sparse" else BINARY
    np.testing.assert_allclose(again(y_true, PROBS).numpy(), loss(y_true, PROBS).numpy())


def test_builtin_function_serialization():
    assert losses.serialize(losses.binary_crossentropy) == {
        "module": "builtins", "class_name": "function", "config": "binary_crossentropy",
        "registered_name": "function"}
    restored = losses.deserialize(losses.serialize(losses.hinge))
    assert restored.fn is losses.hinge


def test_custom_loss_subclass_gets_targets_in_the_prediction_dtype():
    class Scaled(losses.Loss):
        def call(self, y_true, y_pred):
            assert y_true.dtype == y_pred.dtype
            return ember.mean((y_pred - y_true) ** 2, axis=-1) * 2.0

    first, second = Scaled(), Scaled()
    assert first.name == "scaled" and second.name.startswith("scaled_")
    y_pred = ember.tensor(np.ones((3, 2), "float32"), requires_grad=True)
    value = first(np.zeros((3, 2), np.int64), y_pred)
    value.backward()
    assert value.dtype == np.float32 and float(value) == pytest.approx(2.0)
    np.testing.assert_allclose(y_pred.grad, np.full((3, 2), 2.0 * 2 / 6), rtol=1e-6)


def test_resolve_crossentropy_follows_keras_shapes():
    assert losses.resolve_crossentropy((8,), (8, 1)) is losses.BinaryCrossentropy
    assert losses.resolve_crossentropy((8,), (8, 5)) is losses.SparseCategoricalCrossentropy
    assert losses.resolve_crossentropy((8, 1), (8, 5)) is losses.SparseCategoricalCrossentropy
    assert losses.resolve_crossentropy((8, 5), (8, 5)) is losses.CategoricalCrossentropy


def test_a_predictions_keras_mask_excludes_its_timesteps_from_the_mean():
    """As in Keras 3: a mask carried by y_pred (Embedding(mask_zero=True) -> LSTM(return_sequences)
    -> Dense) weights the per-timestep losses, so the mean runs over the valid steps only;
    checked against the formula and against Keras 3.15 on a real model (1.0977400 both)."""
    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(3), size=(2, 4)).astype("float32")
    labels = rng.integers(0, 3, (2, 4))
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 0]], bool)
    y_pred = ember.tensor(probs)
    y_pred._keras_mask = ember.tensor(mask)
    per_step = -np.log(np.take_along_axis(probs, labels[..., None], -1)[..., 0])
    loss = losses.SparseCategoricalCrossentropy()
    assert float(loss(labels, y_pred).data) == pytest.approx(per_step[mask].mean(), rel=1e-6)
    unmasked = ember.tensor(probs)
    assert float(loss(labels, unmasked).data) == pytest.approx(per_step.mean(), rel=1e-6)
    # a sequence mask on a per-sequence loss (leading axes differ) does not apply
    summary = ember.tensor(probs[:, 0])
    summary._keras_mask = ember.tensor(mask)
    assert float(loss(labels[:, 0], summary).data) == pytest.approx(per_step[:, 0].mean(),
                                                                    rel=1e-6)
