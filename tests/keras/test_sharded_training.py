"""fit() trains large batches as one shard per thread (ember/keras/models/sharded_step.py):
the same weights, losses and metrics as one unsharded pass, reproducible, and only for the
models where that holds."""

import threading

import numpy as np
import pytest

import ember
from ember import keras, parallel
from ember.keras.models import sharded_step
from ember.keras.models.sharded_step import ShardedStep

layers = keras.layers


@pytest.fixture
def threads(monkeypatch):
    """Two threads (restored after), and every batch large enough to shard."""
    if parallel.set_num_threads(2) != 2:
        parallel.set_num_threads(1)
        pytest.skip("this NumPy's BLAS has no per-thread thread count: ember runs no pool")
    monkeypatch.setattr(sharded_step, "MIN_SHARD_ACTIVATIONS", 0)
    yield 2
    parallel.set_num_threads(1)


def convnet(dropout=0.0, **dense_options):
    model = keras.Sequential([
        keras.Input(shape=(8, 8, 2)),
        layers.Conv2D(6, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dropout(dropout),
        layers.Dense(4, activation="softmax", **dense_options),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 8, 8, 2)).astype("float32"), rng.integers(0, 4, n)


def train(build, threads_count, x, y, epochs=3, batch_size=16, **fit_options):
    """Weights and history of a model from seed 0, trained with ``threads_count`` threads."""
    parallel.set_num_threads(threads_count)
    ember.set_random_seed(0)
    model = build()
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=False, verbose=0,
                        **fit_options)
    return model, history.history


def assert_same_training(build, x, y, **fit_options):
    one, history_one = train(build, 1, x, y, **fit_options)
    two, history_two = train(build, 2, x, y, **fit_options)
    assert isinstance(two._shard_plan, ShardedStep)
    assert one._shard_plan is False
    for a, b in zip(one.get_weights(), two.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    assert history_one.keys() == history_two.keys()
    for key in history_one:
        np.testing.assert_allclose(history_one[key], history_two[key], rtol=1e-5, atol=1e-6)
    return two


def test_sharded_fit_equals_one_pass(threads):
    x, y = data()
    assert_same_training(convnet, x, y)


def test_uneven_shards_with_sample_weights_and_a_regularizer(threads):
    """Batches of 7 split 3 + 4: each shard's share is its size; the L2 term counts once."""
    x, y = data(21)
    weights = np.linspace(0.5, 2.0, 21).astype("float32")
    assert_same_training(lambda: convnet(kernel_regularizer="l2"), x, y, batch_size=7,
                         sample_weight=weights)


def test_two_output_functional_model(threads):
    def build():
        inputs = keras.Input(shape=(8, 8, 2))
        h = layers.Flatten()(layers.Conv2D(4, 3, activation="tanh")(inputs))
        model = keras.Model(inputs, {"label": layers.Dense(3, name="label")(h),
                                     "value": layers.Dense(1, name="value")(h)})
        model.compile(optimizer="sgd", loss={
            "label": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            "value": "mse"}, loss_weights={"label": 1.0, "value": 0.5})
        return model

    x, y = data(32)
    targets = {"label": y % 3, "value": x.mean(axis=(1, 2, 3))[:, None]}
    model = assert_same_training(build, x, targets)
    assert {"label_loss", "value_loss"} <= set(model.history.history)


def test_dropout_is_reproducible_with_a_fixed_seed(threads):
    x, y = data()
    first, _ = train(lambda: convnet(dropout=0.5), 2, x, y)
    second, _ = train(lambda: convnet(dropout=0.5), 2, x, y)
    assert isinstance(first._shard_plan, ShardedStep)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_sharded_training_learns(threads):
    """Two well-separated classes of images: the sharded fit must separate them."""
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 256)
    x = rng.standard_normal((256, 8, 8, 2)).astype("float32") + 2.5 * y[:, None, None, None]
    model, history = train(convnet, 2, x, y, epochs=8, batch_size=32)
    assert isinstance(model._shard_plan, ShardedStep)
    assert history["accuracy"][-1] > 0.95


def test_an_error_in_a_worker_shard_reaches_fit(threads, monkeypatch):
    x, y = data(32)
    model = convnet()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    flatten = model.layers[2]
    original = type(flatten).call

    def fails_off_the_main_thread(self, inputs):
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("raised in a worker shard")
        return original(self, inputs)

    monkeypatch.setattr(type(flatten), "call", fails_off_the_main_thread)
    with pytest.raises(RuntimeError, match="raised in a worker shard"):
        model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    plan = model._shard_plan
    assert isinstance(plan, ShardedStep)
    # the caller's shard had finished its backward: no partial gradient is left behind
    assert all(not group.grad.any() for group in plan.groups)
    assert all(not buffer.any() for buffers in plan.buffers for buffer in buffers)


class Doubling(layers.Layer):
    def call(self, inputs):
        return inputs * 2.0


class SubclassedBlock(keras.Model):
    """A model of ember's layers whose ``call`` is its author's code."""

    def __init__(self):
        super().__init__()
        self.flatten = layers.Flatten()
        self.dense = layers.Dense(6, activation="relu")

    def call(self, inputs):
        return self.dense(self.flatten(inputs))


@pytest.mark.parametrize("build", [
    lambda: keras.Sequential([keras.Input(shape=(8, 8, 2)), layers.BatchNormalization(),
                              layers.Flatten(), layers.Dense(4, activation="softmax")]),
    lambda: keras.Sequential([keras.Input(shape=(8, 8, 2)), Doubling(), layers.Flatten(),
                              layers.Dense(4, activation="softmax")]),
    lambda: keras.Sequential([keras.Input(shape=(8, 8, 2)), layers.Flatten(),
                              layers.Dropout(0.5, seed=3), layers.Dense(4, activation="softmax")]),
    lambda: keras.Sequential([keras.Input(shape=(8, 8, 2)), layers.Flatten(),
                              layers.Dense(4, activation="softmax",
                                           activity_regularizer="l2")]),
    lambda: keras.Sequential([keras.Input(shape=(8, 8, 2)), SubclassedBlock(),
                              layers.Dense(4, activation="softmax")]),
    lambda: keras.Sequential([keras.Input(shape=(3, 4)), layers.TimeDistributed(Doubling()),
                              layers.Flatten(), layers.Dense(4, activation="softmax")]),
], ids=["batch-norm", "custom-layer", "seeded-dropout", "activity-regularizer",
        "nested-subclassed-model", "wrapped-custom-layer"])
def test_models_that_cannot_shard_train_in_one_piece(threads, build):
    x, y = data(32)
    model = build()
    if model.input_shape == (None, 3, 4):
        x = x.reshape(32, -1)[:, :12].reshape(32, 3, 4)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert model._shard_plan is False


def test_a_summed_loss_trains_in_one_piece(threads):
    """Shards of a summed loss would need weights of 1, not n_s / n: not sharded."""
    x, y = data(32)
    model = convnet()
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(reduction="sum"))
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert isinstance(model._shard_plan, ShardedStep)
    assert not model._shard_plan.can_train()


def test_evaluate_and_predict_shard_the_forward_pass_exactly(threads):
    x, y = data(64)
    parallel.set_num_threads(1)
    ember.set_random_seed(0)
    whole = convnet()
    expected_eval = whole.evaluate(x, y, batch_size=32, verbose=0)
    expected = whole.predict(x, batch_size=32, verbose=0)
    parallel.set_num_threads(2)
    ember.set_random_seed(0)
    sharded = convnet()
    assert sharded.evaluate(x, y, batch_size=32, verbose=0) == expected_eval
    np.testing.assert_array_equal(sharded.predict(x, batch_size=32, verbose=0), expected)
    assert isinstance(sharded._shard_plan, ShardedStep) and whole._shard_plan is False


def test_small_batches_train_in_one_piece(threads, monkeypatch):
    """Below MIN_SHARD_ACTIVATIONS output values per batch a step is not split."""
    monkeypatch.setattr(sharded_step, "MIN_SHARD_ACTIVATIONS", 2**20)
    x, y = data(32)
    model = convnet()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    plan = model._shard_plan
    assert isinstance(plan, ShardedStep)
    assert plan.bounds(x[:16]) is None  # 16 x 416 output values
    assert plan.bounds(np.zeros((4096, 8, 8, 2), "float32")) == [(0, 2048), (2048, 4096)]


def test_masked_sequence_model(threads):
    """Embedding(mask_zero) -> LSTM: each shard carries its own mask."""
    def build():
        model = keras.Sequential([
            keras.Input(shape=(None,), dtype="int32"),
            layers.Embedding(12, 8, mask_zero=True),
            layers.LSTM(6),
            layers.Dense(1, activation="sigmoid"),
        ])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        return model

    rng = np.random.default_rng(3)
    x = rng.integers(1, 12, (24, 9)).astype("int32")
    x[:, 6:][rng.random((24, 3)) < 0.5] = 0  # padded tails
    y = (x[:, 0] > 5).astype("float32")
    assert_same_training(build, x, y, batch_size=12)


def test_causal_self_attention_model(threads):
    """A small GPT. SGD, not Adam: the key projection's bias has a gradient of zero in exact
    arithmetic (softmax ignores a shift shared by all keys), so its float gradient is rounding
    noise, which Adam's normalization would turn into full-size (and differing) steps."""
    from ember.recipes import build_char_gpt

    def build():
        model = build_char_gpt(11, context=8, width=16, layers=1, heads=2)
        model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9, global_clipnorm=1.0),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model

    rng = np.random.default_rng(4)
    x = rng.integers(0, 11, (16, 8)).astype("int32")
    assert_same_training(build, x, np.roll(x, -1, axis=1), batch_size=8)


def masked_tagger():
    """Per-token outputs that carry the Embedding's mask: the loss averages over valid tokens."""
    model = keras.Sequential([
        keras.Input(shape=(None,), dtype="int32"),
        layers.Embedding(12, 8, mask_zero=True),
        layers.LSTM(6, return_sequences=True),
        layers.Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def tagged_data():
    rng = np.random.default_rng(5)
    x = rng.integers(1, 12, (24, 7)).astype("int32")
    x[:12, 3:] = 0  # the first shard of each batch of 24 holds far fewer valid tokens
    return x, x % 3


def test_masked_outputs_train_in_one_piece(threads):
    """Shards of a masked mean hold unequal numbers of valid entries: n_s / n would be the wrong
    weight, so such a model trains unsharded and equals the one-thread run exactly."""
    x, y = tagged_data()
    one, history_one = train(masked_tagger, 1, x, y, batch_size=24)
    two, history_two = train(masked_tagger, 2, x, y, batch_size=24)
    assert two._masked_outputs is True and not two._shard_plan.can_train()
    for a, b in zip(one.get_weights(), two.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert history_one == history_two


def test_evaluation_keeps_the_shards_masks(threads):
    x, y = tagged_data()
    parallel.set_num_threads(1)
    ember.set_random_seed(0)
    expected = masked_tagger().evaluate(x, y, batch_size=24, verbose=0)
    parallel.set_num_threads(2)
    ember.set_random_seed(0)
    model = masked_tagger()
    assert model.evaluate(x, y, batch_size=24, verbose=0) == pytest.approx(expected, rel=1e-6)
    assert isinstance(model._shard_plan, ShardedStep)
