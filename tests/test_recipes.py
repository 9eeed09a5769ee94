"""The built-in recipes: model shapes, optimizers, the character GPT (causality, saving) and its
windows and sampler."""

import numpy as np
import pytest

import ember
from ember import keras, recipes
from ember.datasets import CharVocabulary
from ember.models.gpt import PositionEmbedding, random_batches, sample_ids, windows

INPUTS = {"iris-mlp": (4,), "wine-mlp": (13,), "digits-cnn": (8, 8), "mnist-mlp": (28, 28),
          "mnist-cnn": (28, 28)}
CLASSES = {"iris-mlp": 3, "wine-mlp": 3, "digits-cnn": 10, "mnist-mlp": 10, "mnist-cnn": 10}


@pytest.mark.parametrize("name", sorted(INPUTS))
def test_table_and_image_recipes_take_their_data_shape(name, rng):
    recipe = recipes.get(name)
    x = rng.random((2,) + INPUTS[name]).astype(np.float32)
    model = recipe.build(x) if recipe.adapt else recipe.build()
    assert model.input_shape == (None,) + INPUTS[name]
    probabilities = model.predict(x, verbose=0)
    assert probabilities.shape == (2, CLASSES[name])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_iris_is_the_seed_model():
    model = recipes.get("iris").build()
    assert [layer.units for layer in model.layers] == [10, 8, 3]
    assert [layer.activation.__name__ for layer in model.layers] == ["relu", "relu", "softmax"]
    assert model.count_params() == (4 * 10 + 10) + (10 * 8 + 8) + (8 * 3 + 3)
    recipe = recipes.get("iris-mlp")
    assert (recipe.epochs, recipe.batch_size, recipe.optimizer, recipe.loss, recipe.metrics) == (
        100, 32, "adam", "sparse_categorical_crossentropy", ("accuracy",))


def test_wine_normalization_is_adapted_to_the_training_data(rng):
    x = rng.normal(50.0, 7.0, size=(40, 13)).astype(np.float32)
    model = recipes.build_wine_mlp(x)
    normalized = model.layers[0](x).numpy()
    np.testing.assert_allclose(normalized.mean(axis=0), 0.0, atol=1e-4)
    np.testing.assert_allclose(normalized.std(axis=0), 1.0, rtol=1e-3)


def test_unknown_recipe_names_the_closest():
    with pytest.raises(ValueError, match=r"Unknown recipe 'mnist-nn'\. Did you mean 'mnist-cnn'\? "
                                         r"Recipes: digits-cnn, iris, iris-mlp, mnist-cnn"):
        recipes.get("mnist-nn")
    assert recipes.get("iris") is recipes.get("iris-mlp")


def test_gpt_optimizer_and_overrides():
    recipe = recipes.get("shakespeare-gpt")
    adamw = recipe.make_optimizer()
    assert type(adamw).__name__ == "AdamW"
    assert (adamw.beta_1, adamw.beta_2, adamw.weight_decay, adamw.global_clipnorm) == (
        0.9, 0.99, 0.1, 1.0)
    assert float(np.asarray(adamw.learning_rate)) == pytest.approx(1e-3)
    slower = recipe.make_optimizer(learning_rate=3e-4)
    assert slower.weight_decay == 0.1
    assert float(np.asarray(slower.learning_rate)) == pytest.approx(3e-4)
    sgd = recipes.get("iris").make_optimizer("SGD", 0.05)
    assert type(sgd).__name__ == "SGD"
    assert float(np.asarray(sgd.learning_rate)) == pytest.approx(0.05)
    with pytest.raises(ValueError, match="Did you mean 'adam'"):
        recipe.make_optimizer("adma")


@pytest.fixture
def tiny_gpt():
    return recipes.build_char_gpt(11, context=8, width=16, layers=2, heads=2)


def test_gpt_shapes_and_causality(tiny_gpt, rng):
    ids = rng.integers(0, 11, (2, 8)).astype(np.int32)
    with ember.no_grad():
        logits = tiny_gpt(ids, training=False).numpy()
        assert logits.shape == (2, 8, 11)
        changed = ids.copy()
        changed[:, 5] = (changed[:, 5] + 1) % 11
        after = tiny_gpt(changed, training=False).numpy()
        short = tiny_gpt(ids[:, :3], training=False).numpy()
    # position t sees only positions <= t
    np.testing.assert_allclose(after[:, :5], logits[:, :5], rtol=1e-5, atol=1e-6)
    assert np.abs(after[:, 5:] - logits[:, 5:]).max() > 1e-4
    np.testing.assert_allclose(short, logits[:, :3], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"Layer 'position_embedding' \(PositionEmbedding\) "
                                         r"holds 8 positions; received a sequence of 9"):
        tiny_gpt(np.zeros((1, 9), np.int32))
    with pytest.raises(ValueError, match=r"`width` must be a multiple of `heads`\. Received: "
                                         r"width=10, heads=4"):
        recipes.build_char_gpt(11, width=10, heads=4)


def test_gpt_saves_and_loads(tiny_gpt, tmp_path, rng):
    ids = rng.integers(0, 11, (3, 6)).astype(np.int32)
    tiny_gpt.compile(optimizer="adamw",
                     loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    tiny_gpt.train_on_batch(ids[:, :-1], ids[:, 1:])
    tiny_gpt.save(tmp_path / "gpt.keras")
    loaded = keras.models.load_model(tmp_path / "gpt.keras")
    assert isinstance(loaded.get_layer("position_embedding"), PositionEmbedding)
    np.testing.assert_allclose(loaded.predict(ids, verbose=0), tiny_gpt.predict(ids, verbose=0),
                               rtol=1e-6, atol=1e-6)


def test_windows_and_random_batches():
    ids = np.arange(100)
    x, y = windows(ids, 10)
    assert x.shape == y.shape == (9, 10) and x.dtype == np.int32
    np.testing.assert_array_equal(x[:, 0], np.arange(0, 90, 10))
    np.testing.assert_array_equal(y, x + 1)
    x, _ = windows(ids, 10, count=3)
    np.testing.assert_array_equal(x[:, 0], [0, 40, 80])
    with pytest.raises(ValueError, match=r"the text \(5 characters\) is shorter than one window "
                                         r"of 11 characters"):
        windows(np.arange(5), 10)
    batches = random_batches(ids, 10, 4, np.random.default_rng(0))
    for _ in range(3):
        bx, by = next(batches)
        assert bx.shape == (4, 10)
        np.testing.assert_array_equal(by, bx + 1)  # ids are 0..99: the next id is one more
        np.testing.assert_array_equal(np.diff(bx, axis=1), 1)


def test_sampling(tiny_gpt):
    vocab = CharVocabulary("abcdefghijk")
    prompt = vocab.encode("abc")
    greedy = list(sample_ids(tiny_gpt, prompt, 10, temperature=0))
    ids = list(prompt)
    with ember.no_grad():  # the reference: argmax of the last position, over the last 8 ids
        for _ in range(10):
            logits = tiny_gpt(np.asarray(ids[-8:], np.int32)[None], training=False).numpy()
            ids.append(int(logits[0, -1].argmax()))
    assert greedy == ids[3:]
    first = list(sample_ids(tiny_gpt, prompt, 20, 1.0, np.random.default_rng(5)))
    again = list(sample_ids(tiny_gpt, prompt, 20, 1.0, np.random.default_rng(5)))
    assert first == again and all(0 <= i < 11 for i in first)
    with pytest.raises(ValueError, match=r"`temperature` must be >= 0\. Received: "
                                         r"temperature=-1"):
        next(sample_ids(tiny_gpt, prompt, 1, temperature=-1))
    with pytest.raises(ValueError, match="the prompt must hold at least one id"):
        next(sample_ids(tiny_gpt, [], 1))
