"""ember.distributed: the size-1 API without MPI, and 2 ranks under the environment's mpiexec.

The 2-rank tests start ``mpiexec -n 2`` from this Python's own bin folder (where the ``mpich``
wheel puts it) in a new process group, killed whole on a timeout.
"""

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import ember
from ember import distributed
from ember._data_parallel import _common_base, shard_bounds

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = Path(__file__).resolve().parent / "mpi_scripts"
MPIEXEC = Path(sys.executable).parent / "mpiexec"

_missing = [what for what, ok in (("mpi4py", importlib.util.find_spec("mpi4py") is not None),
                                  (f"mpiexec at {MPIEXEC}", MPIEXEC.exists())) if not ok]
needs_mpi = pytest.mark.skipif(bool(_missing), reason=f"MPI not installed ({', '.join(_missing)}"
                               f" missing): pip install 'ember[mpi]'")


def run_mpi(script, *args, ranks=2, module=True, timeout=60):
    """(return code, stdout + stderr, seconds) of ``mpiexec -n ranks python [-m mpi4py] script``."""
    path = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, PYTHONPATH=path, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    launcher = ["-m", "mpi4py"] if module else []
    command = [str(MPIEXEC), "-n", str(ranks), sys.executable, *launcher, str(SCRIPTS / script),
               *map(str, args)]
    start = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        pytest.fail(f"mpiexec did not finish within {timeout} s; output:\n{output}")
    return process.returncode, output, time.monotonic() - start


# ----- one process, no MPI -------------------------------------------------------------------
def test_size_one_api_without_mpi():
    assert (distributed.rank(), distributed.size(), distributed.is_primary()) == (0, 1, True)
    distributed.barrier()
    values = np.array([[1.5, -2.0]], np.float32)
    mean = distributed.allreduce_mean(values)
    np.testing.assert_array_equal(mean, values)
    assert mean.dtype == np.float32 and mean is not values
    assert distributed.allreduce_mean(np.array([1, 2])).dtype == np.float64
    assert float(distributed.allreduce_mean(ember.tensor([3.0]))[0]) == 3.0
    sent = np.arange(5)
    received = distributed.broadcast(sent, root=0)
    np.testing.assert_array_equal(received, sent)
    assert received is not sent
    assert distributed.strategy_for(object()) is None


def test_size_one_errors_name_the_argument():
    with pytest.raises(ValueError, match=r"broadcast: `root` must be a rank from 0 to 0\. "
                                         r"Received: root=1"):
        distributed.broadcast(np.zeros(2), root=1)
    with pytest.raises(TypeError, match="allreduce_mean: expected an array of numbers. "
                                        "Received dtype <U1"):
        distributed.allreduce_mean(np.array(["a"]))


def test_mpi4py_is_not_imported_without_a_launcher():
    code = ("import sys, numpy as np; from ember import distributed as d; "
            "d.rank(); d.size(); d.barrier(); d.allreduce_mean(np.ones(2)); d.broadcast([1]); "
            "print('mpi4py' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k not in distributed._MPI_ENV}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


def test_launched_without_mpi4py_explains_how_to_install():
    code = ("import sys; sys.modules['mpi4py'] = None; from ember import distributed; "
            "distributed.size()")
    env = dict(os.environ, PMI_RANK="0", PMI_SIZE="2")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0
    assert "mpi4py is not installed. Install MPI support with: pip install 'ember[mpi]'" in \
        result.stderr


def test_shard_bounds_cover_the_batch_in_order():
    for n in (0, 1, 2, 5, 33, 128):
        for size in (1, 2, 3, 4):
            bounds = [shard_bounds(n, r, size) for r in range(size)]
            assert bounds[0][0] == 0 and bounds[-1][1] == n
            assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
            lengths = [stop - start for start, stop in bounds]
            assert max(lengths) - min(lengths) <= 1 and lengths == sorted(lengths, reverse=True)


def test_flat_gradient_buffer_is_used_only_when_it_holds_every_gradient_in_order():
    flat = np.zeros(10, np.float32)
    grads = [flat[0:6].reshape(2, 3), flat[6:10]]
    assert _common_base(grads) is flat
    assert _common_base(grads[::-1]) is None  # out of order
    assert _common_base(grads[:1]) is None  # does not fill the buffer
    assert _common_base([grads[0], np.zeros(4, np.float32)]) is None
    assert _common_base([None, grads[1]]) is None


def test_launch_command_uses_this_environments_mpiexec_and_drops_np():
    command = distributed.launch_command(["train", "mnist_mlp", "--np", "4", "--epochs=2"], 4)
    assert command[1:3] == ["-n", "4"]
    assert command[3:] == [sys.executable, "-m", "mpi4py", "-m", "ember.cli", "train",
                           "mnist_mlp", "--epochs=2"]
    if MPIEXEC.exists():
        assert command[0] == str(MPIEXEC)
    hosts = distributed.launch_command(["train", "x", "--np=2"], 2, mpiexec_args=["-f", "hosts"])
    assert hosts[3:5] == ["-f", "hosts"] and hosts[-2:] == ["train", "x"]
    with pytest.raises(ValueError, match="--np must be a positive number of processes. "
                                         "Received: np=0"):
        distributed.launch_command(["train"], 0)


def test_launch_without_mpiexec_explains_how_to_install(monkeypatch):
    monkeypatch.setattr(distributed, "mpiexec_path", lambda: None)
    with pytest.raises(RuntimeError, match=r"no `mpiexec` next to .* nor on PATH\. Install MPI "
                                           r"support with: pip install 'ember\[mpi\]'"):
        distributed.launch(["train", "x"], 2)


def test_launch_refuses_to_nest_under_mpi(monkeypatch):
    monkeypatch.setenv("PMI_RANK", "0")
    with pytest.raises(RuntimeError, match="already runs under MPI; drop --np"):
        distributed.launch(["train", "x"], 2)


@needs_mpi
def test_init_starts_mpi_on_request_without_a_launcher():
    code = ("import sys; from ember import distributed as d; "
            "print(d.init(), d.size(), d.rank(), 'mpi4py.MPI' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k not in distributed._MPI_ENV}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.stdout.split() == ["1", "1", "0", "True"], result.stderr


# ----- two ranks -----------------------------------------------------------------------------
@needs_mpi
def test_launch_reruns_the_ember_command_on_n_ranks():
    code = "from ember import distributed; distributed.launch(['--version', '--np', '2'], 2)"
    env = {k: v for k, v in os.environ.items() if k not in distributed._MPI_ENV}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True,
                            text=True, timeout=60, start_new_session=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n").count(f"ember {ember.__version__}") == 2


@needs_mpi
def test_primitives_on_two_ranks(tmp_path):
    code, output, _ = run_mpi("primitives.py", tmp_path)
    assert code == 0, output
    results = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    for r, result in enumerate(results):
        assert (result["rank"], result["size"], result["primary"]) == (r, 2, r == 0)
        assert result["mean_f32"] == [0.5, 5.0] and result["mean_dtype"] == "float32"
        assert result["mean_int"] == [[1.5]] and result["mean_scalar"] == 2.0
        assert result["broadcast"] == [100, 101, 102, 103]
        assert result["mismatch_error"] == (
            "allreduce_mean: every rank must pass the same shape and dtype. Received: "
            "rank 0: shape (2,) float64, rank 1: shape (3,) float64")
        assert result["root_error"] == ("broadcast: `root` must be a rank from 0 to 1. "
                                        "Received: root=2")


@needs_mpi
@pytest.mark.parametrize("module", [True, False], ids=["python-m-mpi4py", "plain-python"])
def test_an_error_on_one_rank_ends_the_job(module):
    code, output, seconds = run_mpi("fail_one_rank.py", module=module, timeout=30)
    assert code != 0
    assert "RuntimeError: rank 1 failed on purpose" in output
    assert seconds < 10, f"the job took {seconds:.1f} s to end"


@needs_mpi
def test_a_callback_stopping_one_rank_stops_every_rank_at_the_same_step(tmp_path):
    code, output, _ = run_mpi("stop_on_one_rank.py", tmp_path, timeout=30)
    assert code == 0, output
    runs = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert runs == [{"iterations": 4, "epochs": 1}] * 2


@needs_mpi
def test_ranks_agree_on_a_model_built_in_fit_with_batchnorm_and_dropout(tmp_path):
    code, output, _ = run_mpi("fit_unbuilt_bn.py", tmp_path, timeout=60)
    assert code == 0, output
    runs = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    weights = [np.load(tmp_path / f"weights{r}.npz") for r in range(2)]
    assert "batch_normalization/moving_mean" in runs[0]["names"]
    # rank 0's initial weights won (the ranks were seeded differently), gradients were shared
    # and the BatchNorm statistics each rank gathered on its shards were averaged
    for name, key in zip(runs[0]["names"], weights[0]):
        np.testing.assert_array_equal(weights[0][key], weights[1][key], err_msg=name)
    # the ranks draw dropout masks from different streams
    assert runs[0]["draws"] != runs[1]["draws"]


@pytest.fixture(scope="module")
def two_rank_fit(tmp_path_factory):
    """The output folder of tests/mpi_scripts/fit_mlp.py run on 2 ranks, and the module."""
    out = tmp_path_factory.mktemp("fit_mlp")
    code, output, _ = run_mpi("fit_mlp.py", out, timeout=90)
    assert code == 0, output
    sys.path.insert(0, str(SCRIPTS))
    try:
        import fit_mlp
    finally:
        sys.path.remove(str(SCRIPTS))
    return out, fit_mlp


@needs_mpi
@pytest.mark.parametrize("source", ["arrays", "generator"])
def test_fit_on_two_ranks_equals_one_process_with_the_global_batch(two_rank_fit, source):
    out, fit_mlp = two_rank_fit
    model, history, evaluation = fit_mlp.train(source)
    assert distributed.size() == 1  # the reference ran without MPI
    runs = [json.loads((out / f"{source}_rank{r}.json").read_text()) for r in range(2)]
    weights = [np.load(out / f"{source}_weights{r}.npz") for r in range(2)]
    assert runs[0]["size"] == 2 and runs[0]["iterations"] == 20
    # each rank trained on its own shard: 17 + 16 rows of each batch of 33, 1 + 0 of the last
    last = [1, 0] if source == "arrays" else [17, 16]
    assert [run["rows"] for run in runs] == [2 * (9 * 17 + last[0]), 2 * (9 * 16 + last[1])]
    assert model.rows == sum(run["rows"] for run in runs)
    for r in range(2):
        rank_weights = [weights[r][f"arr_{i}"] for i in range(len(model.weights))]
        for single, parallel in zip(model.weights, rank_weights):
            assert np.max(np.abs(single.data - parallel)) <= 1e-5
        # every rank holds the same model and the same logs, bit for bit
        for w0, w in zip(weights[0].values(), rank_weights):
            np.testing.assert_array_equal(w0, w)
        assert runs[r]["history"] == runs[0]["history"]
        assert runs[r]["evaluation"] == runs[0]["evaluation"]
    assert sorted(runs[0]["history"]) == sorted(history)
    for key, values in history.items():
        np.testing.assert_allclose(runs[0]["history"][key], values, rtol=1e-5, atol=1e-6,
                                   err_msg=key)
    for key, value in evaluation.items():
        np.testing.assert_allclose(runs[0]["evaluation"][key], value, rtol=1e-5, atol=1e-6,
                                   err_msg=key)
