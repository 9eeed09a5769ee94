"""Metrics against scikit-learn (AUC, precision, recall, F1, R2, regression errors), Keras'
documented values, batch accumulation, identifiers and configs."""

import numpy as np
import pytest
from helpers.config_checks import family_round_trip
from sklearn import metrics as sk

import ember
from ember.keras import losses, metrics

gen = np.random.default_rng(11)
N = 200
Y_BIN = gen.integers(0, 2, N)
SCORES = np.clip(Y_BIN * 0.3 + gen.uniform(0, 0.7, N), 0, 1)
WEIGHTS = gen.uniform(0, 2, N)


def batches(*arrays, size=64):
    for start in range(0, len(arrays[0]), size):
        yield [a[start:start + size] for a in arrays]


# ----- confusion metrics vs scikit-learn -----------------------------------------------------


@pytest.mark.parametrize("weighted", [False, True])
def test_roc_auc_matches_sklearn_with_exact_thresholds(weighted):
    m = metrics.AUC(thresholds=list(np.unique(SCORES)))
    args = (Y_BIN, SCORES) + ((WEIGHTS,) if weighted else ())
    for batch in batches(*args):
        m.update_state(*batch)
    expected = sk.roc_auc_score(Y_BIN, SCORES, sample_weight=WEIGHTS if weighted else None)
    assert m.result() == pytest.approx(expected, rel=1e-9)


def test_roc_auc_default_thresholds_approximate_sklearn():
    m = metrics.AUC()
    m.update_state(Y_BIN, SCORES)
    assert m.result() == pytest.approx(sk.roc_auc_score(Y_BIN, SCORES), abs=5e-3)


def test_multi_label_roc_auc_matches_sklearn_macro_average():
    y = gen.integers(0, 2, (N, 3))
    p = np.clip(y * 0.4 + gen.uniform(0, 0.6, (N, 3)), 0, 1)
    m = metrics.AUC(multi_label=True, thresholds=list(np.unique(p)))
    m.update_state(y, p)
    assert m.result() == pytest.approx(sk.roc_auc_score(y, p, average="macro"), rel=1e-9)
    weighted = metrics.AUC(multi_label=True, label_weights=[1.0, 2.0, 0.0],
                           thresholds=list(np.unique(p)))
    weighted.update_state(y, p)
    per_label = [sk.roc_auc_score(y[:, i], p[:, i]) for i in range(3)]
    assert weighted.result() == pytest.approx((per_label[0] + 2 * per_label[1]) / 3, rel=1e-9)


def _brute_counts(y, p, thresholds):
    pred = p[None, :] > np.asarray(thresholds)[:, None]
    pos = y[None, :] != 0
    return ((pred & pos).sum(1), (pred & ~pos).sum(1), (~pred & ~pos).sum(1),
            (~pred & pos).sum(1))


def test_pr_auc_interpolation_formula():
    m = metrics.AUC(curve="PR", num_thresholds=50)
    m.update_state(Y_BIN, SCORES)
    tp, fp, tn, fn = (c.astype(float) for c in _brute_counts(Y_BIN, SCORES, m.thresholds))
    np.testing.assert_array_equal(m.true_positives.numpy(), tp)
    np.testing.assert_array_equal(m.true_negatives.numpy(), tn)
    dtp, p = tp[:-1] - tp[1:], tp + fp
    dp = p[:-1] - p[1:]
    slope = np.divide(dtp, dp, out=np.zeros_like(dtp), where=dp > 0)
    intercept = tp[1:] - slope * p[1:]
    ratio = np.where((p[:-1] > 0) & (p[1:] > 0), p[:-1] / np.where(p[1:] > 0, p[1:], 1), 1)
    area = np.sum(slope * (dtp + intercept * np.log(ratio)) / (tp[1:] + fn[1:]))
    assert m.result() == pytest.approx(area, rel=1e-9)
    assert m.result() == pytest.approx(sk.average_precision_score(Y_BIN, SCORES), abs=0.03)


@pytest.mark.parametrize("summation", ["minoring", "majoring"])
def test_riemann_bounds_bracket_the_interpolation(summation):
    values = {}
    for method in ("minoring", "interpolation", "majoring"):
        m = metrics.AUC(num_thresholds=30, summation_method=method)
        m.update_state(Y_BIN, SCORES)
        values[method] = m.result()
    assert values["minoring"] <= values["interpolation"] <= values["majoring"]


@pytest.mark.parametrize("cls,sk_fn", [(metrics.Precision, sk.precision_score),
                                       (metrics.Recall, sk.recall_score)])
def test_precision_and_recall_match_sklearn(cls, sk_fn):
    m = cls()
    for batch in batches(Y_BIN, SCORES, WEIGHTS):
        m.update_state(*batch)
    expected = sk_fn(Y_BIN, SCORES > 0.5, sample_weight=WEIGHTS)
    assert m.result() == pytest.approx(expected, rel=1e-9)
    several = cls(thresholds=[0.3, 0.7])
    several.update_state(Y_BIN, SCORES)
    np.testing.assert_allclose(several.result(), [sk_fn(Y_BIN, SCORES > 0.3),
                                                  sk_fn(Y_BIN, SCORES > 0.7)], rtol=1e-9)


def test_precision_class_id_and_top_k():
    y = np.eye(4)[gen.integers(0, 4, 50)]
    p = gen.uniform(0, 1, (50, 4))
    m = metrics.Precision(class_id=2)
    m.update_state(y, p)
    assert m.result() == pytest.approx(sk.precision_score(y[:, 2], p[:, 2] > 0.5), rel=1e-9)
    top = metrics.Recall(top_k=1)
    top.update_state(y, p)
    hits = y[np.arange(50), p.argmax(-1)].sum()
    assert top.result() == pytest.approx(hits / y.sum(), rel=1e-9)


def test_condition_counts_and_at_metrics():
    tp = metrics.TruePositives(thresholds=[0.2, 0.5])
    tp.update_state(Y_BIN, SCORES, sample_weight=WEIGHTS)
    expected = [np.sum(WEIGHTS * (Y_BIN == 1) * (SCORES > t)) for t in (0.2, 0.5)]
    np.testing.assert_allclose(tp.result(), expected, rtol=1e-9)
    m = metrics.SensitivityAtSpecificity(0.5)
    m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    assert m.result() == pytest.approx(0.5)
    m = metrics.PrecisionAtRecall(recall=0.8)
    m.update_state(Y_BIN, SCORES)
    fpr, tpr, thr = sk.roc_curve(Y_BIN, SCORES)
    assert 0 < m.result() <= 1
    with pytest.raises(ValueError, match=r"Argument `recall` must be in the range \[0, 1\]"):
        metrics.PrecisionAtRecall(1.5)


# ----- F1 and R2 vs scikit-learn ---------------------------------------------------------------


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
def test_f1_score_matches_sklearn(average):
    y = gen.integers(0, 2, (N, 3))
    p = gen.uniform(0, 1, (N, 3))
    m = metrics.F1Score(average=average, threshold=0.5)
    for batch in batches(y, p):
        m.update_state(*batch)
    expected = sk.f1_score(y, p > 0.5, average=average)
    np.testing.assert_allclose(m.result(), expected, rtol=1e-5)


def test_f1_score_without_threshold_uses_the_argmax():
    labels = gen.integers(0, 3, N)
    p = gen.uniform(0, 1, (N, 3))
    m = metrics.F1Score(average="macro")
    m.update_state(np.eye(3)[labels], p)
    assert m.result() == pytest.approx(sk.f1_score(labels, p.argmax(-1), average="macro"),
                                       rel=1e-5)


@pytest.mark.parametrize("aggregation,sk_name", [("uniform_average", "uniform_average"),
                                                 ("variance_weighted_average",
                                                  "variance_weighted"),
                                                 (None, "raw_values")])
def test_r2_score_matches_sklearn(aggregation, sk_name):
    y = gen.standard_normal((N, 3))
    p = y + gen.standard_normal((N, 3)) * 0.5
    m = metrics.R2Score(class_aggregation=aggregation)
    for batch in batches(y, p, WEIGHTS):
        m.update_state(*batch)
    expected = sk.r2_score(y, p, sample_weight=WEIGHTS, multioutput=sk_name)
    np.testing.assert_allclose(m.result(), expected, rtol=1e-9)


def test_r2_score_adjusted_and_one_dimensional():
    y = gen.standard_normal(N)
    p = y + gen.standard_normal(N) * 0.3
    m = metrics.R2Score(num_regressors=3)
    m.update_state(y, p)
    r2 = sk.r2_score(y, p)
    assert m.result() == pytest.approx(1 - (1 - r2) * (N - 1) / (N - 3 - 1), rel=1e-9)


@pytest.mark.parametrize("cls,sk_fn", [
    (metrics.MeanSquaredError, sk.mean_squared_error),
    (metrics.MeanAbsoluteError, sk.mean_absolute_error),
    (metrics.RootMeanSquaredError, lambda *a, **k: np.sqrt(sk.mean_squared_error(*a, **k))),
    (metrics.MeanAbsolutePercentageError,
     lambda *a, **k: 100 * sk.mean_absolute_percentage_error(*a, **k)),
    (metrics.MeanSquaredLogarithmicError, sk.mean_squared_log_error),
])
def test_regression_errors_match_sklearn(cls, sk_fn):
    y = gen.uniform(0.5, 3, N)
    p = gen.uniform(0.5, 3, N)
    m = cls()
    for batch in batches(y, p, WEIGHTS):
        m.update_state(*batch)
    assert m.result() == pytest.approx(sk_fn(y, p, sample_weight=WEIGHTS), rel=1e-7)


# ----- accuracies and Keras' documented values --------------------------------------------------


def test_keras_documented_values():
    cases = [
        (metrics.Accuracy(), [[1], [2], [3], [4]], [[0], [2], [3], [4]], [1, 1, 0, 0], 0.75, 0.5),
        (metrics.BinaryAccuracy(), [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]],
         [1, 0, 0, 1], 0.75, 0.5),
        (metrics.CategoricalAccuracy(), [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8],
                                                                  [0.05, 0.95, 0]],
         [0.7, 0.3], 0.5, 0.3),
        (metrics.SparseCategoricalAccuracy(), [[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]],
         [0.7, 0.3], 0.5, 0.3),
        (metrics.TopKCategoricalAccuracy(k=1), [[0, 0, 1], [0, 1, 0]],
         [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], [0.7, 0.3], 0.5, 0.3),
        (metrics.SparseTopKCategoricalAccuracy(k=1), [2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]],
         [0.7, 0.3], 0.5, 0.3),
        (metrics.AUC(num_thresholds=3), [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [1, 0, 0, 1], 0.75, 1.0),
        (metrics.Precision(), [0, 1, 1, 1], [1, 0, 1, 1], [0, 0, 1, 0], 2 / 3, 1.0),
        (metrics.FalsePositives(), [0, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 0], 2.0, 1.0),
        (metrics.LogCoshError(), [[0, 1], [0, 0]], [[1, 1], [0, 0]], [1, 0], 0.10844523,
         0.21689045),
    ]
    for metric, y_true, y_pred, weights, plain, weighted in cases:
        metric.update_state(np.array(y_true), np.array(y_pred, "float32"))
        assert metric.result() == pytest.approx(plain, rel=1e-6), metric.name
        metric.reset_state()
        metric.update_state(np.array(y_true), np.array(y_pred, "float32"),
                            sample_weight=np.array(weights, "float32"))
        assert metric.result() == pytest.approx(weighted, rel=1e-6), metric.name


def test_accuracy_with_logits_integer_labels_and_tensors():
    logits = gen.standard_normal((N, 5))
    labels = gen.integers(0, 5, N)
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(labels, ember.tensor(logits))
    assert m.result() == pytest.approx(np.mean(logits.argmax(-1) == labels))
    top3 = metrics.SparseTopKCategoricalAccuracy(k=3)
    top3.update_state(labels, logits)
    expected = np.mean([lab in np.argsort(-row)[:3] for lab, row in zip(labels, logits)])
    assert top3.result() == pytest.approx(expected)


def test_loss_metrics_average_the_loss():
    probs = gen.uniform(0.05, 0.95, (N, 4))
    onehot = np.eye(4)[gen.integers(0, 4, N)]
    m = metrics.CategoricalCrossentropy()
    for batch in batches(onehot, probs):
        m.update_state(*batch)
    expected = losses.categorical_crossentropy(onehot, probs).numpy().mean()
    assert m.result() == pytest.approx(expected, rel=1e-9)
    assert m._direction == "down" and metrics.AUC()._direction == "up"


def test_mean_and_sum():
    mean, total = metrics.Mean(), metrics.Sum()
    mean.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    total.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert (mean.result(), total.result()) == (2.0, 4.0)
    mean.reset_state()
    assert mean.result() == 0.0
    mean.update_state(np.float32(3.0), sample_weight=2)
    mean.update_state(np.float32(6.0))
    assert mean.result() == pytest.approx(4.0)


def test_result_is_a_python_float():
    m = metrics.BinaryAccuracy()
    m.update_state(Y_BIN, SCORES)
    assert type(m.result()) is float


# ----- identifiers, names, configs ---------------------------------------------------------------


@pytest.mark.parametrize("name,cls,metric_name", [
    ("mse", "MeanSquaredError", "mean_squared_error"), ("MAE", "MeanAbsoluteError",
                                                       "mean_absolute_error"),
    ("auc", "AUC", None), ("AUC", "AUC", None), ("precision", "Precision", None),
    ("recall", "Recall", None), ("f1_score", "F1Score", "f1_score"),
    ("r2_score", "R2Score", "r2_score"), ("accuracy", "Accuracy", "accuracy"),
    ("binary_crossentropy", "BinaryCrossentropy", "binary_crossentropy"),
    ("top_k_categorical_accuracy", "TopKCategoricalAccuracy", "top_k_categorical_accuracy"),
    ("root_mean_squared_error", "RootMeanSquaredError", "root_mean_squared_error"),
    ("bce", "BinaryCrossentropy", "binary_crossentropy"),
])
def test_string_identifiers(name, cls, metric_name):
    metric = metrics.get(name)
    assert type(metric).__name__ == cls
    if metric_name:
        assert metric.name == metric_name


def test_unknown_metric_name_has_a_suggestion():
    with pytest.raises(ValueError) as info:
        metrics.get("acuracy")
    message = str(info.value)
    assert "Could not interpret metric identifier: 'acuracy'. Did you mean" in message
    assert "'accuracy'?" in message.lower()
    assert "Valid metric names:" in message


def test_default_names_are_made_unique():
    first, second = metrics.AUC(), metrics.AUC()
    assert first.name.startswith("auc") and second.name != first.name
    assert metrics.AUC(name="my_auc").name == "my_auc"


def test_functions_are_wrapped_in_a_mean():
    def double_error(y_true, y_pred):
        return 2 * np.abs(y_true - y_pred)

    metric = metrics.get(double_error)
    assert isinstance(metric, metrics.MeanMetricWrapper) and metric.name == "double_error"
    metric.update_state(np.zeros(4), np.ones(4))
    assert metric.result() == 2.0


@pytest.mark.parametrize("true_shape,pred_shape,cls", [
    ((32,), (32, 1), "BinaryAccuracy"), ((32, 1), (32, 1), "BinaryAccuracy"),
    ((32,), (32, 10), "SparseCategoricalAccuracy"),
    ((32, 1), (32, 10), "SparseCategoricalAccuracy"),
    ((32, 10), (32, 10), "CategoricalAccuracy"),
])
def test_resolve_accuracy_follows_keras_shapes(true_shape, pred_shape, cls):
    assert metrics.resolve_accuracy(true_shape, pred_shape, None).__name__ == cls
    crossentropy = metrics.resolve_crossentropy(true_shape, pred_shape, None).__name__
    assert crossentropy == cls.replace("Accuracy", "Crossentropy")


def test_resolve_accuracy_falls_back_on_the_loss_when_shapes_are_unknown():
    loss = losses.SparseCategoricalCrossentropy()
    assert metrics.resolve_accuracy(None, (32, 10), loss) is metrics.SparseCategoricalAccuracy


@pytest.mark.parametrize("metric", [
    metrics.AUC(curve="PR", num_thresholds=10), metrics.AUC(thresholds=[0.2, 0.6]),
    metrics.Precision(thresholds=[0.3, 0.6], top_k=2), metrics.Recall(class_id=1),
    metrics.F1Score(average="macro", threshold=0.4), metrics.FBetaScore(beta=2.0),
    metrics.R2Score(class_aggregation=None), metrics.BinaryAccuracy(threshold=0.3),
    metrics.TopKCategoricalAccuracy(k=2), metrics.CategoricalCrossentropy(from_logits=True),
    metrics.MeanSquaredError(), metrics.CosineSimilarity(axis=0), metrics.Mean(name="m"),
    metrics.RecallAtPrecision(0.7, num_thresholds=5),
])
def test_config_round_trip(metric):
    family_round_trip(metric, metrics, "keras.metrics")


@pytest.mark.parametrize("make,message", [
    (lambda: metrics.AUC(num_thresholds=1), "`num_thresholds` must be an integer > 1"),
    (lambda: metrics.AUC(curve="XY"), 'Invalid `curve` argument value "XY"'),
    (lambda: metrics.BinaryAccuracy(threshold=1.5), "Expected a value in interval \\(0, 1\\)"),
    (lambda: metrics.F1Score(average="sum"), "Invalid `average` argument value"),
    (lambda: metrics.Precision(thresholds=[1.5]), r"Threshold values must be in \[0, 1\]"),
    (lambda: metrics.R2Score(class_aggregation="max"), "Invalid value for argument"),
])
def test_argument_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_predictions_keras_mask_weights_mean_metrics():
    """As in Keras 3 (MeanMetricWrapper): masked timesteps count for nothing; with sample
    weights, mask and weights multiply. A real masked tagger gave 0.45 in both ember and
    Keras 3.15 (0.345 before, counting the padding)."""
    rng = np.random.default_rng(2)
    probs = rng.dirichlet(np.ones(3), size=(2, 5)).astype("float32")
    labels = rng.integers(0, 3, (2, 5))
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 0]], bool)
    y_pred = ember.tensor(probs)
    y_pred._keras_mask = ember.tensor(mask)
    hits = (probs.argmax(-1) == labels).astype(float)
    metric = metrics.SparseCategoricalAccuracy()
    metric.update_state(labels, y_pred)
    assert metric.result() == pytest.approx(hits[mask].mean())
    weights = np.array([2.0, 0.5])
    weighted = metrics.SparseCategoricalAccuracy()
    weighted.update_state(labels, y_pred, sample_weight=weights)
    w = mask * weights[:, None]
    assert weighted.result() == pytest.approx((hits * w).sum() / w.sum())
