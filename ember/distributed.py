"""Data-parallel training over MPI (mpi4py): the same program from one process to a cluster.

Launch any training script with ``mpiexec -n 4 python -m mpi4py train.py`` and ``model.fit``
trains data-parallel by itself: every rank holds the whole model, starts from rank 0's weights,
computes the gradient of its share of each global batch, and one ``Allreduce`` over the flat
gradient buffer per step gives every rank the gradient of the whole global batch. N ranks
therefore take the same steps as one process with the same ``batch_size``. Metrics and
validation results are combined across ranks, so callbacks decide the same on every rank; only
rank 0 prints (and should write files: guard with ``is_primary()``).

Without MPI (a plain ``python train.py``) every function here works for a world of size 1 and
mpi4py is never imported. It is imported only when the process was started by an MPI launcher
(``mpiexec``, ``srun``), when mpi4py was already imported, or when ``init()`` is called.

>>> from ember import distributed
>>> distributed.rank(), distributed.size(), distributed.is_primary()
(0, 1, True)
>>> distributed.allreduce_mean([1.0, 3.0])
array([1., 3.])
"""

import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from .autograd.tensor import Tensor

# Variables that MPI launchers set in the processes they start (MPICH/Hydra and Intel MPI, Slurm's
# PMI-2, PMIx, Open MPI, MVAPICH).
_MPI_ENV = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS",
            "MV2_COMM_WORLD_SIZE")
_INSTALL_HINT = "Install MPI support with: pip install 'ember[mpi]' (mpi4py and MPICH)."

_comm = None


def _launched_by_mpi():
    return any(key in os.environ for key in _MPI_ENV)


def _world(required=False):
    """MPI.COMM_WORLD, or None when this process runs alone without MPI."""
    global _comm
    if _comm is not None:
        return _comm
    if not (required or _launched_by_mpi() or "mpi4py.MPI" in sys.modules):
        return None
    try:
        from mpi4py import MPI
    except ImportError:
        raise ImportError(f"ember.distributed: this process was started by an MPI launcher (or "
                          f"MPI was requested), but mpi4py is not installed. {_INSTALL_HINT}"
                          ) from None
    _comm = MPI.COMM_WORLD
    if _comm.Get_size() > 1:
        _abort_on_uncaught_exception(_comm)
    return _comm


def _abort_on_uncaught_exception(comm):
    """An error on one rank must end the whole job, not leave the others waiting forever."""
    previous = sys.excepthook

    def hook(kind, value, traceback):
        previous(kind, value, traceback)
        sys.stderr.flush()
        # give the launcher's output forwarding a moment: Abort kills it with the job, and on a
        # busy machine the end of the traceback was seen lost
        time.sleep(0.25)
        comm.Abort(1)

    sys.excepthook = hook


def init():
    """Start MPI now (imports mpi4py) and return the number of ranks.

    Not needed under ``mpiexec``: every function here starts MPI when the launcher is detected.
    """
    return _world(required=True).Get_size()


def rank():
    """This process's rank, 0 to ``size() - 1`` (0 without MPI)."""
    comm = _world()
    return 0 if comm is None else comm.Get_rank()


def size():
    """The number of processes training together (1 without MPI)."""
    comm = _world()
    return 1 if comm is None else comm.Get_size()


def is_primary():
    """True on rank 0: the one process that prints, writes logs and saves checkpoints.

    >>> if is_primary():
    ...     pass  # model.save("model.keras")
    """
    return rank() == 0


def barrier():
    """Wait until every rank has reached this point (returns at once without MPI)."""
    comm = _world()
    if comm is not None and comm.Get_size() > 1:
        comm.Barrier()


def _as_array(value, what):
    if isinstance(value, Tensor):
        value = value.data
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{what}: expected an array of numbers. Received: {value!r:.80} "
                        f"({error})") from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{what}: expected an array of numbers. Received dtype {array.dtype}")
    return array


def allreduce_mean(array):
    """The element-wise mean of ``array`` over all ranks, as a new array on every rank.

    Floats keep their dtype; integers and booleans are averaged in float64. Every rank must pass
    the same shape.

    >>> allreduce_mean(np.array([2.0, 4.0], dtype="float32"))
    array([2., 4.], dtype=float32)
    """
    array = _as_array(array, "allreduce_mean")
    dtype = array.dtype if array.dtype.kind == "f" else np.dtype("float64")
    send = np.array(array, dtype=dtype, order="C")  # always a fresh array
    comm = _world()
    if comm is None or comm.Get_size() == 1:
        return send
    layouts = comm.allgather((send.shape, send.dtype.str))
    if len(set(layouts)) > 1:
        listed = ", ".join(f"rank {r}: shape {s} {np.dtype(d).name}"
                           for r, (s, d) in enumerate(layouts))
        raise ValueError(f"allreduce_mean: every rank must pass the same shape and dtype. "
                         f"Received: {listed}")
    from mpi4py import MPI

    comm.Allreduce(MPI.IN_PLACE, send, op=MPI.SUM)
    send /= comm.Get_size()
    return send


def broadcast(array, root=0):
    """Rank ``root``'s ``array`` on every rank, as a new array (other ranks may pass None).

    >>> broadcast(np.arange(3))
    array([0, 1, 2])
    """
    comm = _world()
    world = 1 if comm is None else comm.Get_size()
    if isinstance(root, bool) or not isinstance(root, (int, np.integer)) or \
            not 0 <= root < world:
        raise ValueError(f"broadcast: `root` must be a rank from 0 to {world - 1}. "
                         f"Received: root={root!r}")
    if world == 1:
        return np.array(_as_array(array, "broadcast"), order="C")
    mine = comm.Get_rank() == root
    send = np.array(_as_array(array, "broadcast"), order="C") if mine else None
    shape, dtype = comm.bcast((send.shape, send.dtype.str) if mine else None, root=root)
    buffer = send if mine else np.empty(shape, np.dtype(dtype))
    comm.Bcast(buffer, root=root)
    return buffer


def mpiexec_path():
    """The ``mpiexec`` of this Python environment (from the ``mpich`` wheel), else the one on
    PATH, else None."""
    local = Path(sys.executable).parent / "mpiexec"
    return str(local) if local.exists() else shutil.which("mpiexec")


def launch_command(argv, np, mpiexec_args=()):
    """The command line that runs ``ember <argv>`` on ``np`` ranks (``--np`` removed from argv).

    >>> launch_command(["train", "mnist_mlp", "--np", "2"], 2)[-4:]
    ['-m', 'ember.cli', 'train', 'mnist_mlp']
    """
    if isinstance(np, bool) or not isinstance(np, int) or np < 1:
        raise ValueError(f"--np must be a positive number of processes. Received: np={np!r}")
    rest, skip = [], False
    for item in argv:
        if skip:
            skip = False
        elif item == "--np":
            skip = True
        elif not item.startswith("--np="):
            rest.append(item)
    return [mpiexec_path() or "mpiexec", "-n", str(np), *mpiexec_args,
            sys.executable, "-m", "mpi4py", "-m", "ember.cli", *rest]


def launch(argv, np, mpiexec_args=()):
    """Re-execute ``ember <argv>`` under this environment's ``mpiexec -n np`` (never returns).

    For ``ember train RECIPE --np N``. Refuses to nest inside a process MPI already started.
    """
    if _launched_by_mpi():
        raise RuntimeError("ember.distributed.launch: this process already runs under MPI; "
                           "drop --np (the launcher already chose the number of processes).")
    if mpiexec_path() is None:
        raise RuntimeError(f"ember.distributed.launch: no `mpiexec` next to {sys.executable} nor "
                           f"on PATH. {_INSTALL_HINT}")
    command = launch_command(argv, np, mpiexec_args)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)


def strategy_for(model):
    """The data-parallel strategy ``model.fit`` uses under MPI, or None for a single process."""
    comm = _world()
    if comm is None or comm.Get_size() == 1:
        return None
    from ._data_parallel import DataParallel

    return DataParallel(comm)
