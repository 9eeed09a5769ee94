"""Learning-rate schedules against Keras' formulas, their errors and configs."""

import math

import numpy as np
import pytest
from helpers.config_checks import family_round_trip

from ember.keras.optimizers import schedules

STEPS = [0, 1, 3, 7, 10, 15, 29, 60]


def test_exponential_decay():
    s = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    stair = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    for step in STEPS:
        assert s(step) == pytest.approx(0.1 * 0.5 ** (step / 10), rel=1e-12)
        assert stair(step) == pytest.approx(0.1 * 0.5 ** (step // 10), rel=1e-12)


def test_piecewise_constant_decay():
    s = schedules.PiecewiseConstantDecay([5, 10], [1.0, 0.5, 0.1])
    assert [s(step) for step in (0, 5, 6, 10, 11, 100)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]


def test_polynomial_decay():
    s = schedules.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.01, power=0.5)
    cycle = schedules.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.01, cycle=True)
    for step in STEPS:
        p = min(step, 10) / 10
        assert s(step) == pytest.approx((0.1 - 0.01) * (1 - p) ** 0.5 + 0.01, rel=1e-12)
        steps = 10 * (1 if step == 0 else math.ceil(step / 10))
        assert cycle(step) == pytest.approx((0.1 - 0.01) * (1 - step / steps) + 0.01, rel=1e-12)


def test_inverse_time_decay():
    s = schedules.InverseTimeDecay(0.1, decay_steps=4, decay_rate=0.5)
    stair = schedules.InverseTimeDecay(0.1, decay_steps=4, decay_rate=0.5, staircase=True)
    for step in STEPS:
        assert s(step) == pytest.approx(0.1 / (1 + 0.5 * step / 4), rel=1e-12)
        assert stair(step) == pytest.approx(0.1 / (1 + 0.5 * (step // 4)), rel=1e-12)


def test_cosine_decay_with_and_without_warmup():
    s = schedules.CosineDecay(0.1, decay_steps=20, alpha=0.1)
    warm = schedules.CosineDecay(0.0, decay_steps=20, alpha=0.1, warmup_target=0.2,
                                 warmup_steps=5)
    for step in STEPS:
        cosine = 0.5 * (1 + math.cos(math.pi * min(step, 20) / 20))
        assert s(step) == pytest.approx(0.1 * (0.9 * cosine + 0.1), rel=1e-12)
        if step < 5:
            expected = 0.2 * step / 5
        else:
            d = min(step - 5, 20)
            expected = 0.2 * (0.9 * 0.5 * (1 + math.cos(math.pi * d / 20)) + 0.1)
        assert warm(step) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def _restarts_reference(step, first, t_mul, m_mul, alpha, lr=0.1):
    # walk the periods one by one
    start, length, scale = 0.0, float(first), 1.0
    while step >= start + length:
        start, length, scale = start + length, length * t_mul, scale * m_mul
    fraction = (step - start) / length
    return lr * ((1 - alpha) * 0.5 * scale * (1 + math.cos(math.pi * fraction)) + alpha)


@pytest.mark.parametrize("t_mul,m_mul", [(1.0, 1.0), (2.0, 1.0), (2.0, 0.5), (1.5, 0.8)])
def test_cosine_decay_restarts(t_mul, m_mul):
    s = schedules.CosineDecayRestarts(0.1, first_decay_steps=4, t_mul=t_mul, m_mul=m_mul,
                                      alpha=0.05)
    for step in [0, 1, 3, 5, 9, 13, 20, 33]:
        assert s(step) == pytest.approx(_restarts_reference(step, 4, t_mul, m_mul, 0.05),
                                        rel=1e-9)


@pytest.mark.parametrize("make,message", [
    (lambda: schedules.ExponentialDecay(0.1, 0, 0.5), r"`decay_steps` must be > 0"),
    (lambda: schedules.PolynomialDecay(0.1, -1), r"`decay_steps` must be > 0"),
    (lambda: schedules.InverseTimeDecay(0.1, 0, 0.5), r"`decay_steps` must be > 0"),
    (lambda: schedules.CosineDecay(0.1, 0), r"`decay_steps` must be > 0"),
    (lambda: schedules.CosineDecayRestarts(0.1, 0), r"`first_decay_steps` must be > 0"),
    (lambda: schedules.PiecewiseConstantDecay([1, 2], [1.0]),
     "The length of boundaries should be 1 less than the length of values"),
])
def test_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize("schedule", [
    schedules.ExponentialDecay(0.1, 10, 0.5, staircase=True),
    schedules.PiecewiseConstantDecay([5], [1.0, 0.5]),
    schedules.PolynomialDecay(0.1, 10, cycle=True),
    schedules.InverseTimeDecay(0.1, 10, 0.5),
    schedules.CosineDecay(0.1, 10, warmup_target=0.3, warmup_steps=2),
    schedules.CosineDecayRestarts(0.1, 10, t_mul=1.5),
])
def test_config_round_trip(schedule):
    again = family_round_trip(schedule, schedules, "keras.optimizers.schedules")
    assert [again(s) for s in (0, 3, 12)] == [schedule(s) for s in (0, 3, 12)]


def test_schedule_accepts_the_iterations_variable():
    import ember

    step = ember.Variable(np.array(10, np.int64), trainable=False)
    assert schedules.ExponentialDecay(1.0, 10, 0.5)(step) == pytest.approx(0.5)


def test_unknown_schedule_name():
    with pytest.raises(ValueError, match="Could not interpret learning rate schedule"):
        schedules.deserialize({"class_name": "StepDecay", "config": {}})
