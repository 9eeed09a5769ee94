"""Regularizers: Keras' penalties (no 1/2 on L2), gradients, identifiers, configs."""

import numpy as np
import pytest
from helpers.checks import numeric_gradcheck
from helpers.config_checks import family_round_trip

import ember
from ember.keras import regularizers

W = np.random.default_rng(2).standard_normal((5, 4))


@pytest.mark.parametrize("regularizer,expected", [
    (regularizers.L1(0.3), 0.3 * np.abs(W).sum()),
    (regularizers.L2(0.3), 0.3 * np.square(W).sum()),
    (regularizers.L1L2(l1=0.1, l2=0.2), 0.1 * np.abs(W).sum() + 0.2 * np.square(W).sum()),
    (regularizers.get("l2"), 0.01 * np.square(W).sum()),
    (regularizers.get("l1"), 0.01 * np.abs(W).sum()),
    (regularizers.get("l1_l2"), 0.01 * np.abs(W).sum() + 0.01 * np.square(W).sum()),
])
def test_penalties_match_keras_formulas(regularizer, expected):
    penalty = regularizer(ember.tensor(W))
    assert penalty.shape == () and float(penalty) == pytest.approx(expected, rel=1e-12)
    numeric_gradcheck(regularizer, W)


def test_penalty_keeps_the_weight_dtype_and_gradient():
    w = ember.Variable(W.astype(np.float32))
    penalty = regularizers.L2(0.5)(w)
    penalty.backward()
    assert penalty.dtype == np.float32
    np.testing.assert_allclose(w.grad, 2 * 0.5 * W.astype(np.float32), rtol=1e-6)


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer(mode):
    reg = regularizers.OrthogonalRegularizer(factor=0.2, mode=mode)
    m = W if mode == "rows" else W.T
    unit = m / np.linalg.norm(m, axis=1, keepdims=True)
    product = np.abs(unit @ unit.T) * (1 - np.eye(len(m)))
    pairs = len(m) * (len(m) - 1) / 2
    assert float(reg(ember.tensor(W))) == pytest.approx(0.2 * 0.5 * product.sum() / pairs)
    numeric_gradcheck(reg, W)
    with pytest.raises(ValueError, match="Inputs to OrthogonalRegularizer must have rank 2"):
        reg(ember.tensor(np.ones(3)))


@pytest.mark.parametrize("make,message", [
    (lambda: regularizers.L2(-1.0), "Invalid value for argument l2: expected a non-negative"),
    (lambda: regularizers.L1(float("nan")), "Invalid value for argument l1"),
    (lambda: regularizers.OrthogonalRegularizer(mode="diag"), "Invalid value for argument `mode`"),
    (lambda: regularizers.get("l3"), "Could not interpret regularizer identifier: 'l3'. "
     "Did you mean .*Valid regularizer names: .*l1, l1_l2, l1l2, l2"),
])
def test_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_identifiers():
    for name, cls in [("L1", "L1"), ("l1", "L1"), ("L2", "L2"), ("L1L2", "L1L2"),
                      ("l1_l2", "L1L2"), ("orthogonal_regularizer", "OrthogonalRegularizer")]:
        assert type(regularizers.get(name)).__name__ == cls
    assert regularizers.get(None) is None
    assert regularizers.get({"class_name": "L2", "config": {"l2": 0.5}}).l2 == 0.5


@pytest.mark.parametrize("regularizer", [regularizers.L1(0.2), regularizers.L2(0.1),
                                         regularizers.L1L2(0.1, 0.3),
                                         regularizers.OrthogonalRegularizer(0.5, "columns")])
def test_config_round_trip(regularizer):
    family_round_trip(regularizer, regularizers, "keras.regularizers")
