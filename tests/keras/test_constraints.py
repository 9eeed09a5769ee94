"""Constraints: Keras' projections on arrays and tensors, identifiers, configs."""

import numpy as np
import pytest
from helpers.config_checks import family_round_trip

import ember
from ember.keras import constraints

W = np.random.default_rng(5).standard_normal((4, 3)) * 2


def _norms(w, axis):
    return np.sqrt((w * w).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("constraint,expected", [
    (constraints.MaxNorm(1.5, axis=0),
     W * np.clip(_norms(W, 0), 0, 1.5) / (1e-7 + _norms(W, 0))),
    (constraints.MaxNorm(1.0, axis=1),
     W * np.clip(_norms(W, 1), 0, 1.0) / (1e-7 + _norms(W, 1))),
    (constraints.NonNeg(), np.maximum(W, 0)),
    (constraints.UnitNorm(axis=0), W / (1e-7 + _norms(W, 0))),
    (constraints.MinMaxNorm(0.5, 2.0, rate=0.7, axis=0),
     W * (0.7 * np.clip(_norms(W, 0), 0.5, 2.0) + 0.3 * _norms(W, 0)) / (1e-7 + _norms(W, 0))),
])
def test_projections_match_keras_formulas(constraint, expected):
    np.testing.assert_allclose(constraint(W), expected, rtol=1e-12)
    out = constraint(ember.tensor(W.astype(np.float32)))
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-5)


def test_max_norm_leaves_small_columns_alone():
    small = W / 100
    np.testing.assert_allclose(constraints.MaxNorm(2.0)(small), small, rtol=1e-5)


def test_identifiers_and_errors():
    for name, cls in [("max_norm", "MaxNorm"), ("MaxNorm", "MaxNorm"), ("non_neg", "NonNeg"),
                      ("unit_norm", "UnitNorm"), ("min_max_norm", "MinMaxNorm")]:
        assert type(constraints.get(name)).__name__ == cls
    assert constraints.get(None) is None
    with pytest.raises(ValueError, match="Could not interpret constraint identifier: "
                                         "'nonneg'. Did you mean '(NonNeg|non_neg)'[?]"):
        constraints.get("nonneg")


@pytest.mark.parametrize("constraint", [constraints.MaxNorm(3, axis=1), constraints.NonNeg(),
                                        constraints.UnitNorm(axis=1),
                                        constraints.MinMaxNorm(0.1, 0.9, 0.5, 1)])
def test_config_round_trip(constraint):
    family_round_trip(constraint, constraints, "keras.constraints")
