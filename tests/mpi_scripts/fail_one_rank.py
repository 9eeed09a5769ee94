"""Run by tests/test_distributed.py under `mpiexec -n 2`: rank 1 fails while rank 0 waits for it
in a collective; the whole job must end with the error shown."""

import numpy as np

from ember import distributed

distributed.barrier()
if distributed.rank() == 1:
    raise RuntimeError("rank 1 failed on purpose")
distributed.allreduce_mean(np.ones(3))  # rank 0 waits here for rank 1, which never comes
