import os
import sys
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
sys.path.insert(0, str(Path(__file__).resolve().parent))

os.environ.setdefault("MPLBACKEND", "Agg")
# subprocesses started by tests (examples, the CLI, MPI ranks) use one BLAS thread too
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")


@pytest.fixture
def shared_data():
    """The folder of shared data sets next to the repo; skips (with the reason) when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session", autouse=True)
def _one_blas_thread():
    """Tests train small models: one BLAS thread is as fast, and on a busy 2-core machine a
    second spinning thread makes small matrix products 10-20x slower."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(autouse=True)
def _seed():
    import ember

    ember.set_random_seed(1234)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)
