"""The benchmark suite's scripts work: each ember (and PyTorch) workload runs at a tiny size and
prints its JSON line, the data and FLOP counts agree with independent sources, and the runner
prints its tables. No timing is asserted: speed is measured by benchmarks/run.py, not here."""

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
WORKLOADS_DIR = REPO / "benchmarks" / "workloads"
sys.path.insert(0, str(WORKLOADS_DIR))
sys.path.insert(0, str(REPO / "benchmarks"))

import bench_common  # noqa: E402
import bench_report  # noqa: E402
import char_gpt  # noqa: E402
import mnist_cnn  # noqa: E402
import mnist_mlp  # noqa: E402
import seed_iris  # noqa: E402

TINY = {
    "seed_iris": ["--epochs", "2", "--limit", "64"],
    "mnist_mlp": ["--epochs", "2", "--limit", "512"],
    "mnist_cnn": ["--epochs", "2", "--limit", "128", "--batch-size", "64"],
    "char_gpt": ["--iters", "1", "--warmup", "1", "--limit", "4"],
}
MODULES = {m.NAME: m for m in (seed_iris, mnist_mlp, mnist_cnn, char_gpt)}


@pytest.fixture
def bench_data(shared_data, monkeypatch):
    monkeypatch.setenv("EMBER_BENCH_DATA", str(shared_data))
    return shared_data


def _run(name, framework, capsys, extra=()):
    record = MODULES[name].main([*TINY[name], "--framework", framework, "--verbose", "0", *extra])
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed == json.loads(json.dumps(record))
    return record


def _check_record(record, name, framework):
    assert record["workload"] == name and record["framework"] == framework
    assert math.isfinite(record["step_ms"]) and record["step_ms"] > 0
    assert record["peak_rss_mib"] > 10
    assert record["params"] == {"seed_iris": 165, "mnist_mlp": 669706, "mnist_cnn": 34826,
                                "char_gpt": 818241}[name]
    if name == "char_gpt":
        # one or two iterations from a fresh model: the loss starts near ln(65) and falls
        assert abs(record["first_loss"] - math.log(65)) < 1.0
        assert math.isfinite(record["val_loss"]) and record["val_loss"] < record["first_loss"]
    else:
        assert 0.0 <= record["test_accuracy"] <= 1.0
        assert record["steps_per_epoch"] == math.ceil(
            int(TINY[name][3]) / record["batch_size"])
    if name == "mnist_mlp":
        assert record["test_accuracy"] > 0.4  # 8 Adam steps on 512 digits: well above chance


@pytest.mark.parametrize("name", ["mnist_mlp", "mnist_cnn", "char_gpt"])
def test_ember_workload_runs_tiny(name, bench_data, capsys):
    _check_record(_run(name, "ember", capsys), name, "ember")


def test_ember_seed_iris_runs_tiny(capsys):
    _check_record(_run("seed_iris", "ember", capsys), "seed_iris", "ember")


@pytest.mark.parametrize("name", ["mnist_cnn", "char_gpt"])
def test_torch_workload_runs_tiny(name, shared_data, monkeypatch, capsys):
    pytest.importorskip("torch")
    monkeypatch.setenv("EMBER_BENCH_DATA", str(shared_data))
    _check_record(_run(name, "torch", capsys), name, "torch")


def test_ember_char_gpt_custom_loop(bench_data, capsys):
    record = _run("char_gpt", "ember", capsys, ["--loop", "custom", "--warmup", "0"])
    assert record["loop"] == "custom"
    _check_record(record, "char_gpt", "ember")


def test_iris_split_is_scikit_learns():
    sklearn = pytest.importorskip("sklearn.datasets")
    from sklearn.model_selection import train_test_split

    X, y = sklearn.load_iris(return_X_y=True)
    expected = train_test_split(X, y, test_size=0.2, random_state=42)
    for ours, theirs in zip(bench_common.iris_split(), expected):
        np.testing.assert_array_equal(ours, theirs)


def test_mnist_split_and_language_batches(bench_data):
    x_train, y_train, x_test, y_test = bench_common.mnist()
    assert x_train.shape == (8000, 28, 28) and x_test.shape == (2000, 28, 28)
    assert x_train.dtype == np.float32 and 0.0 == x_train.min() and x_train.max() == 1.0
    assert np.bincount(y_test, minlength=10).min() > 100
    train, val, vocab = bench_common.shakespeare()
    assert vocab == 65 and len(train) == 9 * len(val) + (len(train) - 9 * len(val))
    text = (bench_data / "tinyshakespeare" / "input.txt").read_text()
    assert len(train) + len(val) == len(text) and len(train) == int(0.9 * len(text))
    chars = sorted(set(text))
    assert "".join(chars[i] for i in train[:20]) == text[:20]
    (x, y), = bench_common.lm_batches(train, 1, 3, 8, seed=5)
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])
    again, = bench_common.lm_batches(train, 1, 3, 8, seed=5)
    np.testing.assert_array_equal(again[0], x)


def _kernel_sizes(model):
    return [v for v in model.trainable_weights if v.path.endswith("kernel")]


def test_flops_of_dense_models_match_their_kernels():
    from ember import keras

    for module, batch in ((seed_iris, 30), (mnist_mlp, 8000 / 63)):
        model = module.build_keras(keras)
        weights = sum(int(np.prod(v.shape)) for v in _kernel_sizes(model))
        # forward: 2 FLOPs per kernel weight per example; a step is forward + 2x backward
        assert module.flops_per_step() == pytest.approx(3 * 2 * weights * batch)


def test_flops_of_the_convnet_match_its_layers():
    from ember import keras

    model = mnist_cnn.build_keras(keras)
    forward = 0
    for layer in model.layers:
        if type(layer).__name__ in ("Conv2D", "Dense"):
            pixels = int(np.prod(layer.output_shape[1:-1]))  # output positions per image
            forward += 2 * pixels * int(np.prod(layer.kernel.shape))
    assert mnist_cnn.flops_per_step() == pytest.approx(3 * forward * 8000 / 63)


def test_flops_of_the_gpt_match_its_kernels():
    from ember.recipes import build_char_gpt

    model = build_char_gpt(**char_gpt.CONFIG)
    weights = sum(int(np.prod(v.shape)) for v in _kernel_sizes(model))
    tokens, context, width, layers = 12 * 64, 64, 128, 4
    # per token and layer: scores q @ k^T and weights @ v, 2 * context * width FLOPs each
    attention = layers * 2 * (2 * context * width)
    assert char_gpt.flops_per_step() == 3 * tokens * (2 * weights + attention)


def test_blas_ceiling_measures_square_and_workload_gemms():
    import blas_ceiling

    result = blas_ceiling.measure(sizes=(64,), workloads=("seed_iris",), repeats=1)
    assert result["gflops"] == result["by_size"]["64"] > 0
    floor = result["workloads"]["seed_iris"]
    assert floor["batch"] == 32 and floor["gemm_floor_ms"] > 0


def test_report_tables_give_medians_spreads_and_ratios():
    def run(framework, step_ms, repeat):
        return {"workload": "seed_iris", "framework": framework, "repeat": repeat,
                "step_ms": step_ms, "epoch_s": step_ms * 4 / 1000, "process_s": 2.0 * step_ms,
                "first_epoch_s": 0.1, "fit_s": 1.0, "child_maxrss_mib": 100.0 * step_ms,
                "peak_rss_mib": 1.0, "test_accuracy": 0.9, "import_s": 0.1,
                "others_share": 0.5 if framework == "torch" else 0.0}

    results = {"runs": [run("ember", v, i) for i, v in enumerate((1.0, 3.0, 2.0))]
               + [run("torch", v, i) for i, v in enumerate((4.0, 6.0, 5.0))],
               "imports": [], "ceiling": {"gflops": 0.026, "by_size": {}, "numpy": "x",
                                          "workloads": {"seed_iris": {"gemm_floor_ms": 0.5}}}}
    text = bench_report.tables(results, ["seed_iris"], ["ember", "torch"])
    step_row = next(line for line in text.splitlines() if line.startswith("| step_ms"))
    cells = [c.strip() for c in step_row.strip("|").split("|")]
    assert cells == ["step_ms (ms/step)", "2 [1-3]", "5 [4-6]", "0.40x"]
    # 25,920 FLOPs in 2 ms: 0.01296 GFLOP/s, half the 0.026 "ceiling"; 2 ms is 4x the floor
    assert "| 49.8%" in text and "4.0x" in text
    assert "took 0-50% of the CPUs during the runs  (noisy)" in text


def test_runner_runs_ember_and_prints_the_table(tmp_path):
    out = tmp_path / "results.json"
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "seed_iris", "--frameworks",
         "ember", "--repeats", "1", "--no-ceiling", "--no-imports", "--quiet", "1.0",
         "--json", str(out), *TINY["seed_iris"], "--verbose", "0"],
        capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:] + result.stdout[-2000:]
    assert "### seed_iris" in result.stdout and "| step_ms (ms/step)" in result.stdout
    runs = json.loads(out.read_text())["runs"]
    assert len(runs) == 1 and runs[0]["framework"] == "ember" and runs[0]["epochs"] == 2
    assert runs[0]["process_s"] > 0 and runs[0]["child_maxrss_mib"] > 10
