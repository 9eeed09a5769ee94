"""The Keras-API side of the workloads, shared word for word by ember and Keras 3: the same model
builder, ``compile`` and ``fit`` run on ``ember.keras`` or on ``keras``, so the two frameworks
train the same definition through the same calls."""

import math
import os
import statistics
import time

from bench_common import epoch_clock, profiled, steady, timed_import


def import_keras(framework, seed):
    """``(keras module, version, import seconds, extra figures)`` for ``framework``.

    ember: ``import ember`` is timed alone (the figure the issue targets); loading
    ``ember.keras``'s layers, models and optimizers is reported as ``keras_import_s``.
    keras: ``import keras`` (which imports TensorFlow) is timed.
    """
    if framework == "ember":
        ember, import_s = timed_import("ember")
        start = time.perf_counter()
        keras = ember.keras
        keras.layers, keras.models, keras.optimizers, keras.losses, keras.callbacks  # noqa: B018
        extra = {"keras_import_s": time.perf_counter() - start}
        ember.set_random_seed(seed)
        return keras, ember.__version__, import_s, extra
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    keras, import_s = timed_import("keras")
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    extra = {"tensorflow": tf.__version__, "keras_backend": keras.backend.backend(),
             "threads": tf.config.threading.get_intra_op_parallelism_threads() or "default"}
    return keras, keras.__version__, import_s, extra


def fit_figures(epoch_seconds, steps_per_epoch, fit_s):
    """Per-epoch and per-step figures: medians over the epochs after the first (warm-up) one."""
    rest = steady(epoch_seconds)
    epoch_s = statistics.median(rest)
    return {
        "steps_per_epoch": steps_per_epoch,
        "epoch_s": epoch_s,
        "epoch_s_min": min(rest),
        "epoch_s_max": max(rest),
        "first_epoch_s": epoch_seconds[0],
        "step_ms": 1000.0 * epoch_s / steps_per_epoch,
        "fit_s": fit_s,
    }


def run_fit(args, build, data, compile_options):
    """Build with ``build(keras)``, compile, ``fit`` for ``args.epochs`` and ``evaluate``;
    returns ``(version, import_s, figures)``."""
    x_train, y_train, x_test, y_test = data
    keras, version, import_s, extra = import_keras(args.framework, args.seed)
    start = time.perf_counter()
    model = build(keras)
    model.compile(**compile_options)
    clock = epoch_clock(keras.callbacks.Callback)
    setup_s = time.perf_counter() - start
    start = time.perf_counter()
    with profiled(args.profile_out):
        history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                            verbose=args.verbose, callbacks=[clock])
    fit_s = time.perf_counter() - start
    test_loss, test_accuracy = model.evaluate(x_test, y_test, batch_size=args.batch_size,
                                              verbose=0)
    steps = math.ceil(len(x_train) / args.batch_size)
    figures = {
        **extra,
        "setup_s": setup_s,
        **fit_figures(clock.seconds, steps, fit_s),
        "train_loss": float(history.history["loss"][-1]),
        "train_accuracy": float(history.history["accuracy"][-1]),
        "test_loss": float(test_loss),
        "test_accuracy": float(test_accuracy),
        "params": int(model.count_params()),
    }
    return version, import_s, figures
