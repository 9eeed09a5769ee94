"""Run by tests/test_distributed.py under `mpiexec -n 2`: the primitives, one JSON file per rank."""

import json
import sys
from pathlib import Path

import numpy as np

from ember import distributed

out = Path(sys.argv[1])
rank, size = distributed.rank(), distributed.size()
result = {
    "rank": rank,
    "size": size,
    "primary": distributed.is_primary(),
    "mean_f32": distributed.allreduce_mean(np.array([rank, 10.0 * rank], np.float32)).tolist(),
    "mean_dtype": str(distributed.allreduce_mean(np.array([rank, 1], np.float32)).dtype),
    "mean_int": distributed.allreduce_mean(np.array([[rank + 1]])).tolist(),
    "mean_scalar": float(distributed.allreduce_mean(2.0 * rank + 1)),
    "broadcast": distributed.broadcast(np.arange(4) + 100 if rank == 1 else None, root=1).tolist(),
}
distributed.barrier()
try:
    distributed.allreduce_mean(np.zeros(rank + 2))
except ValueError as error:
    result["mismatch_error"] = str(error)
try:
    distributed.broadcast(np.zeros(2), root=2)
except ValueError as error:
    result["root_error"] = str(error)
(out / f"rank{rank}.json").write_text(json.dumps(result))
