"""Built-in training recipes for ``ember train``: a Keras model, its data and its settings.

>>> from ember import recipes
>>> recipe = recipes.get("iris")
>>> model = recipe.build()
>>> model.count_params()
165

Every builder returns an uncompiled ``keras`` model that takes its data set's natural shape
(iris rows of 4 values, digits 8x8 images, MNIST 28x28 images, character ids), so a saved model
evaluates on the same data without any preprocessing outside the model.
"""

from dataclasses import dataclass, field

import numpy as np

from .keras.identifiers import closest


def build_iris_mlp():
    """The seed script's model: Dense(10, relu) on 4 features, Dense(8, relu), Dense(3, softmax)."""
    from . import keras

    return keras.Sequential([
        keras.layers.Dense(10, activation="relu", input_shape=(4,)),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(3, activation="softmax"),
    ])


def build_wine_mlp(x_train=None):
    """Wine's 13 unscaled measurements (up to 1,680), standardized by a Normalization layer
    adapted to ``x_train``, then an MLP."""
    from . import keras

    normalization = keras.layers.Normalization()
    if x_train is not None:
        normalization.adapt(x_train)
    return keras.Sequential([
        keras.Input(shape=(13,)),
        normalization,
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(3, activation="softmax"),
    ])


def build_digits_cnn():
    """A small convnet for scikit-learn's 8x8 digits."""
    from . import keras

    layers = keras.layers
    return keras.Sequential([
        keras.Input(shape=(8, 8)),
        layers.Reshape((8, 8, 1)),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),  # (4, 4, 16)
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),  # (2, 2, 32)
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])


def build_mnist_mlp():
    """The TensorFlow beginner quickstart's MLP (with a softmax output)."""
    from . import keras

    return keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax"),
    ])


def build_mnist_cnn():
    """keras-io's ``mnist_convnet`` example."""
    from . import keras

    layers = keras.layers
    return keras.Sequential([
        keras.Input(shape=(28, 28)),
        layers.Reshape((28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])


def build_char_gpt(vocab_size, context=64, width=128, layers=4, heads=4, dropout=0.0):
    """A GPT over characters: token + position embeddings, ``layers`` pre-norm blocks of causal
    multi-head self-attention and a GELU MLP, a final LayerNormalization and a Dense head giving
    logits over ``vocab_size`` characters. Returns an uncompiled ``keras.Model`` that maps
    ``(batch, time)`` ids, time up to ``context``, to logits ``(batch, time, vocab_size)``.
    Each block is pre-norm, as in nanoGPT: ``x + attention(ln(x))``, then ``x + mlp(ln(x))``.

    >>> model = build_char_gpt(65, context=16, width=32, layers=1, heads=2)
    >>> model.output_shape
    (None, None, 65)
    """
    from . import keras
    from .models.gpt import PositionEmbedding

    if width % heads:
        raise ValueError(f"build_char_gpt: `width` must be a multiple of `heads`. Received: "
                         f"width={width}, heads={heads}")
    layer = keras.layers
    ids = keras.Input(shape=(None,), dtype="int32", name="ids")  # (B, T)
    tokens = layer.Embedding(vocab_size, width, name="token_embedding")(ids)  # (B, T, C)
    x = layer.Add()([tokens, PositionEmbedding(context, name="position_embedding")(tokens)])
    if dropout:
        x = layer.Dropout(dropout)(x)
    for i in range(layers):
        h = layer.LayerNormalization(epsilon=1e-5, name=f"block{i}_ln1")(x)
        h = layer.MultiHeadAttention(heads, width // heads, dropout=dropout,
                                     name=f"block{i}_attention")(h, h, use_causal_mask=True)
        x = layer.Add()([x, h])
        h = layer.LayerNormalization(epsilon=1e-5, name=f"block{i}_ln2")(x)
        h = layer.Dense(4 * width, activation="gelu", name=f"block{i}_mlp_up")(h)  # (B, T, 4C)
        h = layer.Dense(width, name=f"block{i}_mlp_down")(h)  # (B, T, C)
        if dropout:
            h = layer.Dropout(dropout)(h)
        x = layer.Add()([x, h])
    x = layer.LayerNormalization(epsilon=1e-5, name="final_ln")(x)
    logits = layer.Dense(vocab_size, name="logits")(x)  # (B, T, vocab)
    return keras.Model(ids, logits, name="char_gpt")


GPT_OPTIMIZER = {"class_name": "AdamW", "config": {
    "learning_rate": 1e-3, "beta_1": 0.9, "beta_2": 0.99, "weight_decay": 0.1,
    "global_clipnorm": 1.0}}


@dataclass(frozen=True)
class Recipe:
    """A model builder with its data set and training settings (all overridable on the CLI)."""

    name: str
    description: str
    dataset: str
    build: object
    epochs: int
    batch_size: int
    optimizer: object = "adam"
    loss: str = "sparse_categorical_crossentropy"
    metrics: tuple = ("accuracy",)
    steps_per_epoch: int = None
    options: dict = field(default_factory=dict)
    adapt: bool = False  # the builder takes x_train (to adapt a Normalization layer)

    def make_optimizer(self, name=None, learning_rate=None):
        """The optimizer: the recipe's, or ``name``'s defaults; ``learning_rate`` overrides."""
        from .keras import optimizers

        if name is None and isinstance(self.optimizer, dict):
            config = dict(self.optimizer["config"])
            if learning_rate is not None:
                config["learning_rate"] = learning_rate
            return optimizers.get({"class_name": self.optimizer["class_name"],
                                   "config": config})
        optimizer = optimizers.get(name or self.optimizer)
        if learning_rate is not None:
            optimizer = type(optimizer)(learning_rate=learning_rate)
        return optimizer

    def make_loss(self):
        from .keras import losses

        if self.loss == "sparse_categorical_crossentropy_from_logits":
            return losses.SparseCategoricalCrossentropy(from_logits=True)
        return self.loss


RECIPES = {
    "iris-mlp": Recipe("iris-mlp", "the seed script: an MLP on the iris flowers", "iris",
                       build_iris_mlp, epochs=100, batch_size=32),
    "wine-mlp": Recipe("wine-mlp", "an MLP on the wine measurements", "wine",
                       build_wine_mlp, epochs=100, batch_size=32, adapt=True),
    "digits-cnn": Recipe("digits-cnn", "a convnet on scikit-learn's 8x8 digits", "digits",
                         build_digits_cnn, epochs=20, batch_size=32),
    "mnist-mlp": Recipe("mnist-mlp", "the beginner quickstart MLP on MNIST", "mnist",
                        build_mnist_mlp, epochs=10, batch_size=32),
    "mnist-cnn": Recipe("mnist-cnn", "keras-io's MNIST convnet", "mnist", build_mnist_cnn,
                        epochs=15, batch_size=128),
    "shakespeare-gpt": Recipe(
        "shakespeare-gpt", "a character GPT on Tiny Shakespeare (4 layers, 4 heads, width 128, "
        "context 64)", "shakespeare", build_char_gpt, epochs=25, batch_size=12,
        optimizer=GPT_OPTIMIZER, loss="sparse_categorical_crossentropy_from_logits",
        metrics=("accuracy",), steps_per_epoch=200,
        options={"context": 64, "width": 128, "layers": 4, "heads": 4, "dropout": 0.0}),
}
ALIASES = {"iris": "iris-mlp"}
VALIDATION_WINDOWS = 240  # the GPT's fixed validation windows, spread over the last 10% of text


def names():
    """Every name ``get`` accepts, aliases included."""
    return sorted([*RECIPES, *ALIASES])


def get(name):
    """The recipe called ``name`` (``iris`` is ``iris-mlp``); ``ValueError`` with the closest
    name otherwise."""
    key = ALIASES.get(name, name)
    if key not in RECIPES:
        hint = closest(name, names())
        suggestion = f" Did you mean '{hint}'?" if hint else ""
        raise ValueError(f"Unknown recipe {name!r}.{suggestion} Recipes: {', '.join(names())}.")
    return RECIPES[key]


@dataclass
class RecipeData:
    """What ``fit`` and ``evaluate`` need: arrays, or a batch stream for the GPT."""

    x_train: object
    y_train: object
    x_test: np.ndarray
    y_test: np.ndarray
    vocab: object = None


def load_data(recipe, path=None, seed=None):
    """The recipe's data: train/test arrays, or for the GPT an endless stream of random
    training windows plus fixed validation windows. ``path`` locates the files of MNIST and
    Tiny Shakespeare; for the table recipes it names your own ``.csv``/``.npz`` table."""
    from . import datasets

    if recipe.dataset == "shakespeare":
        from .models.gpt import random_batches, windows

        text = datasets.load_shakespeare(path)
        context = recipe.options["context"]
        x_val, y_val = windows(text.val, context, count=VALIDATION_WINDOWS)
        stream = random_batches(text.train, context, recipe.batch_size,
                                np.random.default_rng(seed))
        return RecipeData(stream, None, x_val, y_val, vocab=text.vocab)
    if path is not None and recipe.dataset not in datasets.FILE_SETS:
        from .datasets.tabular import split

        # your own table in place of the bundled one, split the same way
        (x_train, y_train), (x_test, y_test) = split(*datasets.load_table(path))
    else:
        (x_train, y_train), (x_test, y_test) = datasets.load(recipe.dataset, path)
    return RecipeData(x_train, y_train, x_test, y_test)


def build(recipe, data):
    """The recipe's model for ``data`` (the GPT's vocabulary size comes from the data)."""
    if recipe.dataset == "shakespeare":
        return recipe.build(len(data.vocab), **recipe.options)
    if recipe.adapt:
        return recipe.build(data.x_train)
    return recipe.build()
