"""Callbacks against Keras 3's documented behaviour.

The first tests drive callbacks the way ``fit`` does with a small stand-in model (its weights
are the epoch index, so "which epoch's weights" is visible); the last ones run them inside real
``fit`` on tiny models, including Keras' own docstring examples.
"""

import csv
import math
import warnings

import numpy as np
import pytest

import ember
from ember import keras
from ember.keras import callbacks as cb


class FakeOptimizer:
    def __init__(self, learning_rate):
        self.learning_rate = learning_rate
        self.name = "sgd"


class FakeModel:
    """What callbacks touch on a model: weights, optimizer, stop flag, saving, metrics."""

    def __init__(self, learning_rate=0.1, metrics=()):
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.metrics = list(metrics)
        self.metrics_names = []
        self.weight = np.zeros(2)
        self.saved = []

    def get_weights(self):
        return [self.weight.copy()]

    def set_weights(self, weights):
        self.weight = weights[0].copy()

    def save(self, filepath, overwrite=True):
        self.saved.append(("model", filepath))
        with open(filepath, "w") as f:
            f.write(str(self.weight[0]))

    def save_weights(self, filepath, overwrite=True):
        self.saved.append(("weights", filepath))
        with open(filepath, "w") as f:
            f.write(str(self.weight[0]))


def fit_like(model, callbacks, epoch_logs, steps=1, batch_logs=None):
    """Call the hooks in ``fit``'s order; epoch e sets the weights to e and logs epoch_logs[e]."""
    callback_list = cb.CallbackList(callbacks, add_history=True, model=model, verbose=0,
                                    epochs=len(epoch_logs), steps=steps)
    model.stop_training = False
    logs = {}
    callback_list.on_train_begin()
    try:
        for epoch, logs in enumerate(epoch_logs):
            callback_list.on_epoch_begin(epoch)
            for step in range(steps):
                callback_list.on_train_batch_begin(step)
                model.weight[:] = epoch
                callback_list.on_train_batch_end(step, dict(batch_logs or logs))
                if model.stop_training:
                    break
            logs = dict(logs)
            callback_list.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
    finally:
        callback_list.on_train_end(logs)
    return model.history


def losses(*values):
    return [{"loss": v} for v in values]


# ----- Callback and CallbackList ---------------------------------------------------------------
def test_callback_list_calls_hooks_in_fit_order_with_model_and_params():
    events = []
    model = FakeModel()

    class Recorder(cb.Callback):
        def on_train_begin(self, logs=None):
            events.append(("train_begin", self.model is model, self.params["epochs"]))

        def on_epoch_begin(self, epoch, logs=None):
            events.append(("epoch_begin", epoch))

        def on_batch_begin(self, batch, logs=None):  # legacy alias of on_train_batch_begin
            events.append(("batch_begin", batch))

        def on_train_batch_end(self, batch, logs=None):
            events.append(("batch_end", batch, logs["loss"]))

        def on_epoch_end(self, epoch, logs=None):
            events.append(("epoch_end", epoch, logs["loss"]))

        def on_train_end(self, logs=None):
            events.append(("train_end", logs["loss"]))

    history = fit_like(model, [Recorder()], losses(0.5, 0.25), steps=2)
    assert events == [
        ("train_begin", True, 2),
        ("epoch_begin", 0), ("batch_begin", 0), ("batch_end", 0, 0.5), ("batch_begin", 1),
        ("batch_end", 1, 0.5), ("epoch_end", 0, 0.5),
        ("epoch_begin", 1), ("batch_begin", 0), ("batch_end", 0, 0.25), ("batch_begin", 1),
        ("batch_end", 1, 0.25), ("epoch_end", 1, 0.25),
        ("train_end", 0.25),
    ]
    assert history is model.history
    assert history.history == {"loss": [0.5, 0.25]}
    assert history.epoch == [0, 1]
    assert history.params == {"verbose": 0, "epochs": 2, "steps": 2}


def test_callback_list_adds_history_and_progbar_once_and_sets_model_history():
    history, logger, model = cb.History(), cb.ProgbarLogger(), FakeModel()
    callbacks = cb.CallbackList([history, logger], add_history=True, add_progbar=True,
                                model=model, verbose=1, epochs=1, steps=1)
    assert callbacks.callbacks == [history, logger]
    assert model.history is history
    defaults = cb.CallbackList(None, add_history=True, add_progbar=True, model=model)
    assert [type(c).__name__ for c in defaults] == ["History", "ProgbarLogger"]


def test_callback_list_accepts_one_callback_and_append():
    first, second = cb.History(), cb.LambdaCallback()
    model = FakeModel()
    callbacks = cb.CallbackList(first, model=model, verbose=0, epochs=3, steps=1)
    callbacks.append(second)
    assert callbacks.callbacks == [first, second]
    assert second.model is model and second.params == {"verbose": 0, "epochs": 3, "steps": 1}


def test_callback_list_rejects_non_callbacks():
    with pytest.raises(TypeError, match=r"Expected every element of `callbacks` to be a "
                                        r"`keras.callbacks.Callback` instance\. Received: "
                                        r"'early' \(of type str\)"):
        cb.CallbackList(["early"])


def test_lambda_callback_hooks_and_extra_hooks_by_name():
    events = []
    callback = cb.LambdaCallback(
        on_train_begin=lambda logs: events.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: events.append(f"epoch_begin {epoch}"),
        on_train_batch_begin=lambda batch, logs: events.append(f"batch_begin {batch}"),
        on_train_batch_end=lambda batch, logs: events.append(f"batch_end {batch} {logs}"),
        on_epoch_end=lambda epoch, logs: events.append(f"epoch_end {epoch} {logs}"),
        on_train_end=lambda logs: events.append("train_end"),
        on_test_begin=lambda logs: events.append("test_begin"),
    )
    fit_like(FakeModel(), [callback], losses(0.5))
    cb.CallbackList([callback]).on_test_begin()
    assert events == ["train_begin", "epoch_begin 0", "batch_begin 0",
                      "batch_end 0 {'loss': 0.5}", "epoch_end 0 {'loss': 0.5}", "train_end",
                      "test_begin"]


# ----- EarlyStopping -----------------------------------------------------------------------------
def test_early_stopping_constant_loss_runs_patience_plus_one_epochs():
    # Keras' docstring example: patience=3 on a loss that never improves runs 4 epochs
    history = fit_like(FakeModel(), [cb.EarlyStopping(monitor="loss", patience=3)],
                       losses(*[1.0] * 10))
    assert len(history.history["loss"]) == 4


def test_early_stopping_stops_and_restores_best_weights(capsys):
    model = FakeModel()
    stop = cb.EarlyStopping(monitor="loss", patience=2, verbose=1, restore_best_weights=True)
    history = fit_like(model, [stop], losses(1.0, 0.8, 0.9, 0.85, 0.1, 0.1))
    # best at epoch 1 (0.8); epochs 2 and 3 do not improve -> stop after epoch 3
    assert history.epoch == [0, 1, 2, 3]
    assert stop.stopped_epoch == 3 and stop.best == 0.8 and stop.best_epoch == 1
    assert model.weight.tolist() == [1.0, 1.0]  # epoch 1's weights
    assert capsys.readouterr().out == ("Epoch 4: early stopping\n"
                                       "Restoring model weights from the end of the best epoch: "
                                       "2.\n")


def test_early_stopping_min_delta_baseline_and_warm_up():
    # improvements smaller than min_delta do not count
    history = fit_like(FakeModel(), [cb.EarlyStopping(monitor="loss", min_delta=0.1)],
                       losses(1.0, 0.95, 0.5))
    assert history.epoch == [0, 1]
    # a value that never beats the baseline stops training after `patience` epochs
    history = fit_like(FakeModel(), [cb.EarlyStopping(monitor="loss", patience=1, baseline=0.5)],
                       losses(0.9, 0.9, 0.9, 0.9))
    assert history.epoch == [0, 1]
    # start_from_epoch: the first epochs are not watched
    history = fit_like(FakeModel(), [cb.EarlyStopping(monitor="loss", start_from_epoch=2)],
                       losses(1.0, 2.0, 3.0, 4.0, 5.0))
    assert history.epoch == [0, 1, 2, 3]


def test_early_stopping_direction_from_name_mode_or_metric_object():
    rising = [{"val_accuracy": v} for v in (0.5, 0.6, 0.55)]
    assert fit_like(FakeModel(), [cb.EarlyStopping(monitor="val_accuracy")], rising).epoch == \
        [0, 1, 2]
    assert fit_like(FakeModel(), [cb.EarlyStopping(monitor="val_accuracy", mode="min")],
                    rising).epoch == [0, 1]

    class Score:  # a user metric that says higher is better, as Keras metrics do
        name = "score"
        _direction = "up"

    model = FakeModel(metrics=[Score()])
    rising = [{"score": v} for v in (0.5, 0.6, 0.55)]
    assert fit_like(model, [cb.EarlyStopping(monitor="score")], rising).epoch == [0, 1, 2]


def test_early_stopping_errors_and_warnings():
    with pytest.raises(ValueError, match=r"EarlyStopping callback received monitor=score, but "
                                         r"Keras isn't able to automatically determine whether "
                                         r"that metric should be maximized or minimized\. Pass "
                                         r"`mode='max'`"):
        fit_like(FakeModel(), [cb.EarlyStopping(monitor="score")], [{"score": 1.0}])
    with pytest.warns(UserWarning, match="EarlyStopping mode 'lowest' is unknown, fallback to "
                                         "auto mode."):
        stop = cb.EarlyStopping(mode="lowest")
    assert stop.mode == "auto"
    with pytest.warns(UserWarning, match=r"Early stopping conditioned on metric `val_loss` which "
                                         r"is not available\. Available metrics are: loss"):
        fit_like(FakeModel(), [cb.EarlyStopping()], losses(1.0))


# ----- ModelCheckpoint ---------------------------------------------------------------------------
def test_model_checkpoint_templated_file_names(tmp_path):
    model = FakeModel()
    path = tmp_path / "ckpt" / "model_{epoch:02d}-{loss:.2f}.keras"
    fit_like(model, [cb.ModelCheckpoint(path)], losses(0.5, 0.25))
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == \
        ["model_01-0.50.keras", "model_02-0.25.keras"]
    assert (tmp_path / "ckpt" / "model_02-0.25.keras").read_text() == "1.0"


def test_model_checkpoint_save_best_only_messages(tmp_path, capsys):
    model = FakeModel()
    path = str(tmp_path / "best.keras")
    checkpoint = cb.ModelCheckpoint(path, monitor="val_loss", save_best_only=True, verbose=1)
    fit_like(model, [checkpoint], [{"val_loss": v} for v in (0.61673, 0.39452, 0.5)])
    assert model.saved == [("model", path), ("model", path)]
    assert (tmp_path / "best.keras").read_text() == "1.0"  # epoch 2's weights, not epoch 3's
    assert capsys.readouterr().out == (
        f"\nEpoch 1: val_loss improved from inf to 0.61673, saving model to {path}\n"
        f"\nEpoch 1: finished saving model to {path}\n"
        f"\nEpoch 2: val_loss improved from 0.61673 to 0.39452, saving model to {path}\n"
        f"\nEpoch 2: finished saving model to {path}\n"
        "\nEpoch 3: val_loss did not improve from 0.39452\n"
    )


def test_model_checkpoint_weights_only_threshold_and_batch_frequency(tmp_path):
    model = FakeModel()
    path = str(tmp_path / "w.weights.h5")
    checkpoint = cb.ModelCheckpoint(path, monitor="loss", save_best_only=True,
                                    save_weights_only=True, initial_value_threshold=0.3)
    fit_like(model, [checkpoint], losses(0.5, 0.2))
    assert model.saved == [("weights", path)]  # 0.5 does not beat the threshold 0.3

    model = FakeModel()
    path = str(tmp_path / "b{epoch}-{batch}.keras")
    fit_like(model, [cb.ModelCheckpoint(path, save_freq=2)], losses(0.5, 0.4), steps=3)
    # every second batch, counted across epochs; {epoch} and {batch} are 1-based
    assert [name.rsplit("/", 1)[-1] for _, name in model.saved] == \
        ["b1-2.keras", "b2-1.keras", "b2-3.keras"]


def test_model_checkpoint_argument_errors(tmp_path):
    with pytest.raises(ValueError, match=r"the filepath provided must end in `\.weights\.h5` "
                                         r"\(Keras weights format\)\. Received: filepath=w\.h5"):
        cb.ModelCheckpoint("w.h5", save_weights_only=True)
    with pytest.raises(ValueError, match=r"The filepath provided must end in `\.keras` \(Keras "
                                         r"model format\)\. Received: filepath=model\.pt"):
        cb.ModelCheckpoint("model.pt")
    with pytest.raises(ValueError, match=r"Unrecognized save_freq: 1\.5\. Expected save_freq "
                                         r"are 'epoch' or integer values"):
        cb.ModelCheckpoint("m.keras", save_freq=1.5)
    checkpoint = cb.ModelCheckpoint(str(tmp_path / "m-{val_acc:.2f}.keras"))
    with pytest.raises(KeyError, match=r"Failed to format this callback filepath: .*m-\{val_acc"
                                       r":\.2f\}\.keras\"\. Reason: .*val_acc"):
        fit_like(FakeModel(), [checkpoint], losses(0.5))


def test_model_checkpoint_warnings_and_directory_error(tmp_path):
    model = FakeModel()
    checkpoint = cb.ModelCheckpoint(str(tmp_path / "m.keras"), save_best_only=True)
    with pytest.warns(UserWarning, match=r"Can save best model only with val_loss available\."):
        fit_like(model, [checkpoint], losses(0.5))
    assert model.saved == [("model", str(tmp_path / "m.keras"))]  # saved anyway, as in Keras
    (tmp_path / "taken.keras").mkdir()
    with pytest.raises(OSError, match=r"Please specify a non-directory filepath for "
                                      r"ModelCheckpoint\. Filepath used is an existing "
                                      r"directory: .*taken\.keras"):
        fit_like(FakeModel(), [cb.ModelCheckpoint(str(tmp_path / "taken.keras"))], losses(0.5))


# ----- ReduceLROnPlateau and LearningRateScheduler ----------------------------------------------
def test_reduce_lr_on_plateau_lowers_rate_with_cooldown_and_floor(capsys):
    model = FakeModel(learning_rate=0.1)
    reduce = cb.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, cooldown=2,
                                  min_lr=0.02, verbose=1)
    history = fit_like(model, [reduce], losses(1.0, 1.0, 1.0, 1.0, 1.0, 1.0))
    # epoch 1 (0-based): no improvement -> 0.05; epoch 2: cooldown; epoch 3 -> 0.025 (the
    # cooldown counter runs down before the check); epoch 4: cooldown; epoch 5 -> max(0.0125,
    # 0.02). Each epoch logs the rate it was trained with.
    assert history.history["learning_rate"] == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    assert model.optimizer.learning_rate == 0.02
    assert capsys.readouterr().out == (
        "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.05.\n"
        "\nEpoch 4: ReduceLROnPlateau reducing learning rate to 0.025.\n"
        "\nEpoch 6: ReduceLROnPlateau reducing learning rate to 0.02.\n"
    )


def test_reduce_lr_on_plateau_ignores_changes_below_min_delta_and_bad_factor():
    model = FakeModel(learning_rate=1.0)
    fit_like(model, [cb.ReduceLROnPlateau(monitor="loss", patience=2, min_delta=0.01)],
             losses(1.0, 0.995, 0.991))
    assert model.optimizer.learning_rate == pytest.approx(0.1)
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau does not support a factor >= 1\.0\. "
                                         r"Received factor=2"):
        cb.ReduceLROnPlateau(factor=2)


def test_lr_callbacks_missing_monitor_or_learning_rate():
    with pytest.warns(UserWarning, match=r"Learning rate reduction is conditioned on metric "
                                         r"`val_loss` which is not available\. Available "
                                         r"metrics are: loss,learning_rate\."):
        fit_like(FakeModel(), [cb.ReduceLROnPlateau()], losses(0.5))
    model = FakeModel()
    model.optimizer = object()
    with pytest.raises(ValueError, match='Optimizer must have a "learning_rate" attribute.'):
        fit_like(model, [cb.LearningRateScheduler(lambda epoch, lr: lr)], losses(0.5))


def test_learning_rate_scheduler_new_and_legacy_schedules(capsys):
    model = FakeModel(learning_rate=0.01)
    scheduler = cb.LearningRateScheduler(lambda epoch, lr: lr if epoch < 1 else lr * 0.5,
                                         verbose=1)
    history = fit_like(model, [scheduler], losses(1.0, 1.0, 1.0))
    assert history.history["learning_rate"] == [0.01, 0.005, 0.0025]
    assert capsys.readouterr().out == (
        "\nEpoch 1: LearningRateScheduler setting learning rate to 0.01.\n"
        "\nEpoch 2: LearningRateScheduler setting learning rate to 0.005.\n"
        "\nEpoch 3: LearningRateScheduler setting learning rate to 0.0025.\n"
    )
    model = FakeModel()
    fit_like(model, [cb.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))], losses(1, 1))
    assert model.optimizer.learning_rate == 0.05
    with pytest.raises(ValueError, match=r"The output of the `schedule` function should be a "
                                         r"float\. Got: 1"):
        fit_like(FakeModel(), [cb.LearningRateScheduler(lambda epoch, lr: 1)], losses(1.0))


# ----- CSVLogger ---------------------------------------------------------------------------------
def test_csv_logger_writes_sorted_columns_and_appends(tmp_path):
    path = tmp_path / "log.csv"
    logs = [{"loss": 0.5, "accuracy": 0.75}, {"loss": 0.25, "accuracy": 0.875}]
    fit_like(FakeModel(), [cb.CSVLogger(path)], logs)
    assert path.read_bytes() == (b"epoch,accuracy,loss\r\n0,0.75,0.5\r\n1,0.875,0.25\r\n")
    fit_like(FakeModel(), [cb.CSVLogger(path, separator=";", append=True)], logs[:1])
    assert path.read_text().splitlines()[-1] == "0;0.75;0.5"
    assert path.read_text().count("epoch") == 1  # the header is not repeated


def test_csv_logger_adds_expected_validation_columns(tmp_path):
    path = tmp_path / "log.csv"
    model = FakeModel()
    model.metrics_names = ["loss", "val_loss"]  # validation only from the second epoch on
    fit_like(model, [cb.CSVLogger(path)], [{"loss": 0.5}, {"loss": 0.4, "val_loss": 0.3}])
    assert path.read_text().splitlines() == ["epoch,loss,val_loss", "0,0.5,NA", "1,0.4,0.3"]


# ----- TerminateOnNaN ----------------------------------------------------------------------------
def test_terminate_on_nan_stops_training(capsys):
    history = fit_like(FakeModel(), [cb.TerminateOnNaN()], losses(1.0, math.nan, 0.5))
    assert history.epoch == [0, 1]
    assert capsys.readouterr().out == "Batch 0: Invalid loss, terminating training\n"
    history = fit_like(FakeModel(), [cb.TerminateOnNaN()], losses(1.0, math.inf, 0.5))
    assert history.epoch == [0, 1]


def test_terminate_on_nan_can_raise():
    with pytest.raises(RuntimeError, match=r"NaN or Inf loss encountered at batch 0\. Loss "
                                           r"value: nan\. Terminating training immediately\."):
        fit_like(FakeModel(), [cb.TerminateOnNaN(raise_error=True)], losses(math.nan))


def test_no_warnings_when_everything_is_available(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_like(FakeModel(), [cb.EarlyStopping(monitor="loss"),
                               cb.ReduceLROnPlateau(monitor="loss"),
                               cb.ModelCheckpoint(str(tmp_path / "m.keras"), monitor="loss",
                                                  save_best_only=True)], losses(1.0, 0.5))


# ----- inside real fit ---------------------------------------------------------------------------
def blobs(n=48):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0)
    return x, y


def classifier(learning_rate=0.1):
    ember.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def diverging_regression():
    """Keras' docstring model: SGD on ``arange`` inputs, whose loss blows up."""
    model = keras.Sequential([keras.Input(shape=(20,)), keras.layers.Dense(10)])
    model.compile(keras.optimizers.SGD(), loss="mse")
    return model, np.arange(100, dtype="float32").reshape(5, 20), np.zeros((5, 10), "float32")


def test_keras_docstring_examples_early_stopping_and_scheduler():
    # EarlyStopping's docstring: "Only 4 epochs are run."
    model, x, y = diverging_regression()
    with np.errstate(over="ignore", invalid="ignore"):
        history = model.fit(x, y, epochs=10, batch_size=1, verbose=0,
                            callbacks=[cb.EarlyStopping(monitor="loss", patience=3)])
    assert len(history.history["loss"]) == 4
    # LearningRateScheduler's docstring: 0.01 for ten epochs, then times exp(-0.1) per epoch
    model, x, y = diverging_regression()
    assert round(float(model.optimizer.learning_rate), 5) == 0.01

    def scheduler(epoch, lr):
        return lr if epoch < 10 else lr * math.exp(-0.1)

    with np.errstate(over="ignore", invalid="ignore"):
        history = model.fit(x, y, epochs=15, verbose=0,
                            callbacks=[cb.LearningRateScheduler(scheduler)])
    assert round(float(model.optimizer.learning_rate), 5) == 0.00607
    assert len(history.history["learning_rate"]) == 15


def test_early_stopping_in_fit_stops_and_restores_the_best_epoch(capsys):
    model = classifier()
    x, y = blobs()
    scripted = [0.9, 0.5, 0.7, 0.8, 0.6, 0.1]  # best at epoch 1; patience 2 runs out at epoch 3
    snapshots = []

    def add_score(epoch, logs):
        logs["score"] = scripted[epoch]
        snapshots.append(model.get_weights())

    stop = cb.EarlyStopping(monitor="score", mode="min", patience=2, verbose=1,
                            restore_best_weights=True)
    history = model.fit(x, y, epochs=6, verbose=0,
                        callbacks=[cb.LambdaCallback(on_epoch_end=add_score), stop])
    assert history.epoch == [0, 1, 2, 3]
    assert history.history["score"] == scripted[:4]
    for restored, best in zip(model.get_weights(), snapshots[1]):
        np.testing.assert_array_equal(restored, best)
    assert not np.array_equal(snapshots[1][0], snapshots[3][0])  # training did move the weights
    assert capsys.readouterr().out == ("Epoch 4: early stopping\nRestoring model weights from "
                                       "the end of the best epoch: 2.\n")


def test_monitor_direction_comes_from_the_compiled_metrics():
    model = classifier()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", keras.metrics.SparseCategoricalCrossentropy(name="err")])
    x, y = blobs()
    watch_accuracy = cb.EarlyStopping(monitor="val_accuracy", patience=100)
    watch_err = cb.EarlyStopping(monitor="err", patience=100)
    history = model.fit(x, y, epochs=4, validation_split=0.25, verbose=0,
                        callbacks=[watch_accuracy, watch_err])
    assert watch_accuracy.best == max(history.history["val_accuracy"])  # higher is better
    assert watch_err.best == min(history.history["err"])  # a loss-like metric: lower is better


def test_reduce_lr_on_plateau_in_fit(capsys):
    rate = 2.0 ** -30  # exact in float32; far too small for the loss to move by min_delta
    model = classifier(learning_rate=rate)
    x, y = blobs()
    reduce = cb.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, verbose=1)
    history = model.fit(x, y, epochs=4, verbose=0, callbacks=[reduce])
    assert history.history["learning_rate"] == [rate, rate, rate / 2, rate / 4]
    assert float(model.optimizer.learning_rate) == rate / 8
    assert capsys.readouterr().out == "".join(
        f"\nEpoch {e}: ReduceLROnPlateau reducing learning rate to {rate / 2 ** (e - 1)}.\n"
        for e in (2, 3, 4))


def test_learning_rate_is_the_last_key_on_the_progress_line(capsys):
    model = classifier()
    x, y = blobs()
    model.fit(x, y, epochs=1, verbose=2, validation_split=0.25,
              callbacks=[cb.LearningRateScheduler(lambda epoch, lr: 0.05)])
    line = capsys.readouterr().out.strip()
    assert [part.split(":")[0] for part in line.split(" - ")[3:]] == [
        "accuracy", "loss", "val_accuracy", "val_loss", "learning_rate"]
    assert line.endswith(" - learning_rate: 0.0500")


def test_csv_logger_in_fit_matches_history(tmp_path):
    model = classifier()
    x, y = blobs()
    path = tmp_path / "training.csv"
    history = model.fit(x, y, epochs=3, validation_split=0.25, verbose=0,
                        callbacks=[cb.CSVLogger(path)])
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [int(row[0]) for row in rows[1:]] == [0, 1, 2]
    for column, name in enumerate(rows[0][1:], start=1):
        assert [float(row[column]) for row in rows[1:]] == history.history[name]


def test_terminate_on_nan_in_fit(capsys):
    model, x, y = diverging_regression()
    seen = []  # (epoch, batch, loss) as logged, recorded before TerminateOnNaN looks
    record = cb.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: seen.append((epoch, None, None)),
        on_train_batch_end=lambda batch, logs: seen.append((seen[-1][0], batch, logs["loss"])))
    with np.errstate(over="ignore", invalid="ignore"):
        history = model.fit(x, y, epochs=20, batch_size=1, shuffle=False, verbose=0,
                            callbacks=[record, cb.TerminateOnNaN()])
    epoch, batch, loss = seen[-1]
    assert not math.isfinite(loss)
    assert all(math.isfinite(value) for _, b, value in seen[:-1] if b is not None)
    assert history.epoch == list(range(epoch + 1))  # stopped in the epoch of the first bad loss
    assert capsys.readouterr().out == f"Batch {batch}: Invalid loss, terminating training\n"


def test_lambda_callback_hook_order_in_fit_evaluate_predict():
    model = classifier()
    x, y = blobs(8)
    events = []

    def record(name, indexed=False):
        if indexed:
            return lambda index, logs=None: events.append(f"{name} {index}")
        return lambda logs=None: events.append(name)

    hooks = {name: record(name, indexed) for name, indexed in [
        ("on_train_begin", False), ("on_train_end", False), ("on_epoch_begin", True),
        ("on_epoch_end", True), ("on_train_batch_begin", True), ("on_train_batch_end", True),
        ("on_test_begin", False), ("on_test_end", False), ("on_test_batch_begin", True),
        ("on_test_batch_end", True), ("on_predict_begin", False), ("on_predict_end", False),
        ("on_predict_batch_begin", True), ("on_predict_batch_end", True)]}
    callback = cb.LambdaCallback(**hooks)
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, callbacks=[callback])
    assert events == ["on_train_begin",
                      "on_epoch_begin 0", "on_train_batch_begin 0", "on_train_batch_end 0",
                      "on_train_batch_begin 1", "on_train_batch_end 1", "on_epoch_end 0",
                      "on_epoch_begin 1", "on_train_batch_begin 0", "on_train_batch_end 0",
                      "on_train_batch_begin 1", "on_train_batch_end 1", "on_epoch_end 1",
                      "on_train_end"]
    events.clear()
    model.evaluate(x, y, batch_size=8, verbose=0, callbacks=[callback])
    model.predict(x, batch_size=8, verbose=0, callbacks=[callback])
    assert events == ["on_test_begin", "on_test_batch_begin 0", "on_test_batch_end 0",
                      "on_test_end", "on_predict_begin", "on_predict_batch_begin 0",
                      "on_predict_batch_end 0", "on_predict_end"]


def test_a_callback_can_stop_training_mid_epoch():
    model = classifier()
    x, y = blobs()
    batches = []

    def stop_at_second_batch(batch, logs=None):
        batches.append(batch)
        if batch == 1:
            model.stop_training = True

    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0,
                        callbacks=[cb.LambdaCallback(on_train_batch_end=stop_at_second_batch)])
    assert batches == [0, 1] and history.epoch == [0]
    assert history.params == {"verbose": 0, "epochs": 3, "steps": 6}


def test_model_checkpoint_in_fit_writes_templated_and_best_files(tmp_path):
    model = classifier(learning_rate=0.5)
    x, y = blobs()
    snapshots = []
    every_epoch = cb.ModelCheckpoint(tmp_path / "all" / "{epoch:02d}-{val_loss:.2f}.keras")
    best = cb.ModelCheckpoint(tmp_path / "best.weights.h5", save_best_only=True,
                              save_weights_only=True)
    history = model.fit(x, y, epochs=3, validation_split=0.25, verbose=0, callbacks=[
        cb.LambdaCallback(on_epoch_end=lambda epoch, logs: snapshots.append(model.get_weights())),
        every_epoch, best])
    val_loss = history.history["val_loss"]
    assert sorted(p.name for p in (tmp_path / "all").iterdir()) == \
        [f"{epoch + 1:02d}-{value:.2f}.keras" for epoch, value in enumerate(val_loss)]
    last = keras.models.load_model(tmp_path / "all" / f"03-{val_loss[2]:.2f}.keras")
    for loaded, trained in zip(last.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(loaded, trained)
    fresh = classifier()
    fresh.load_weights(tmp_path / "best.weights.h5")
    best_epoch = int(np.argmin(val_loss))
    assert best_epoch != 2  # so "best" differs from "last"
    for loaded, kept in zip(fresh.get_weights(), snapshots[best_epoch]):
        np.testing.assert_array_equal(loaded, kept)
