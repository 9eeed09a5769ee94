"""The strategy ``model.fit`` uses under MPI: the hooks the trainer calls on ``model.distribute``.

``ember.distributed.strategy_for(model)`` makes one when more than one rank runs. The trainer calls
``prepare`` at the start of ``fit``, wraps its batches with ``shard_batches``, calls
``reduce_gradients`` between the backward pass and the optimizer step, and ``average_logs`` on the
logs of each epoch and of each evaluation.

Why N ranks equal one process: each rank's loss is the mean over its shard of n_r samples, so the
gradient of the global batch (n samples) is the sum over ranks of (n_r / n) * gradient_r. Each rank
scales its gradient by n_r / n and one ``Allreduce(SUM)`` adds them up.
"""

import time

import numpy as np

from . import backend
from .autograd.grad_mode import no_grad
from .keras.keras_tensor import flatten
from .keras.models.data_adapter import pack, take, unpack


class DataParallel:
    """Data-parallel training over an MPI communicator (see ``ember.distributed``)."""

    def __init__(self, comm):
        from mpi4py import MPI

        self._mpi = MPI
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.model = None
        self.allreduce_seconds = 0.0  # time spent in the gradient Allreduce (for benchmarks)
        self.allreduce_calls = 0
        self._weight = None  # this rank's share n_r / n of the global batch being trained on
        self._synced = False
        self._epoch_samples = 0
        self._verified = None
        self._scratch = None
        self._present = None
        self._stop = np.zeros(1, np.int8)

    def is_primary(self):
        return self.rank == 0

    # ----- start of fit ------------------------------------------------------------------------
    def prepare(self, model):
        """Make every rank start from rank 0's weights (and optimizer state, once built)."""
        self.model = model
        self._weight = None
        self._synced = False
        if model.built and model.weights:
            self.sync_weights()

    def sync_weights(self):
        """Copy rank 0's weights and optimizer variables into every rank's, in place."""
        arrays = [v.data for v in self.model.weights]
        optimizer = getattr(self.model, "optimizer", None)
        for item in getattr(optimizer, "variables", None) or []:
            arrays.append(getattr(item, "data", item))
        for group in _by_dtype(arrays):
            buffer = _pack(group) if self.rank == 0 else np.empty(_total(group), group[0].dtype)
            self.comm.Bcast(buffer, root=0)
            _unpack(buffer, group)
        self._synced = True

    # ----- batches -----------------------------------------------------------------------------
    def shard_batches(self, batches):
        """Each global batch of ``batches`` cut into ``size`` near-equal shards, one per rank."""
        return ShardedBatches(batches, self)

    def _begin_epoch(self):
        self._epoch_samples = 0
        self._weight = None

    def _ensure_built(self, x):
        if not self._synced:  # a model built by its first call: build it now, then sync
            with no_grad():
                self.model(take(x, slice(0, 1)), training=False)
            self.sync_weights()

    # ----- one step ----------------------------------------------------------------------------
    def reduce_gradients(self, model, variables):
        """Replace each rank's gradient by the gradient of the global batch: one Allreduce."""
        weight = self._weight if self._weight is not None else 1.0 / self.size
        self._weight = None
        buffer, scattered = self._gradient_buffer(variables)
        if weight == 0:
            buffer.fill(0)
        elif weight != 1:
            buffer *= weight
        start = time.perf_counter()
        self.comm.Allreduce(self._mpi.IN_PLACE, buffer, op=self._mpi.SUM)
        self.allreduce_seconds += time.perf_counter() - start
        self.allreduce_calls += 1
        if scattered:
            _scatter_gradients(buffer, variables, self._present)

    def should_stop(self, stop_training):
        """True on every rank when any rank's callbacks asked to stop (TerminateOnNaN may see a
        NaN loss on one rank's shard only): ranks must leave the loop at the same step."""
        self._stop[0] = bool(stop_training)
        self.comm.Allreduce(self._mpi.IN_PLACE, self._stop, op=self._mpi.MAX)
        return bool(self._stop[0])

    def empty_step(self, model, variables):
        """The training step of a rank whose shard of this global batch is empty (a last batch
        smaller than the number of ranks): it adds nothing but still takes the global step."""
        self._weight = 0.0
        self.reduce_gradients(model, variables)
        model.optimizer.apply([v.grad for v in variables], variables)
        return model.get_metrics_result()

    def _gradient_buffer(self, variables):
        """(flat buffer, whether it is a copy): the optimizer's flat gradient buffer when every
        gradient is a view into it in order, else a scratch buffer holding a copy."""
        grads = [v.grad for v in variables]
        cached = self._verified
        if cached is not None and len(cached[1]) == len(grads) and all(
                g is c for g, c in zip(grads, cached[1])):
            return cached[0], False
        base = _common_base(grads)
        if base is not None:
            self._verified = (base, grads)
            return base, False
        self._verified = None
        total = sum(v.data.size for v in variables)
        dtype = np.result_type(*[v.data.dtype for v in variables]) if variables else np.float32
        if self._scratch is None or self._scratch.size != total or self._scratch.dtype != dtype:
            self._scratch = np.empty(total, dtype)
        offset = 0
        for v, g in zip(variables, grads):
            stop = offset + v.data.size
            self._scratch[offset:stop] = 0 if g is None else g.ravel()
            offset = stop
        # A variable without a gradient on every rank stays without one (the optimizer skips
        # it), also on a rank that had no data to compute any gradient.
        self._present = np.array([g is not None for g in grads], np.int32)
        self.comm.Allreduce(self._mpi.IN_PLACE, self._present, op=self._mpi.MAX)
        return self._scratch, True

    # ----- end of an epoch or evaluation -------------------------------------------------------
    def average_logs(self, logs):
        """The logs of the whole global data, the same on every rank (so callbacks decide alike).

        As Keras does across replicas, the state variables of ``model.metrics`` (the loss
        tracker's total and count, each metric's sums and counts) are added up over ranks and
        the results computed from the sums: exact for every metric whose state is additive (all
        of Keras'). Other log entries are averaged, weighted by each rank's number of samples.
        Afterwards every rank's metrics hold the global state.
        """
        self._average_non_trainable()
        model = self.model
        state = _tracked_state(model)
        trackers = getattr(model, "_loss_trackers", None)
        count = getattr(trackers[0], "count", None) if trackers else None
        weight = float(count.data) if count is not None else self._epoch_samples
        gathered = self.comm.allgather((float(weight), dict(logs), state))
        merged = _weighted_average([(w, rank_logs) for w, rank_logs, _ in gathered])
        reference = gathered[0][2]
        if reference is not None and _layout(state) == _layout(reference):
            # ranks that never saw data have unresolved metrics (another layout): they add 0
            same = [s for _, _, s in gathered if _layout(s) == _layout(reference)]
            _set_tracked_state(model, _sum_states(same))
            if self.rank == 0:
                merged.update(model.get_metrics_result())
        return self.comm.bcast(merged if self.rank == 0 else None, root=0)

    def _average_non_trainable(self):
        """Average float state that each rank updated on its own data (BatchNorm statistics).

        Computed as rank 0's value plus the mean difference, so state that every rank holds
        identically (frozen weights) stays bit-exact.
        """
        arrays = [v.data for v in getattr(self.model, "non_trainable_weights", [])
                  if v.data.dtype.kind == "f" and v.data.size]
        for group in _by_dtype(arrays):
            own = _pack(group)
            first = own.copy()
            self.comm.Bcast(first, root=0)
            delta = own - first
            self.comm.Allreduce(self._mpi.IN_PLACE, delta, op=self._mpi.SUM)
            delta /= self.size
            first += delta
            _unpack(first, group)


class ShardedBatches:
    """A batch source (``ArrayBatches``, ``IterableBatches``) whose global batches are shared out:
    rank r gets rows [start_r, stop_r) of each one, the first ``n % size`` ranks one row more."""

    def __init__(self, batches, strategy):
        self.batches = batches
        self.strategy = strategy
        self._data_state = None

    def __len__(self):
        return len(self.batches)

    def __getattr__(self, name):
        if name in ("batches", "strategy", "_data_state"):
            raise AttributeError(name)
        return getattr(self.batches, name)

    def epoch(self):
        """This rank's shards of one pass.

        Two random streams: whatever the batch source draws (the shuffle, a generator's random
        rows) comes from a data stream that every rank shares, so all ranks cut the same global
        batches; what training draws (dropout) comes from a compute stream of each rank's own.
        Both start where rank 0's generator stands; the compute stream of rank r > 0 jumps
        ahead by r (independent dropout masks), and rank 0's continues as one process would.
        """
        strategy = self.strategy
        strategy._begin_epoch()
        first = self._data_state is None
        shared = backend.rng().bit_generator.state if first else self._data_state
        data_state = strategy.comm.bcast(shared if strategy.rank == 0 else None, root=0)
        batches = iter(self.batches.epoch())
        try:
            while True:
                generator = backend.rng().bit_generator
                compute_state, generator.state = generator.state, data_state
                try:
                    x, y, sample_weight = unpack(next(batches))
                except StopIteration:
                    return
                finally:
                    data_state = self._data_state = generator.state
                    generator.state = compute_state
                if first:
                    first = False
                    generator.state = data_state
                    if strategy.rank > 0 and hasattr(generator, "jumped"):
                        generator.state = generator.jumped(strategy.rank).state
                    strategy._ensure_built(x)
                n = len(flatten(x)[0])
                start, stop = shard_bounds(n, strategy.rank, strategy.size)
                strategy._weight = (stop - start) / n if n else 0.0
                strategy._epoch_samples += stop - start
                index = slice(start, stop)
                yield pack(take(x, index), take(y, index), take(sample_weight, index))
        finally:
            strategy._weight = None  # a batch fetched but not trained on must not count


def shard_bounds(n, rank, size):
    """Rows [start, stop) of a batch of ``n`` that belong to ``rank`` of ``size``."""
    base, extra = divmod(n, size)
    start = rank * base + min(rank, extra)
    return start, start + base + (1 if rank < extra else 0)


def _weighted_average(entries):
    """[(weight, logs)] -> logs: numbers averaged by weight; anything else taken from rank 0."""
    keys = list(entries[0][1])
    for _, logs in entries[1:]:
        keys += [k for k in logs if k not in keys]
    merged = {}
    for key in keys:
        pairs = [(w, logs[key]) for w, logs in entries if key in logs]
        numbers = [(w, float(x)) for w, x in pairs if w > 0 and _is_number(x)]
        total = sum(w for w, _ in numbers)
        merged[key] = sum(w * x for w, x in numbers) / total if total else pairs[0][1]
    return merged


def _tracked_state(model):
    """Every metric's state variables (the loss trackers first), copied; None if not all have
    state variables."""
    states = []
    for metric in getattr(model, "metrics", None) or []:
        variables = getattr(metric, "variables", None)
        if variables is None:
            return None
        states.append([np.array(getattr(v, "data", v), copy=True) for v in variables])
    return states


def _layout(state):
    if state is None:
        return None
    return tuple(tuple((a.shape, a.dtype.str) for a in metric) for metric in state)


def _sum_states(states):
    return [[sum(arrays) for arrays in zip(*metric)] for metric in zip(*states)]


def _set_tracked_state(model, state):
    for metric, values in zip(model.metrics, state):
        for variable, value in zip(metric.variables, values):
            getattr(variable, "data", variable)[...] = value


def _is_number(value):
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def _common_base(grads):
    """The 1-D array that holds every gradient back to back, in order, or None."""
    if not grads or grads[0] is None:
        return None
    base = grads[0].base
    if base is None or base.ndim != 1 or not base.flags.c_contiguous:
        return None
    address = base.__array_interface__["data"][0]
    offset = 0
    for g in grads:
        if g is None or g.base is not base or g.dtype != base.dtype:
            return None
        if g.__array_interface__["data"][0] != address + offset * base.itemsize:
            return None
        offset += g.size
    return base if offset == base.size else None


def _scatter_gradients(buffer, variables, present):
    offset = 0
    for v, keep in zip(variables, present):
        stop = offset + v.data.size
        reduced = buffer[offset:stop].reshape(v.data.shape)
        offset = stop
        if not keep:
            continue
        if v.grad is None or not v.grad.flags.writeable or v.grad.shape != v.data.shape:
            v.grad = reduced.astype(v.data.dtype, copy=True)
        else:
            np.copyto(v.grad, reduced, casting="unsafe")


def _by_dtype(arrays):
    groups = {}
    for a in arrays:
        if a.size:
            groups.setdefault(a.dtype, []).append(a)
    return list(groups.values())


def _total(group):
    return sum(a.size for a in group)


def _pack(group):
    return np.concatenate([a.ravel() for a in group])


def _unpack(buffer, group):
    offset = 0
    for a in group:
        a[...] = buffer[offset:offset + a.size].reshape(a.shape)
        offset += a.size
