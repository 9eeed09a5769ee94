"""`ember train RECIPE --np N` starts mpiexec itself; only rank 0 reports and saves."""

import os
import subprocess
import sys

import pytest

from ember import distributed

pytestmark = pytest.mark.skipif(
    distributed.mpiexec_path() is None, reason="mpiexec not installed: pip install 'ember[mpi]'")


def test_train_on_two_processes(tmp_path):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    result = subprocess.run(
        [sys.executable, "-m", "ember.cli", "train", "iris", "--epochs", "3", "--np", "2",
         "--out", str(tmp_path / "run"), "--verbose", "2"],
        capture_output=True, text=True, timeout=180, env=env, start_new_session=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("Wrote ") == 1
    assert result.stdout.count("Epoch 3/3") == 1
    for name in ("model.keras", "history.csv", "history.png", "run.json"):
        assert (tmp_path / "run" / name).is_file()
