"""The optimizer API around the update rules: identifiers, errors, flat buffers, state order,
learning-rate handling, configs, saving, EMA, constraints."""

import warnings

import numpy as np
import pytest

import ember
from ember.keras import constraints, optimizers
from ember.keras.optimizers import schedules


def make_variables(dtype="float32"):
    gen = np.random.default_rng(0)
    kernel = ember.Variable(gen.standard_normal((3, 2)).astype(dtype), name="kernel")
    bias = ember.Variable(gen.standard_normal((2,)).astype(dtype), name="bias")
    kernel.path, bias.path = "dense/kernel", "dense/bias"
    return [kernel, bias]


def loss_of(variables):
    return ember.sum(variables[0] * variables[0]) + ember.sum(variables[1] * 3.0)


# ----- identifiers and arguments -----------------------------------------------------------


@pytest.mark.parametrize("name", ["adam", "Adam", "ADAM"])
def test_names_are_case_insensitive(name):
    assert type(optimizers.get(name)) is optimizers.Adam


@pytest.mark.parametrize("name,cls", [("sgd", "SGD"), ("rmsprop", "RMSprop"),
                                      ("adagrad", "Adagrad"), ("adadelta", "Adadelta"),
                                      ("adamw", "AdamW"), ("adamax", "Adamax"),
                                      ("nadam", "Nadam"), ("lion", "Lion")])
def test_every_keras_name_resolves(name, cls):
    assert type(optimizers.get(name)).__name__ == cls


def test_unknown_name_lists_valid_names_and_closest():
    with pytest.raises(ValueError) as info:
        optimizers.get("rmsprp")
    message = str(info.value)
    assert "Could not interpret optimizer identifier: 'rmsprp'" in message
    assert "Did you mean 'rmsprop'?" in message
    assert "Valid optimizer names: adadelta, adagrad, adam, adamax, adamw, lion" in message


def test_get_passes_instances_and_builds_from_config_dicts():
    opt = optimizers.SGD(learning_rate=0.5)
    assert optimizers.get(opt) is opt
    rebuilt = optimizers.get({"class_name": "sgd", "config": {"learning_rate": 0.25}})
    assert type(rebuilt) is optimizers.SGD and rebuilt.learning_rate == 0.25
    assert optimizers.get(None) is None


def test_lr_keyword_is_rejected_as_in_keras():
    with pytest.raises(ValueError, match=r"Argument\(s\) not recognized: \{'lr': 0.1\}"):
        optimizers.Adam(lr=0.1)


def test_decay_warns_and_is_ignored():
    with pytest.warns(UserWarning, match="`decay` is no longer supported"):
        optimizers.SGD(decay=0.1)


@pytest.mark.parametrize("make,message", [
    (lambda: optimizers.SGD(momentum=1.5), r"`momentum` must be a float between \[0, 1\]"),
    (lambda: optimizers.Lion(beta_1=0.0), "Argument `beta_1` must be in the"),
    (lambda: optimizers.AdamW(weight_decay=None), "`weight_decay` must be a float"),
    (lambda: optimizers.Adam(clipnorm=1.0, clipvalue=1.0),
     "Only one of `clipnorm`, `clipvalue` and `global_clipnorm`"),
    (lambda: optimizers.Adam(learning_rate="fast"), "Argument `learning_rate` should be float"),
    (lambda: optimizers.Adam(use_ema=True, ema_momentum=2.0), "`ema_momentum` must be in"),
    (lambda: optimizers.Adam(gradient_accumulation_steps=1),
     "`gradient_accumulation_steps` must be an integer >= 2"),
])
def test_argument_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_keras_default_names_and_hyperparameters():
    assert optimizers.SGD().name == "SGD"
    assert optimizers.Adam().get_config()["epsilon"] == 1e-7
    assert optimizers.AdamW().weight_decay == 0.004
    assert optimizers.RMSprop().get_config()["rho"] == 0.9
    assert optimizers.Adagrad().initial_accumulator_value == 0.1
    assert optimizers.Adadelta().rho == 0.95
    assert optimizers.Lion().beta_2 == 0.99
    assert optimizers.SGD().learning_rate == pytest.approx(0.01)
    assert optimizers.Adam().get_config()["learning_rate"] == 0.0010000000474974513


# ----- flat buffers ------------------------------------------------------------------------


def test_build_makes_variables_views_of_one_buffer():
    variables = make_variables()
    optimizer = optimizers.Adam()
    optimizer.build(variables)
    flat = optimizer.flat_parameters
    assert isinstance(flat, ember.FlatParameters)
    for v in variables:
        assert v.data.base is flat.data and v.grad.base is flat.grad
    assert flat.data.size == 8


def test_existing_flat_buffers_are_reused_not_copied():
    variables = make_variables()
    flat = ember.FlatParameters(variables)
    optimizer = optimizers.SGD()
    optimizer.build(variables)
    assert optimizer.flat_parameters.data is flat.data
    loss_of(variables).backward()
    optimizer.apply([v.grad for v in variables], variables)
    assert not flat.grad.any()


def test_own_gradients_are_used_in_place_and_zeroed_after_the_step():
    variables = make_variables()
    optimizer = optimizers.SGD(learning_rate=0.1)
    optimizer.build(variables)
    before = [v.numpy().copy() for v in variables]
    loss_of(variables).backward()
    grads = [v.grad for v in variables]
    expected = [b - 0.1 * g for b, g in zip(before, grads)]
    optimizer.apply(grads, variables)
    for v, e in zip(variables, expected):
        np.testing.assert_allclose(v.numpy(), e, rtol=1e-6)
        assert not v.grad.any()


def test_rebound_grad_and_data_are_reattached():
    variables = make_variables()
    optimizer = optimizers.SGD(learning_rate=0.1)
    optimizer.build(variables)
    variables[0].grad = None  # backward now makes a new array
    variables[1].data = np.zeros(2, np.float32)  # someone replaced the values
    loss_of(variables).backward()
    expected0 = variables[0].numpy() - 0.1 * variables[0].grad
    optimizer.apply([v.grad for v in variables], variables)
    np.testing.assert_allclose(variables[0].numpy(), expected0, rtol=1e-6)
    np.testing.assert_allclose(variables[1].numpy(), [-0.3, -0.3], rtol=1e-6)
    flat = optimizer.flat_parameters
    assert variables[0].grad.base is flat.grad and variables[1].data.base is flat.data


def test_missing_gradient_skips_that_variable_with_a_warning():
    variables = make_variables()
    optimizer = optimizers.Adam(learning_rate=0.1)
    before = [v.numpy().copy() for v in variables]
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['bias'\]"):
        optimizer.apply([np.ones((3, 2), np.float32), None], variables)
    np.testing.assert_array_equal(variables[1].numpy(), before[1])
    assert not np.allclose(variables[0].numpy(), before[0])
    assert not optimizer.variables[4].numpy().any()  # bias momentum untouched
    assert optimizer.variables[2].numpy().any()  # kernel momentum moved
    with pytest.raises(ValueError, match="No gradients provided for any variable."):
        optimizer.apply([None, None], variables)


def test_unknown_variable_and_unbuilt_apply_errors():
    optimizer = optimizers.SGD()
    with pytest.raises(ValueError, match="the optimizer must already be built"):
        optimizer.apply([np.ones(2)])
    variables = make_variables()
    optimizer.build(variables)
    stranger = ember.Variable(np.ones(2, np.float32), name="stranger")
    with pytest.raises(ValueError, match="Unknown variable"):
        optimizer.apply([np.ones(2, np.float32)], [stranger])


def test_constraints_are_applied_after_the_update():
    variables = make_variables()
    variables[0].constraint = constraints.NonNeg()
    optimizer = optimizers.SGD(learning_rate=10.0)
    loss_of(variables).backward()
    optimizer.apply([v.grad for v in variables], variables)
    assert (variables[0].numpy() >= 0).all()
    assert variables[0].data.base is optimizer.flat_parameters.data


# ----- state: order, names, saving ---------------------------------------------------------


def test_variables_follow_keras_order():
    variables = make_variables()
    adam = optimizers.Adam()
    adam.build(variables)
    names = [v.name for v in adam.variables]
    assert names == ["iteration", "learning_rate", "dense_kernel_momentum",
                     "dense_kernel_velocity", "dense_bias_momentum", "dense_bias_velocity"]
    assert adam.variables[0].dtype == np.int64 and adam.variables[2].shape == (3, 2)
    ema = optimizers.SGD(momentum=0.9, use_ema=True, gradient_accumulation_steps=2)
    ema.build(make_variables())
    assert [v.name for v in ema.variables][2:] == [
        "dense_kernel_average", "dense_kernel_gradient_accumulator", "dense_bias_average",
        "dense_bias_gradient_accumulator", "dense_kernel_momentum", "dense_bias_momentum"]
    nadam = optimizers.Nadam()
    nadam.build(make_variables())
    assert nadam.variables[-1].name == "u_product" and len(nadam.variables) == 7


def test_saved_state_resumes_exactly():
    def run(optimizer, variables, steps):
        for _ in range(steps):
            loss_of(variables).backward()
            optimizer.apply([v.grad for v in variables], variables)

    straight_vars = make_variables()
    straight = optimizers.Nadam(learning_rate=0.05)
    run(straight, straight_vars, 6)

    first_vars = make_variables()
    first = optimizers.Nadam(learning_rate=0.05)
    run(first, first_vars, 3)
    store = {}
    first.save_own_variables(store)
    resumed_vars = [ember.Variable(v.numpy().copy(), name=v.name) for v in first_vars]
    resumed = optimizers.Nadam(learning_rate=0.05)
    resumed.build(resumed_vars)
    resumed.load_own_variables(store)
    assert int(resumed.iterations.numpy()) == 3
    run(resumed, resumed_vars, 3)
    for a, b in zip(straight_vars, resumed_vars):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)


def test_loading_a_mismatched_state_warns_and_skips():
    optimizer = optimizers.Adam()
    optimizer.build(make_variables())
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer 'adam'"):
        optimizer.load_own_variables({"0": np.array(3)})


# ----- learning rate -----------------------------------------------------------------------


def test_learning_rate_is_a_settable_float32_value():
    optimizer = optimizers.Adam(learning_rate=0.01)
    assert isinstance(optimizer.learning_rate, float)
    assert optimizer.learning_rate == float(np.float32(0.01))
    optimizer.learning_rate = 0.5
    assert optimizer.learning_rate == 0.5
    optimizer.learning_rate.assign(0.25)
    assert optimizer.learning_rate.numpy() == np.float32(0.25)


def test_schedule_learning_rate_follows_iterations_and_is_not_settable():
    schedule = schedules.PiecewiseConstantDecay([1], [1.0, 0.5])
    optimizer = optimizers.SGD(learning_rate=schedule)
    variables = make_variables()
    assert optimizer.learning_rate == 1.0
    assert [v.name for v in optimizer.variables] == ["iteration"]
    for _ in range(2):
        optimizer.apply([np.zeros((3, 2), np.float32), np.zeros(2, np.float32)], variables)
    assert optimizer.learning_rate == 0.5
    with pytest.raises(TypeError, match="its learning rate is not settable"):
        optimizer.learning_rate = 0.1


def test_callable_learning_rate():
    optimizer = optimizers.SGD(learning_rate=lambda: 0.5)
    variables = make_variables()
    before = variables[1].numpy().copy()
    optimizer.apply([np.zeros((3, 2), np.float32), np.ones(2, np.float32)], variables)
    np.testing.assert_allclose(variables[1].numpy(), before - 0.5)


# ----- EMA, exclusions, config -------------------------------------------------------------


def test_finalize_sets_variables_to_their_moving_average():
    variables = make_variables()
    optimizer = optimizers.SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.5)
    history = []
    for _ in range(3):
        loss_of(variables).backward()
        optimizer.apply([v.grad for v in variables], variables)
        history.append(variables[1].numpy().copy())
    average = history[0]
    for value in history[1:]:
        average = 0.5 * average + 0.5 * value
    optimizer.finalize_variable_values(variables)
    np.testing.assert_allclose(variables[1].numpy(), average, rtol=1e-6)


def test_exclude_from_weight_decay_after_build_raises():
    optimizer = optimizers.AdamW()
    optimizer.build(make_variables())
    with pytest.raises(ValueError, match="can only be configured before the optimizer is built"):
        optimizer.exclude_from_weight_decay(var_names=["bias"])


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "AdamW",
                                  "Adamax", "Nadam", "Lion"])
def test_config_round_trip(name):
    cls = getattr(optimizers, name)
    optimizer = cls(learning_rate=0.02, clipnorm=1.5)
    config = optimizer.get_config()
    rebuilt = cls.from_config(config)
    assert rebuilt.get_config() == config
    serialized = optimizers.serialize(optimizer)
    assert serialized["module"] == "keras.optimizers" and serialized["class_name"] == name
    assert optimizers.deserialize(serialized).get_config() == config


def test_config_with_a_schedule_round_trips():
    schedule = schedules.CosineDecay(0.1, decay_steps=100, warmup_target=0.2, warmup_steps=5)
    config = optimizers.Adam(learning_rate=schedule).get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"
    rebuilt = optimizers.Adam.from_config(config)
    assert isinstance(rebuilt._learning_rate, schedules.CosineDecay)
    assert rebuilt._learning_rate.get_config() == schedule.get_config()


def test_apply_gradients_pairs_and_iterations():
    variables = make_variables()
    optimizer = optimizers.SGD()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = optimizer.apply_gradients([(np.ones((3, 2), np.float32), variables[0]),
                                            (np.ones(2, np.float32), variables[1])])
    assert int(result.numpy()) == 1 and int(optimizer.iterations.numpy()) == 1
