"""What every workload shares: its command line, the data (NumPy only, so all three frameworks
train on identical arrays), the clocks, and the one JSON line a workload prints at the end.

Nothing here imports a deep-learning framework: the runner imports the workload modules to read
their FLOP counts, and the Keras venv has no scikit-learn (hence the bundled ``iris.csv``).
"""

import argparse
import contextlib
import gzip
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

BENCH_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = BENCH_DIR.parent
FRAMEWORKS = ("ember", "torch", "keras")
MNIST_TRAIN = 8000  # the project's split of the MNIST t10k file: first 8,000 train, last 2,000 test


def data_dir():
    """The shared data folder: ``$EMBER_BENCH_DATA``, else ``shared/data`` beside the repo."""
    return Path(os.environ.get("EMBER_BENCH_DATA", REPO_ROOT.parent / "shared" / "data"))


# ---- command line -------------------------------------------------------------------------------

def parse_args(description, argv=None, **defaults):
    """The options every workload understands; ``defaults`` sets the workload's own values."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--framework", choices=FRAMEWORKS, default="ember")
    parser.add_argument("--epochs", type=int, default=defaults.get("epochs", 1))
    parser.add_argument("--batch-size", type=int, default=defaults.get("batch_size", 32))
    parser.add_argument("--limit", type=int, default=None,
                        help="smoke tests: train on the first LIMIT examples only (char_gpt: "
                             "validate on LIMIT windows)")
    parser.add_argument("--iters", type=int, default=defaults.get("iters", 0),
                        help="timed iterations (char_gpt)")
    parser.add_argument("--warmup", type=int, default=defaults.get("warmup", 0),
                        help="untimed iterations before the timed ones (char_gpt)")
    parser.add_argument("--loop", choices=("train_on_batch", "custom"), default="train_on_batch",
                        help="char_gpt on ember: train_on_batch, or the hand-written loop")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile-out", default=None, metavar="PATH",
                        help="write a cProfile of the training loop alone (not the imports) here")
    parser.add_argument("--verbose", type=int, default=defaults.get("verbose", 0),
                        help="verbose= passed to fit (ember, keras)")
    return parser.parse_args(argv)


# ---- data ---------------------------------------------------------------------------------------

def iris_split():
    """``(X_train, X_test, y_train, y_test)`` exactly as scikit-learn's
    ``train_test_split(X, y, test_size=0.2, random_state=42)`` gives them (float64 / int64).

    ``train_test_split`` draws ``RandomState(42).permutation(150)``: the first 30 indices test,
    the other 120 train (tests/test_benchmarks_smoke.py checks this against scikit-learn).
    """
    table = np.loadtxt(BENCH_DIR / "data" / "iris.csv", delimiter=",", skiprows=1)
    X, y = table[:, :4], table[:, 4].astype(np.int64)
    order = np.random.RandomState(42).permutation(len(X))
    test, train = order[:30], order[30:]
    return X[train], X[test], y[train], y[test]


def _read_idx(path):
    with gzip.open(path, "rb") as handle:
        raw = handle.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def mnist(limit=None):
    """``(x_train, y_train, x_test, y_test)``: images ``(n, 28, 28)`` float32 in [0, 1], int64
    labels; train = the first 8,000 of the t10k file (or its first ``limit``), test = the last
    2,000 (or its first ``limit``)."""
    folder = data_dir() / "mnist"
    images = _read_idx(folder / "t10k-images-idx3-ubyte.gz").astype(np.float32) / 255.0
    labels = _read_idx(folder / "t10k-labels-idx1-ubyte.gz").astype(np.int64)
    x_train, y_train = images[:MNIST_TRAIN], labels[:MNIST_TRAIN]
    x_test, y_test = images[MNIST_TRAIN:], labels[MNIST_TRAIN:]
    if limit is not None:
        x_train, y_train, x_test, y_test = (a[:limit] for a in (x_train, y_train, x_test, y_test))
    return x_train, y_train, x_test, y_test


def shakespeare():
    """``(train_ids, val_ids, vocab_size)``: Tiny Shakespeare as int64 character ids over the
    sorted set of its characters (65); the first 90% train, the last 10% validate."""
    text = (data_dir() / "tinyshakespeare" / "input.txt").read_text(encoding="utf-8")
    vocab = sorted(set(text))
    lookup = np.zeros(max(map(ord, vocab)) + 1, np.int64)
    lookup[[ord(c) for c in vocab]] = np.arange(len(vocab))
    ids = lookup[np.frombuffer(text.encode("utf-32-le"), np.uint32)]
    cut = int(0.9 * len(ids))
    return ids[:cut], ids[cut:], len(vocab)


def lm_batches(ids, count, batch_size, context, seed):
    """``count`` batches ``(x, y)`` of int64 ``(batch_size, context)``, y = x shifted by one;
    the window starts come from ``RandomState(seed)`` so every framework sees the same batches."""
    rng = np.random.RandomState(seed)
    offsets = np.arange(context)
    batches = []
    for _ in range(count):
        starts = rng.randint(0, len(ids) - context - 1, size=batch_size)
        windows = starts[:, None] + offsets
        batches.append((ids[windows], ids[windows + 1]))
    return batches


# ---- FLOPs --------------------------------------------------------------------------------------

def gemm_flops(gemms):
    """FLOPs of matrix products given as ``(m, k, n, count)``: ``count`` products of an
    ``(m, k)`` by a ``(k, n)`` matrix, 2mkn each."""
    return sum(2 * m * k * n * count for m, k, n, count in gemms)


def train_step_flops(forward):
    """A training step's FLOPs from its forward products: forward 2mkn per GEMM, backward twice
    that (the input gradient and the weight gradient), so three times the forward."""
    return 3 * gemm_flops(forward)


# ---- clocks and the report ----------------------------------------------------------------------

def timed_import(name):
    """``(module, seconds)`` for ``import name`` (the first import in this process)."""
    import importlib

    start = time.perf_counter()
    module = importlib.import_module(name)
    return module, time.perf_counter() - start


def epoch_clock(callback_base):
    """A Keras callback (of ``callback_base``, ember's or Keras') that records each epoch's
    wall time in ``.seconds``."""

    class EpochClock(callback_base):
        def __init__(self):
            super().__init__()
            self.seconds = []
            self._start = None

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start)

    return EpochClock()


@contextlib.contextmanager
def profiled(path):
    """Profile the block with cProfile into ``path`` (a no-op when ``path`` is None)."""
    if path is None:
        yield
        return
    import cProfile

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        profiler.dump_stats(path)


def steady(values):
    """The values after the first (warm-up) one, when there is more than one."""
    return list(values[1:]) if len(values) > 1 else list(values)


def peak_rss_mib():
    """This process's peak resident memory (``VmHWM``), in MiB."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def blas_info():
    """Which BLAS (library, kernel architecture, threads) this process loaded, if
    threadpoolctl can tell."""
    try:
        import threadpoolctl
    except ImportError:
        return None
    return [{key: info.get(key) for key in ("internal_api", "architecture", "num_threads",
                                              "version", "prefix")}
            for info in threadpoolctl.threadpool_info()]


def report(workload, args, version, import_s, **figures):
    """Print the workload's one JSON line (the last line of its output)."""
    record = {
        "workload": workload,
        "framework": args.framework,
        "version": version,
        "python": platform.python_version(),
        "import_s": import_s,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "limit": args.limit,
        **figures,
        "peak_rss_mib": peak_rss_mib(),
        "blas": blas_info(),
        "openblas_env": {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS")},
    }
    if args.framework == "ember":  # how many threads ember's sharded steps used
        import ember

        record["ember_threads"] = ember.get_num_threads()
    sys.stdout.flush()
    print(json.dumps(record), flush=True)
    return record
