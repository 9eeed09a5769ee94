"""Training a batch as one shard per thread: data parallelism inside the process.

Each of ember's threads (``ember.parallel``) runs the forward and backward pass of its shard of
the batch. NumPy releases the GIL inside its kernels, so the shards' ops run on all cores at
once, the memory-bound ones too (activations, pooling, normalization, softmax), which a
multi-threaded BLAS leaves on one core; and each thread's matrix products run on one BLAS
thread, so no BLAS thread spins between them. The caller's thread trains the first shard into
the model's own gradient buffer; every other shard's gradients go to a private buffer of the
same layout, added in before the optimizer step. Two hand-offs per step, whatever the model.

Why this equals one pass over the whole batch: the compiled losses are means over the batch
(Keras' "sum_over_batch_size"), so with shards of n_s of the n samples,
``loss = sum_s (n_s / n) * loss_s``; each shard's backward starts from ``n_s / n`` instead of 1,
so the gradients add up to the whole batch's. Regularization terms, part of every shard's
loss, count once since the weights sum to 1. Only the order of floating-point additions
differs from an unsharded step; for a given thread count, results are bitwise reproducible.
Dropout in a worker shard draws from a generator seeded from ember's generator at each step,
so a fixed seed gives the same masks run after run.

Evaluation and prediction shard the forward pass alone (``infer``): each sample's outputs
depend on that sample only, so they are exactly those of one call.

Which models (``shard_plan``): Sequential and functional models built from ember's own layers,
not with BatchNormalization (its statistics would become per-shard statistics), Lambda layers,
layers holding their own seeded generator, stateful RNNs or activity regularizers; trained by
the built-in ``train_step`` and ``compute_loss`` with "sum_over_batch_size" losses
(``can_train``); and only for batches with enough memory-bound work to gain from it
(``MIN_SHARD_ACTIVATIONS``). The first training step always runs unsharded: it builds the
model and the optimizer, and shows whether layers add losses.
"""

import contextlib

import numpy as np

from ... import backend, parallel
from ...autograd.backward import run_backward
from ...autograd.grad_mode import no_grad
from ...autograd.tensor import Tensor
from ..keras_tensor import flatten, map_structure
from ..layers.base import _layers_with_losses
from ..ops import convert_to_numpy
from .data_adapter import take

# Sharding pays for the memory-bound work around the matrix products (BLAS already runs those
# on every core): a batch whose layer outputs hold fewer values than this trains unsharded.
# Measured on 2 cores: mnist_cnn (4.7M values per batch of 128) trains 1.4x faster sharded,
# the 784-512-512-10 MLP (0.26M) 1.3x slower: its large products lose more (half the rows per
# product, ~0.15 ms of hand-offs) than its few activations gain.
MIN_SHARD_ACTIVATIONS = 2**20

_UNSHARDABLE_LAYERS = ("BatchNormalization", "Lambda")


def shard_plan(model):
    """A ``ShardedStep`` for ``model``, or None when its batches must run in one piece."""
    threads = parallel.get_num_threads()
    if threads < 2 or model.distribute is not None or not model.built:
        return None
    from .functional import Functional
    from .sequential import Sequential

    containers = (Sequential, Functional)
    if type(model) not in containers:
        return None
    # every layer at every depth: wrapped layers and sub-layers of ember's layers too
    if not all(_shardable_layer(layer) for layer in model._flatten_layers(include_self=False)):
        return None
    return ShardedStep(model, threads, _leaf_layers(model, containers))


def _leaf_layers(model, containers):
    """The layers whose outputs ``bounds`` counts: those of ``model``, nested Sequential and
    functional models opened up."""
    leaves, stack = [], list(model.layers)
    while stack:
        layer = stack.pop()
        if type(layer) in containers:
            stack.extend(layer.layers)
        else:
            leaves.append(layer)
    return leaves


def _shardable_layer(layer):
    cls = type(layer)
    return (cls.__module__.startswith("ember.") and cls.__name__ not in _UNSHARDABLE_LAYERS
            and getattr(layer, "_generator", None) is None
            and getattr(layer, "activity_regularizer", None) is None
            and not getattr(layer, "stateful", False))


def _output_values(layer, steps):
    """How many values a layer outputs per sample; an axis unknown when the model was built (a
    sequence's length) counts ``steps`` long."""
    if layer._inbound_nodes:  # the symbolic graph's shapes
        shapes = [tuple(t.shape) for t in layer._inbound_nodes[0].output_tensors]
    else:  # a model built by its first call: the shapes it saw
        shapes = _shapes(layer._output_shape_cache)
    return sum(int(np.prod([steps if d is None else d for d in shape[1:]])) for shape in shapes)


def _shapes(structure):
    """The shapes (tuples of ints and None) in a nested structure of them."""
    if isinstance(structure, tuple) and structure and \
            all(d is None or isinstance(d, int) for d in structure):
        return [structure]
    if isinstance(structure, dict):
        structure = list(structure.values())
    if isinstance(structure, (list, tuple)):
        return [shape for item in structure for shape in _shapes(item)]
    return []


class ShardedStep:
    """Run batches of a model as ``threads`` shards (see the module docstring): ``train`` for
    ``train_step``, ``infer`` for the forward pass of ``test_step`` and ``predict_step``."""

    def __init__(self, model, threads, layers):
        self.model, self.threads, self.layers = model, threads, layers
        self._bounds = {}  # the shards of a batch, by the shape of its (first) input
        self._trainable = None  # decided once the optimizer is built

    def can_train(self):
        """Whether ``train`` equals the built-in step: the built-in ``compute_loss``, losses
        averaged over the batch, outputs without Keras masks (a masked loss averages over the
        valid entries, which shards hold in unequal numbers), no layer adding losses, and a
        built optimizer: all known after the first (unsharded) step."""
        if self._trainable is None:
            model = self.model
            if model.optimizer is None or not getattr(model.optimizer, "built", False) \
                    or model._masked_outputs is None:
                return False  # the first step builds it, in one piece
            from .trainer import Trainer

            losses = [loss for loss in model._compile_loss.losses if loss is not None]
            self._trainable = (
                type(model).compute_loss is Trainer.compute_loss and not _layers_with_losses
                and not model._masked_outputs
                and all(getattr(loss, "reduction", None) == "sum_over_batch_size"
                        for loss in losses))
            if self._trainable:
                self._gradient_buffers()
        return self._trainable

    def _gradient_buffers(self):
        """One private gradient buffer per worker thread, laid out as the optimizer's."""
        self.variables, self.regularized = self.model._prepare_step()
        self.groups = groups = self.model.optimizer._groups
        self.buffers = [[np.zeros_like(group.grad) for group in groups]
                        for _ in range(self.threads - 1)]
        self.targets = []
        for buffers in self.buffers:
            into = {}
            for group, buffer in zip(groups, buffers):
                for index, variable in enumerate(group.variables):
                    into[variable] = group.flat.view(buffer, index)
            self.targets.append(into)

    def bounds(self, x):
        """The shards' (start, stop) rows for the batch ``x``, or None: train it in one piece."""
        shape = (x if type(x) is np.ndarray else flatten(x)[0]).shape
        try:
            return self._bounds[shape]
        except KeyError:
            pass
        n, sample_shape = shape[0], shape[1:]
        steps = sample_shape[0] if sample_shape else 1
        values = sum(_output_values(layer, steps) for layer in self.layers)
        parts = min(self.threads, n)
        bounds = None
        if values * n >= MIN_SHARD_ACTIVATIONS and parts > 1:
            bounds = parallel.split(n, parts)
        self._bounds[shape] = bounds
        return bounds

    def train(self, x, y, sample_weight, bounds):
        """One optimization step on the batch; returns the logs, as ``train_step`` does."""
        # BLAS calls of this thread between the shards (the optimizer's global norm is a dot
        # product) stay on one thread too: OpenBLAS's workers would spin into the next step
        with parallel.single_threaded_blas():
            return self._train(x, y, sample_weight, bounds)

    def _train(self, x, y, sample_weight, bounds):
        model = self.model
        n = bounds[-1][1]
        seeds = backend.rng().integers(0, 2**63, size=len(bounds) - 1)
        results = [None] * len(bounds)

        def shard(i):
            start, stop = bounds[i]
            rows = slice(start, stop)
            # the caller's shard draws from ember's generator, the others from their own
            generator = (backend.using_generator(np.random.default_rng(seeds[i - 1])) if i
                         else contextlib.nullcontext())
            with generator:
                results[i] = self._pass(take(x, rows), take(y, rows), take(sample_weight, rows),
                                        (stop - start) / n, self.targets[i - 1] if i else None)

        try:
            parallel.run([lambda i=i: shard(i) for i in range(len(bounds))])
        except BaseException:  # an error or Ctrl-C mid-step: drop its partial gradients
            for group in self.groups:
                group.grad.fill(0)
            for buffers in self.buffers:
                for buffer in buffers:
                    buffer.fill(0)
            raise
        for buffers in self.buffers[:len(bounds) - 1]:
            for group, buffer in zip(self.groups, buffers):
                group.grad += buffer
                buffer.fill(0)
        optimizer = model.optimizer
        if type(optimizer).__module__.startswith("ember."):  # elementwise update rules
            optimizer._update_threads = self.threads
        try:
            optimizer.apply([v.grad for v in self.variables], self.variables)
        finally:
            optimizer._update_threads = 1
        self._track_loss(results, n)
        y_pred = _concatenate([outputs for outputs, _, _ in results])
        return model.compute_metrics(x, y, y_pred, sample_weight)

    def infer(self, x, bounds):
        """The model's outputs on ``x`` with ``training=False``, one shard per thread, joined:
        the same values as one call (each sample's outputs depend on that sample alone)."""
        with parallel.single_threaded_blas():
            return self._infer(x, bounds)

    def _infer(self, x, bounds):
        results = [None] * len(bounds)

        def shard(i):
            with no_grad():
                results[i] = self.model(take(x, slice(*bounds[i])), training=False)

        parallel.run([lambda i=i: shard(i) for i in range(len(bounds))])
        return _concatenate(results)

    def _pass(self, x, y, sample_weight, weight, into):
        """Forward and backward of one shard, its gradients scaled by its share ``weight``."""
        model = self.model
        y_pred = model(x, training=True)
        total, parts = model._compile_loss(y, y_pred, sample_weight)
        for variable, regularizer in self.regularized:
            total = total + regularizer(variable)
        run_backward(total, np.full(total.data.shape, weight, total.data.dtype), into=into)
        outputs = map_structure(lambda t: t.data if isinstance(t, Tensor) else t, y_pred)
        values = [None if p is None else float(p.data) * weight for p in parts]
        return outputs, float(total.data) * weight, values

    def _track_loss(self, results, n):
        trackers = self.model._loss_trackers
        trackers[0].update_state(sum(total for _, total, _ in results), sample_weight=n)
        for k, tracker in enumerate(trackers[1:]):
            shares = [values[k] for _, _, values in results]
            if shares[0] is not None:
                tracker.update_state(sum(shares), sample_weight=n)


def _concatenate(shard_outputs):
    """The shards' output structures (tensors or arrays) joined along the batch axis, as
    tensors carrying the joined Keras masks where the shards' outputs had masks."""
    joined = []
    for parts in zip(*[flatten(outputs) for outputs in shard_outputs]):
        tensor = Tensor(np.concatenate([convert_to_numpy(part) for part in parts]))
        masks = [getattr(part, "_keras_mask", None) for part in parts]
        if masks[0] is not None:
            tensor._keras_mask = np.concatenate([convert_to_numpy(mask) for mask in masks])
        joined.append(tensor)
    joined = iter(joined)
    return map_structure(lambda _: next(joined), shard_outputs[0])

