"""The progress bar and ProgbarLogger print Keras 3's lines, byte for byte (with a fake clock)."""

import io
import re

import numpy as np
import pytest

import ember
from ember import keras
from ember.keras.callbacks import CallbackList, ProgbarLogger
from ember.keras.utils import progbar as progbar_module
from ember.keras.utils.progbar import (
    Progbar,
    format_eta,
    format_step_time,
    format_value,
)

BAR = "━" * 20


class FakeClock:
    """Each call returns the next of the given times (then keeps the last)."""

    def __init__(self, *times):
        self.times = list(times)

    def __call__(self):
        return self.times.pop(0) if len(self.times) > 1 else self.times[0]


@pytest.fixture
def clock(monkeypatch):
    def install(*times):
        monkeypatch.setattr(progbar_module, "_clock", FakeClock(*times))

    return install


@pytest.fixture
def terminal(monkeypatch):
    """Pretend stdout is a terminal (redraws in place, colours unless NO_COLOR)."""
    monkeypatch.setattr(progbar_module, "is_dynamic_display", lambda: True)
    monkeypatch.delenv("NO_COLOR", raising=False)


# ----- formatting helpers (Keras' rules) ---------------------------------------------------------
def test_format_value_uses_4f_or_4e_like_keras():
    assert format_value(0.3) == "0.3000"
    assert format_value(9.3199e-04) == "9.3199e-04"
    assert format_value(-0.5) == "-0.5000"  # verbose=1 compares abs(v)
    assert format_value(-0.5, verbose=2) == "-5.0000e-01"  # verbose=2 compares v itself
    assert format_value(1e-3) == "1.0000e-03"  # strictly greater than 1e-3 for .4f


def test_format_step_time_and_eta():
    assert format_step_time(1.6) == " 2s/step"
    assert format_step_time(0) == " 0s/step"
    assert format_step_time(0.0031) == " 3ms/step"
    assert format_step_time(5e-5) == " 50us/step"
    assert format_step_time(0.2, "sample") == " 200ms/sample"
    assert format_eta(42.7) == "42s"
    assert format_eta(185) == "3:05"
    assert format_eta(3723) == "1:02:03"


# ----- verbose=1 outside a terminal: only the final line ----------------------------------------
def test_verbose1_non_tty_prints_only_the_final_line(capsys, clock):
    # start, then steps 1..4: per step (100.016 - 100.010) / 3 = 2 ms, first step excluded
    clock(100.0, 100.010, 100.012, 100.014, 100.016)
    bar = Progbar(4, stateless_metrics=set())
    for step, loss in zip((1, 2, 3), (0.9, 0.6, 0.4)):
        bar.update(step, {"accuracy": 0.5, "loss": loss})
        assert capsys.readouterr().out == ""  # nothing before the end: no \r floods in logs
    bar.update(4, {"accuracy": 0.9, "loss": 0.3})
    assert capsys.readouterr().out == f"4/4 {BAR} 0s 2ms/step - accuracy: 0.9000 - loss: 0.3000\n"


def test_counter_is_padded_to_the_target_digits(capsys, clock):
    clock(0.0, 1.0)
    bar = Progbar(12, stateless_metrics=set())
    bar.update(12, finalize=True)
    assert capsys.readouterr().out == f"12/12 {BAR} 1s 83ms/step\n"  # 1 s / 12 steps
    clock(0.0, 1.0)
    bar = Progbar(100, stateless_metrics=set())
    bar.update(7, finalize=True)
    partial = "━" * 1 + "━" * 19  # plain text: the done and left parts are the same glyph
    assert capsys.readouterr().out == f"  7/100 {partial} 1s 143ms/step\n"


def test_unknown_target_shows_count_and_unknown(capsys, clock):
    clock(0.0, 0.5)
    bar = Progbar(None)
    bar.update(3, finalize=True)
    assert capsys.readouterr().out == "      3/Unknown 0s 167ms/step\n"


def test_ascii_stdout_falls_back_to_equals_signs(monkeypatch, clock):
    class AsciiOut(io.StringIO):
        encoding = "ascii"

    out = AsciiOut()
    monkeypatch.setattr("sys.stdout", out)
    clock(0.0, 0.0)
    Progbar(2, stateless_metrics=set()).update(2)
    assert out.getvalue() == f"2/2 {'=' * 20} 0s 0s/step\n"


# ----- verbose=1 on a terminal: throttled redraws in place ----------------------------------------
def test_terminal_redraws_in_place_with_colours_and_throttling(capsys, clock, terminal):
    # start 100; step 1 at +0.01 (drawn: the first); step 2 at +0.03 (throttled: < 0.05 s
    # later); step 3 at +0.10 (drawn); step 4 at +0.11 (final: always drawn)
    clock(100.0, 100.01, 100.03, 100.10, 100.11)
    bar = Progbar(4, stateless_metrics=set())
    bar.update(1, {"loss": 1.0})
    first = capsys.readouterr().out
    bar.update(2, {"loss": 0.8})
    assert capsys.readouterr().out == ""
    bar.update(3, {"loss": 0.6})
    third = capsys.readouterr().out
    bar.update(4, {"loss": 0.5})
    final = capsys.readouterr().out

    bold, green, white, reset = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"
    assert first == (f"\r{bold}1/4{reset} {green}{'━' * 5}{reset}{white}{'━' * 15}{reset} "
                     f"{bold}0s{reset} 10ms/step - loss: 1.0000")
    assert third.startswith(f"\r{bold}3/4{reset} {green}{'━' * 15}{reset}")
    assert third.endswith(f"{bold}0s{reset} 45ms/step - loss: 0.6000")  # ETA 45 ms -> 0s
    assert final == (f"\r{bold}4/4{reset} {green}{'━' * 20}{reset}{white}{reset} "
                     f"{bold}0s{reset} 33ms/step - loss: 0.5000\n")


def test_terminal_pads_a_shorter_line_over_the_previous_one(capsys, clock, terminal, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    clock(100.0, 100.0, 101.0)
    bar = Progbar(2, stateless_metrics=set())
    bar.update(1, {"loss": 12345.0, "extra": 1.0})
    long_line = capsys.readouterr().out
    bar.update(2, {"loss": 1.0})
    short_line = capsys.readouterr().out
    assert "\x1b" not in long_line + short_line  # NO_COLOR is honoured
    assert long_line == f"\r1/2 {BAR} 0s 0s/step - loss: 12345.0000 - extra: 1.0000"
    core = f"2/2 {BAR} 1s 1s/step - loss: 1.0000"
    assert short_line == "\r" + core + " " * (len(long_line) - 1 - len(core)) + "\n"


def test_default_progbar_averages_values_like_keras(capsys, clock, terminal, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    clock(0.0, 1.0, 2.0, 3.0)
    bar = Progbar(3, interval=0)
    bar.update(1, [("loss", 1.0)])
    bar.update(2, [("loss", 3.0)])  # shown: the average over the steps, 2.0
    assert capsys.readouterr().out.endswith("\r2/3 " + BAR + " 1s 1s/step - loss: 2.0000")
    bar.update(3, [("loss", 0.5)])  # the final update shows the value given
    assert capsys.readouterr().out.endswith(" - loss: 0.5000\n")


# ----- verbose=2 ---------------------------------------------------------------------------------
def test_verbose2_prints_one_line_at_the_end(capsys, clock):
    clock(10.0, 10.5, 11.5, 12.5)
    bar = Progbar(3, verbose=2, stateless_metrics=set())
    bar.update(1, {"accuracy": 0.5, "loss": -0.25})
    bar.update(2, {"accuracy": 0.6, "loss": -0.25})
    assert capsys.readouterr().out == ""
    bar.update(3, {"accuracy": 0.9319, "loss": -0.25})
    assert capsys.readouterr().out == "3/3 - 2s - 1s/step - accuracy: 0.9319 - loss: -2.5000e-01\n"


def test_verbose0_prints_nothing(capsys):
    bar = Progbar(2, verbose=0)
    bar.update(1, {"loss": 1.0})
    bar.update(2, {"loss": 1.0})
    assert capsys.readouterr().out == ""


def test_both_metric_lists_is_an_error():
    with pytest.raises(ValueError, match=r"pass `stateful_metrics` or `stateless_metrics`, not "
                                         r"both\. Received: stateful_metrics=\['a'\]"):
        Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])


# ----- ProgbarLogger: what fit / evaluate / predict print ----------------------------------------
def _drive_fit(callbacks, epochs, steps, val=True):
    callbacks.on_train_begin()
    for epoch in range(epochs):
        callbacks.on_epoch_begin(epoch)
        for step in range(steps):
            callbacks.on_train_batch_begin(step)
            callbacks.on_train_batch_end(step, {"accuracy": 0.5 + 0.1 * step, "loss": 1.0 - 0.1
                                                * step})
        # validation inside fit: silent
        callbacks.on_test_begin()
        callbacks.on_test_batch_end(0, {"accuracy": 0.8, "loss": 0.5})
        callbacks.on_test_end({"accuracy": 0.8, "loss": 0.5})
        logs = {"accuracy": 0.9, "loss": 0.3}
        if val:
            logs.update(val_accuracy=0.8, val_loss=0.5)
        callbacks.on_epoch_end(epoch, logs)
    callbacks.on_train_end(logs)


def test_fit_verbose1_non_tty_lines(capsys, clock):
    clock(0.0)
    callbacks = CallbackList(add_history=True, add_progbar=True, verbose=1, epochs=2, steps=4)
    _drive_fit(callbacks, epochs=2, steps=4)
    line = (f"4/4 {BAR} 0s 0s/step - accuracy: 0.9000 - loss: 0.3000 - val_accuracy: 0.8000 "
            "- val_loss: 0.5000")
    assert capsys.readouterr().out == f"Epoch 1/2\n{line}\nEpoch 2/2\n{line}\n"


def test_fit_verbose2_and_single_epoch_has_no_header(capsys, clock):
    clock(0.0)
    callbacks = CallbackList(add_progbar=True, verbose=2, epochs=1, steps=4)
    _drive_fit(callbacks, epochs=1, steps=4, val=False)
    assert capsys.readouterr().out == "4/4 - 0s - 0s/step - accuracy: 0.9000 - loss: 0.3000\n"


def test_evaluate_and_predict_lines(capsys, clock):
    clock(0.0)
    callbacks = CallbackList(add_progbar=True, verbose=1, epochs=1, steps=2)
    callbacks.on_test_begin()
    callbacks.on_test_batch_end(0, {"accuracy": 0.9856, "loss": 0.0406})
    callbacks.on_test_batch_end(1, {"accuracy": 0.9856, "loss": 0.0406})
    callbacks.on_test_end({"accuracy": 0.9856, "loss": 0.0406})
    assert capsys.readouterr().out == f"2/2 {BAR} 0s 0s/step - accuracy: 0.9856 - loss: 0.0406\n"

    callbacks = CallbackList(add_progbar=True, verbose=1, epochs=1, steps=1)
    callbacks.on_predict_begin()
    callbacks.on_predict_batch_end(0, {"outputs": [[1.0]]})
    callbacks.on_predict_end()
    assert capsys.readouterr().out == f"1/1 {BAR} 0s 0s/step\n"


def test_logger_learns_an_unknown_step_count_from_the_first_epoch(capsys, clock):
    clock(0.0)
    logger = ProgbarLogger()
    callbacks = CallbackList([logger], verbose=2, epochs=2, steps=None)
    _drive_fit(callbacks, epochs=2, steps=3, val=False)
    out = capsys.readouterr().out.splitlines()
    assert out == ["Epoch 1/2", "3/3 - 0s - 0s/step - accuracy: 0.9000 - loss: 0.3000",
                   "Epoch 2/2", "3/3 - 0s - 0s/step - accuracy: 0.9000 - loss: 0.3000"]
    assert logger.target == 3


# ----- real fit / evaluate / predict (stdout is not a terminal under capsys) ---------------------
def _timeless(line):
    """A progress line with its clock and per-step time replaced by <t>."""
    return re.sub(r" - \d+s - \d+(us|ms|s)/step| \d+s \d+(us|ms|s)/step", " <t>", line)


def _metrics(logs):
    return "".join(f" - {key}: {format_value(value)}" for key, value in logs.items())


def _model():
    ember.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    return model, rng.normal(size=(48, 4)).astype("float32"), rng.integers(0, 3, 48)


def test_fit_verbose1_and_verbose2_print_keras_lines(capsys):
    model, x, y = _model()
    history = model.fit(x, y, epochs=2, batch_size=32, validation_split=0.25, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    expected = []
    for epoch in range(2):
        logs = {key: values[epoch] for key, values in history.history.items()}
        expected += [f"Epoch {epoch + 1}/2", f"2/2 {BAR} <t>{_metrics(logs)}"]
    assert [_timeless(line) for line in lines] == expected
    assert list(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]

    history = model.fit(x, y, epochs=1, batch_size=32, verbose=2)
    line = capsys.readouterr().out
    logs = {key: values[0] for key, values in history.history.items()}
    assert _timeless(line) == f"2/2 <t>{_metrics(logs)}\n"


def test_evaluate_and_predict_print_keras_lines(capsys):
    model, x, y = _model()
    results = model.evaluate(x, y, batch_size=16, verbose=1, return_dict=True)
    assert _timeless(capsys.readouterr().out) == f"3/3 {BAR} <t>{_metrics(results)}\n"
    results = model.evaluate(x, y, batch_size=16, verbose=2, return_dict=True)
    assert _timeless(capsys.readouterr().out) == f"3/3 <t>{_metrics(results)}\n"
    model.predict(x, batch_size=16, verbose=1)
    assert _timeless(capsys.readouterr().out) == f"3/3 {BAR} <t>\n"
    model.fit(x, y, epochs=2, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""
