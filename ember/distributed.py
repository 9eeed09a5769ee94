"""Data-parallel training over MPI (mpi4py): the same program from one process to a cluster."""

import os

_MPI_ENV = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS")


def _launched_by_mpi():
    return any(key in os.environ for key in _MPI_ENV)


def strategy_for(model):
    """The data-parallel strategy for ``model.fit`` under ``mpiexec``, or None in one process."""
    if not _launched_by_mpi():
        return None
    raise RuntimeError("ember.distributed: MPI launch detected, but data-parallel training is "
                       "not available in this build.")
