"""Initializers: Keras' formulas (limits, standard deviations, fans), seeds, identifiers."""

import math

import numpy as np
import pytest
from helpers.config_checks import family_round_trip

import ember
from ember.keras import initializers

SHAPE = (200, 300)  # fan_in 200, fan_out 300


@pytest.mark.parametrize("name,limit", [
    ("glorot_uniform", math.sqrt(6 / 500)), ("he_uniform", math.sqrt(6 / 200)),
    ("lecun_uniform", math.sqrt(3 / 200)), ("random_uniform", 0.05), ("uniform", 0.05),
])
def test_uniform_limits_and_variance(name, limit):
    values = initializers.get(name)(SHAPE)
    assert values.dtype == np.float32 and values.shape == SHAPE
    assert np.abs(values).max() <= limit
    assert np.abs(values).max() > 0.98 * limit
    assert values.std() == pytest.approx(limit / math.sqrt(3), rel=0.02)


@pytest.mark.parametrize("name,stddev", [
    ("glorot_normal", math.sqrt(2 / 500)), ("he_normal", math.sqrt(2 / 200)),
    ("lecun_normal", math.sqrt(1 / 200)), ("truncated_normal", 0.05),
])
def test_truncated_normals_have_the_target_deviation_and_cut_at_two_sigma(name, stddev):
    values = initializers.get(name)(SHAPE).astype(np.float64)
    scale = stddev / 0.87962566103423978 if name != "truncated_normal" else stddev
    assert np.abs(values).max() <= 2 * scale * (1 + 1e-6)
    assert values.std() == pytest.approx(scale * 0.87962566103423978, rel=0.02)


def test_random_normal_and_untruncated_variance_scaling():
    values = initializers.RandomNormal(mean=1.0, stddev=0.5)(SHAPE)
    assert values.mean() == pytest.approx(1.0, abs=0.01)
    assert values.std() == pytest.approx(0.5, rel=0.02)
    scaled = initializers.VarianceScaling(scale=2.0, mode="fan_out",
                                          distribution="untruncated_normal")(SHAPE)
    assert scaled.std() == pytest.approx(math.sqrt(2 / 300), rel=0.02)


def test_compute_fans_for_conv_kernels():
    assert initializers.compute_fans((3, 3, 16, 32)) == (144, 288)
    assert initializers.compute_fans((7,)) == (7, 7)
    assert initializers.compute_fans(()) == (1, 1)


def test_orthogonal_identity_constant():
    q = initializers.get("orthogonal")((6, 4), dtype="float64")
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-12)
    wide = initializers.OrthogonalInitializer(gain=2.0)((3, 5), dtype="float64")
    np.testing.assert_allclose(wide @ wide.T, 4 * np.eye(3), atol=1e-12)
    np.testing.assert_array_equal(initializers.Identity(gain=3.0)((2, 3)),
                                  [[3, 0, 0], [0, 3, 0]])
    np.testing.assert_array_equal(initializers.Constant(0.5)((2,)), [0.5, 0.5])
    assert initializers.get("zeros")((2,), dtype="float64").dtype == np.float64
    np.testing.assert_array_equal(initializers.get("one")((2,)), [1, 1])


def test_seeded_initializers_repeat_and_unseeded_follow_set_random_seed():
    seeded = initializers.GlorotUniform(seed=3)
    np.testing.assert_array_equal(seeded((4, 4)), seeded((4, 4)))
    unseeded = initializers.GlorotUniform()
    ember.set_random_seed(5)
    first = unseeded((4, 4))
    assert not np.array_equal(first, unseeded((4, 4)))
    ember.set_random_seed(5)
    np.testing.assert_array_equal(first, unseeded((4, 4)))


@pytest.mark.parametrize("make,message", [
    (lambda: initializers.Identity()((2, 2, 2)),
     "Identity matrix initializer can only be used for 2D matrices"),
    (lambda: initializers.OrthogonalInitializer()((4,)),
     "Orthogonal initializer only supports 2D\\+ shapes"),
    (lambda: initializers.VarianceScaling(mode="fan_sum"), "Invalid `mode` argument"),
    (lambda: initializers.VarianceScaling(distribution="gamma"),
     "Invalid `distribution` argument"),
    (lambda: initializers.VarianceScaling(scale=0), "Argument `scale` must be positive"),
    (lambda: initializers.RandomNormal(seed="a"), "`seed` argument should be an integer"),
])
def test_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("name,cls", [
    ("glorot_uniform", "GlorotUniform"), ("GlorotUniform", "GlorotUniform"),
    ("he_normal", "HeNormal"), ("lecun_uniform", "LecunUniform"),
    ("orthogonal", "OrthogonalInitializer"), ("Orthogonal", "OrthogonalInitializer"),
    ("zeros", "Zeros"), ("zero", "Zeros"), ("ones", "Ones"), ("one", "Ones"),
    ("constant", "Constant"), ("identity", "Identity"), ("random_normal", "RandomNormal"),
    ("normal", "RandomNormal"), ("uniform", "RandomUniform"),
    ("truncated_normal", "TruncatedNormal"), ("variance_scaling", "VarianceScaling"),
])
def test_string_identifiers(name, cls):
    assert type(initializers.get(name)).__name__ == cls


def test_unknown_name_raises_with_a_suggestion():
    with pytest.raises(ValueError, match="Could not interpret initializer identifier: "
                                         "'glorot_unifrom'. Did you mean 'glorot_uniform'?"):
        initializers.get("glorot_unifrom")


@pytest.mark.parametrize("initializer", [
    initializers.GlorotUniform(seed=1), initializers.HeNormal(), initializers.Constant(2.0),
    initializers.RandomUniform(-1.0, 1.0, seed=4), initializers.TruncatedNormal(stddev=0.1),
    initializers.VarianceScaling(scale=0.5, mode="fan_avg", distribution="uniform"),
    initializers.OrthogonalInitializer(gain=0.5), initializers.Identity(gain=2.0),
])
def test_config_round_trip(initializer):
    family_round_trip(initializer, initializers, "keras.initializers")


def test_glorot_uniform_config_is_keras_shaped():
    assert initializers.serialize(initializers.get("glorot_uniform")) == {
        "module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": None},
        "registered_name": None}
