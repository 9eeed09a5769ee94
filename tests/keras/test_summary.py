"""``model.summary()`` prints Keras 3's table: the layout, cells and totals of real Keras output."""

import re
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from ember import keras
from ember.keras.models import summary_render

# Keras 3 output for this model on an 80-column terminal (KERAS_REFERENCE.md §2.3)
KERAS_SEQUENTIAL = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ dense (Dense)                   │ (None, 64)             │         1,408 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 64)             │         4,160 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_2 (Dense)                 │ (None, 1)              │            65 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 5,633 (22.00 KB)
 Trainable params: 5,633 (22.00 KB)
 Non-trainable params: 0 (0.00 B)
"""

# a functional model with branches: the "Connected to" column, the InputLayer row, and shapes
# wrapped inside their column as in Keras' `conv2d_8 (Conv2D) │ (None, 30, 30,` rows
BRANCHES = """\
Model: "branches"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ img (InputLayer)    │ (None, 28800)     │          0 │ -                 │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ reshape (Reshape)   │ (None, 30, 30,    │          0 │ img[0][0]         │
│                     │ 32)               │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ dense (Dense)       │ (None, 30, 30, 8) │        264 │ reshape[0][0]     │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ flatten (Flatten)   │ (None, 28800)     │          0 │ reshape[0][0]     │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ a_very_long_layer_… │ (None, 2)         │     57,602 │ flatten[0][0]     │
│ (Dense)             │                   │            │                   │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 57,866 (226.04 KB)
 Trainable params: 57,866 (226.04 KB)
 Non-trainable params: 0 (0.00 B)
"""


@pytest.fixture(autouse=True)
def fresh_names(monkeypatch):
    """Keras' automatic names from zero, and an 80-column "terminal" for the default width."""
    keras.backend.clear_session()
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.delenv("FORCE_COLOR", raising=False)


def captured(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    assert len(lines) == 1  # Keras calls print_fn once with the whole text
    return lines[0]


def sequential_model():
    return keras.Sequential([keras.Input(shape=(21,)), keras.layers.Dense(64, activation="relu"),
                             keras.layers.Dense(64, activation="relu"), keras.layers.Dense(1)])


def test_sequential_matches_keras_output(capsys):
    model = sequential_model()
    assert captured(model) == KERAS_SEQUENTIAL
    model.summary()  # printed to stdout: the same plain text off a terminal
    assert capsys.readouterr().out == KERAS_SEQUENTIAL


def test_functional_with_branches_has_connected_to_column():
    inputs = keras.Input(shape=(28800,), name="img")
    x = keras.layers.Reshape((30, 30, 32))(inputs)
    a = keras.layers.Dense(8)(x)
    b = keras.layers.Dense(2, name="a_very_long_layer_name")(keras.layers.Flatten()(x))
    model = keras.Model(inputs, [a, b], name="branches")
    assert captured(model) == BRANCHES


def test_functional_chain_prints_like_sequential_but_lists_the_input():
    inputs = keras.Input(shape=(3,), name="x")
    hidden = keras.layers.Dense(2)(inputs)
    outputs = keras.layers.Dense(1)(hidden)
    text = captured(keras.Model(inputs, outputs))
    assert "Connected to" not in text
    rows = [line for line in text.splitlines() if line.startswith("│")]
    assert rows == [
        "│ x (InputLayer)                  │ (None, 3)              │             0 │",
        "│ dense (Dense)                   │ (None, 2)              │             8 │",
        "│ dense_1 (Dense)                 │ (None, 1)              │             3 │",
    ]


def test_without_rich_the_same_text_is_drawn(monkeypatch, capsys):
    inputs = keras.Input(shape=(28800,), name="img")
    x = keras.layers.Reshape((30, 30, 32))(inputs)
    b = keras.layers.Dense(2, name="a_very_long_layer_name")(keras.layers.Flatten()(x))
    functional = keras.Model(inputs, [keras.layers.Dense(8)(x), b], name="branches")
    nested = keras.Sequential([keras.Input(shape=(4,)), keras.Sequential(
        [keras.layers.Dense(3), keras.layers.Dense(3)], name="inner"), keras.layers.Dense(1)])
    cases = [(sequential_model(), {}), (functional, {}), (functional, {"show_trainable": True}),
             (nested, {"expand_nested": True, "line_length": 60}),
             (functional, {"line_length": 120, "positions": [0.2, 0.5, 0.6, 1.0]})]
    with_rich = [captured(model, **kwargs) for model, kwargs in cases]
    monkeypatch.setitem(sys.modules, "rich.console", None)  # `import rich.console` now fails
    without_rich = [captured(model, **kwargs) for model, kwargs in cases]
    assert without_rich == with_rich
    keras.backend.clear_session()
    sequential_model().summary()
    assert capsys.readouterr().out == KERAS_SEQUENTIAL


def test_colours_only_on_a_terminal(monkeypatch, capsys):
    model = sequential_model()
    monkeypatch.setenv("FORCE_COLOR", "1")  # rich treats stdout as a terminal
    model.summary()
    out = capsys.readouterr().out
    assert "\x1b[" in out
    assert re.sub(r"\x1b\[[0-9;]*m", "", out) == KERAS_SEQUENTIAL
    assert "\x1b[" not in captured(model)  # print_fn always gets plain text


def test_unbuilt_layers_show_question_mark_and_unbuilt():
    text = captured(keras.Sequential([keras.layers.Dense(2)]))
    assert "│ dense (Dense)                   │ ?                      │   0 (unbuilt) │" in text
    assert text.endswith(" Total params: 0 (0.00 B)\n Trainable params: 0 (0.00 B)\n"
                         " Non-trainable params: 0 (0.00 B)\n")


def test_subclassed_model_lists_its_layers():
    class MLP(keras.Model):
        def __init__(self):
            super().__init__(name="mlp")
            self.hidden = keras.layers.Dense(4)
            self.out = keras.layers.Dense(1)

        def call(self, x):
            return self.out(self.hidden(x))

    model = MLP()
    model(np.zeros((2, 3), np.float32))
    text = captured(model)
    assert text.startswith('Model: "mlp"\n')
    names = [line.split("│")[1].strip() for line in text.splitlines() if line.startswith("│")]
    assert names == ["dense (Dense)", "dense_1 (Dense)"]
    assert " Total params: 21 (84.00 B)\n" in text


def test_show_trainable_expand_nested_and_frozen_weights():
    nested = keras.Sequential([keras.Input(shape=(4,)), keras.Sequential(
        [keras.layers.Dense(3), keras.layers.Dense(3)], name="inner"), keras.layers.Dense(1)])
    nested.layers[1].trainable = False
    text = captured(nested, expand_nested=True, show_trainable=True, line_length=120)
    rows = [line for line in text.splitlines() if line.startswith("│")]
    assert [row.split("│")[1].rstrip() for row in rows] == [
        " inner (Sequential)", "    └ dense (Dense)", "    └ dense_1 (Dense)", " dense_2 (Dense)"]
    assert [row.split("│")[4].strip() for row in rows] == ["Y", "Y", "Y", "N"]
    assert text.endswith(" Total params: 31 (124.00 B)\n Trainable params: 27 (108.00 B)\n"
                         " Non-trainable params: 4 (16.00 B)\n")
    assert "┃ Trainable ┃" in text


def test_optimizer_params_are_counted_once_built():
    model = sequential_model()
    model.compiled = True
    model.optimizer = SimpleNamespace(built=True, variables=[
        np.zeros((), np.int64), np.zeros((), np.float32)] + [np.zeros(w.shape, np.float32)
                                                             for w in model.weights * 2])
    text = captured(model)
    # Adam: iterations (int64, 8 B) + learning rate (4 B) + two slots per weight
    assert text.endswith(" Total params: 16,901 (66.02 KB)\n"
                         " Trainable params: 5,633 (22.00 KB)\n"
                         " Non-trainable params: 0 (0.00 B)\n"
                         " Optimizer params: 11,268 (44.02 KB)\n")
    model.optimizer.built = False
    assert "Optimizer params" not in captured(model)


def test_layer_range_and_width_errors():
    model = sequential_model()
    rows = [line for line in captured(model, layer_range=["dense_1", "dense_2"]).splitlines()
            if line.startswith("│")]
    assert [row.split("(")[0].strip("│ ") for row in rows] == ["dense_1", "dense_2"]
    with pytest.raises(ValueError, match=r"layer_range must be a list or tuple of length 2\. "
                                         r"Received: layer_range = \['dense'\] of length 1"):
        model.summary(layer_range=["dense"])
    with pytest.raises(ValueError, match=r"layer_range should contain string type only\. "
                                         r"Received: \[0, 2\]"):
        model.summary(layer_range=[0, 2])
    with pytest.raises(ValueError, match=r"Passed layer_names do not match the layer names in "
                                         r"the model\. Received: \['conv', 'dense'\]"):
        model.summary(layer_range=["conv", "dense"])
    with pytest.raises(ValueError, match=r"Insufficient console width to print summary\."):
        model.summary(line_length=8)


def test_plain_renderer_reduces_widths_like_rich():
    # the reduction rich applies when fixed columns and their padding overflow the table
    assert summary_render._ratio_reduce(10, [1, 1, 1], [36, 28, 18], [36, 28, 18]) == \
        [33, 24, 15]
    assert summary_render._wrap("(None, 30, 30, 32)", 17, "left") == \
        ["(None, 30, 30,   ", "32)              "]
    assert summary_render._wrap("a_very_long_layer_name (Dense)", 19, "left") == \
        ["a_very_long_layer_…", "(Dense)            "]
    assert summary_render._wrap("1,408", 13, "right") == ["        1,408"]


def test_summary_after_fit_counts_adam_state():
    model = sequential_model()
    model.compile(optimizer="adam", loss="mse")
    assert "Optimizer params" not in captured(model)  # not built before the first step
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(8, 21)).astype("float32"), np.zeros((8, 1), "float32"), verbose=0)
    # Keras' Adam: iterations (int64) and learning rate, then m and v per weight
    assert captured(model).endswith(" Total params: 16,901 (66.02 KB)\n"
                                    " Trainable params: 5,633 (22.00 KB)\n"
                                    " Non-trainable params: 0 (0.00 B)\n"
                                    " Optimizer params: 11,268 (44.02 KB)\n")
