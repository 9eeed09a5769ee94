"""Small ember models of the six fixture architectures, trained a little, for saving tests and
for the ember -> Keras check (``tests/fixtures/keras3/check_ember_files.py``)."""

import numpy as np

from ember import keras
from ember.keras import layers


def mlp(rng):
    model = keras.Sequential([keras.Input((8,)), layers.Dense(16, activation="relu"),
                              layers.Dense(3, activation="softmax")], name="mlp")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model, [rng.random((16, 8), dtype=np.float32)], rng.integers(0, 3, 16)


def two_inputs(rng):
    a = keras.Input((6,), name="a")
    b = keras.Input((4,), name="b")
    ha = layers.Dense(8, activation="tanh")(a)
    hb = layers.Dense(8, activation="relu")(b)
    hidden = layers.Dense(8)(layers.Concatenate()([ha, hb]))
    summed = layers.Add()([hidden, layers.Dense(8)(hb)])
    model = keras.Model([a, b], layers.Dense(2)(summed), name="two_inputs")
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="mse")
    x = [rng.random((16, 6), dtype=np.float32), rng.random((16, 4), dtype=np.float32)]
    return model, x, rng.random((16, 2), dtype=np.float32)


def conv(rng):
    model = keras.Sequential([
        keras.Input((8, 8, 2)), layers.Conv2D(4, 3, activation="relu"),
        layers.BatchNormalization(), layers.MaxPooling2D(), layers.Flatten(),
        layers.Dropout(0.25), layers.Dense(3)], name="conv")
    model.compile(optimizer="rmsprop",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model, [rng.random((16, 8, 8, 2), dtype=np.float32)], rng.integers(0, 3, 16)


def embedding_lstm(rng):
    model = keras.Sequential([keras.Input((6,), dtype="int32"), layers.Embedding(20, 5),
                              layers.LSTM(4), layers.Dense(1, activation="sigmoid")],
                             name="embedding_lstm")
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    x = rng.integers(0, 20, (16, 6)).astype(np.int32)
    return model, [x], rng.integers(0, 2, (16, 1)).astype(np.float32)


def gru(rng):
    model = keras.Sequential([keras.Input((6, 3)), layers.GRU(4, return_sequences=True),
                              layers.GRU(3), layers.Dense(2)], name="gru")
    model.compile(optimizer="adam", loss="mse")
    return model, [rng.random((16, 6, 3), dtype=np.float32)], rng.random((16, 2),
                                                                          dtype=np.float32)


def attention(rng):
    inputs = keras.Input((5, 8))
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=4)(inputs, inputs)
    normed = layers.LayerNormalization()(layers.Add()([inputs, attended]))
    pooled = layers.GlobalAveragePooling1D()(normed)
    model = keras.Model(inputs, layers.Dense(2)(pooled), name="attention")
    model.compile(optimizer="adam", loss="mse")
    return model, [rng.random((16, 5, 8), dtype=np.float32)], rng.random((16, 2),
                                                                         dtype=np.float32)


def operators(rng):
    inputs = keras.Input((5,), name="x")
    hidden = layers.Dense(5, activation="tanh")(inputs)
    mixed = (hidden + inputs) * 0.5 - hidden / 4.0
    model = keras.Model(inputs, layers.Dense(2)(1.0 - mixed), name="operators")
    model.compile(optimizer="adam", loss="mse")
    return model, [rng.random((16, 5), dtype=np.float32)], rng.random((16, 2), dtype=np.float32)


BUILDERS = [mlp, two_inputs, conv, embedding_lstm, gru, attention, operators]


def trained(builder, seed=0):
    """(model, inputs) after two short epochs, so weights and optimizer state are non-trivial."""
    rng = np.random.default_rng(seed)
    model, x, y = builder(rng)
    model.fit(x if len(x) > 1 else x[0], y, epochs=2, batch_size=8, verbose=0)
    return model, [a[:4] for a in x]


def write_files(folder):
    """Save every model to ``folder`` as NAME.keras with NAME_x*.npy and ember's NAME_y.npy."""
    import os

    for builder in BUILDERS:
        name = builder.__name__
        model, x = trained(builder)
        model.save(os.path.join(folder, f"{name}.keras"))
        for i, a in enumerate(x):
            np.save(os.path.join(folder, f"{name}_x{i}.npy"), a)
        prediction = model.predict(x if len(x) > 1 else x[0], verbose=0)
        np.save(os.path.join(folder, f"{name}_y.npy"), np.asarray(prediction, np.float32))
    return [builder.__name__ for builder in BUILDERS]
