"""Applying gradients: put them into the flat buffers, then loss scaling, gradient
accumulation, clipping, weight decay, the update rule and the moving average, each a few
vectorized calls per dtype group (or per run of variables when some gradients are missing)."""

import warnings

import numpy as np

from ... import parallel
from ...autograd.tensor import Tensor

# a step updating fewer values than this stays on one thread (a hand-off costs ~0.1 ms)
PARALLEL_UPDATE_SIZE = 2**18


class StepMixin:
    """The ``apply`` half of ``Optimizer`` (see ``base.py`` for state, building and config)."""

    # ----- applying gradients --------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """``apply`` for a list of (gradient, variable) pairs; returns ``iterations``."""
        grads, variables = zip(*grads_and_vars)
        self.apply(list(grads), list(variables))
        return self._iterations

    def apply(self, grads, trainable_variables=None, variables=None):
        """Update ``trainable_variables`` (built on the first call) with ``grads``.

        A gradient that *is* the variable's own ``.grad`` (a view into the flat buffer) is used
        in place; any other array or tensor is copied in. The flat gradient buffer is zeroed
        after the step, so each step's gradients are fresh.
        """
        if variables is not None:
            trainable_variables = variables
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must "
                                 "already be built on a list of variables. Call "
                                 "`optimizer.build(trainable_variables)` first.")
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if not self.built:
                self.build(trainable_variables)
        if len(grads) != len(trainable_variables):
            raise ValueError(f"Optimizer '{self.name}': received {len(grads)} gradients for "
                             f"{len(trainable_variables)} variables.")
        regions = self._stage(grads, trainable_variables)
        self._step(regions)
        for v in trainable_variables:
            if v.constraint is not None:
                v.assign(v.constraint(v))
        self._iterations.data += 1
        for region in regions:
            region.g.fill(0)

    def _stage(self, grads, variables):
        """Put the gradients into the flat buffers; return the regions to update."""
        location = self._location
        seen = [[] for _ in self._groups]
        missing = []
        for g, v in zip(grads, variables):
            key = id(v)
            if key not in location:
                raise ValueError(f"Unknown variable: {v!r}. This optimizer can only be called for "
                                 "the variables it was originally built with. When working with "
                                 "a new set of variables, you should recreate a new optimizer "
                                 "instance.")
            gi, local = location[key]
            group = self._groups[gi]
            gview = group.grad_views[local]
            if v.data is not group.data_views[local] or (v.grad is not gview and g is not gview):
                group.restore_views(local)
            if g is None:
                missing.append(v.name)
                continue
            if g is not gview:
                gview[...] = g.data if isinstance(g, Tensor) else g
            seen[gi].append(local)
        if missing:
            if len(missing) == len(variables):
                raise ValueError("No gradients provided for any variable.")
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the "
                          "loss. If using `model.compile()`, did you forget to provide a `loss` "
                          "argument?", stacklevel=3)
        regions = []
        for group, locals_ in zip(self._groups, seen):
            if len(locals_) == len(group.variables):
                regions.append(group.whole)
            elif locals_:
                regions.extend(group.regions(sorted(locals_)))
        return regions

    def _step(self, regions):
        lr = self._current_learning_rate()
        if self.loss_scale_factor is not None:
            for r in regions:
                r.g *= 1.0 / self.loss_scale_factor
        steps = self.gradient_accumulation_steps
        update = True
        if steps:
            update = (int(self._iterations.data) + 1) % steps == 0
            for r in regions:
                acc = r.slots["gradient_accumulator"]
                if update:
                    r.g += acc
                    r.g *= 1.0 / steps
                    acc.fill(0)
                else:
                    acc += r.g
        if update:
            self._clip(regions)
            constants = self._step_constants(self._step_count() + 1, lr)
            decay = self.weight_decay * lr if self.weight_decay else None

            def update(pieces):
                for r in pieces:
                    if decay:
                        r.apply_weight_decay(decay)
                    self._update(r.w, r.g, r.slots, constants, r.tmp)

            threads = self._update_threads
            if threads > 1 and sum(r.w.size for r in regions) >= PARALLEL_UPDATE_SIZE:
                # elementwise rules: each thread updates its piece of every region
                pieces = [r.parts(threads) for r in regions]
                parallel.run([lambda k=k: update([p[k] for p in pieces if k < len(p)])
                              for k in range(threads)])
            else:
                update(regions)
        if self.use_ema:
            self._update_ema()

    def _clip(self, regions):
        if self.clipnorm and self.clipnorm > 0:
            for r in regions:
                r.clip_each_norm(self.clipnorm)
        elif self.global_clipnorm and self.global_clipnorm > 0:
            norm = float(np.sqrt(sum(float(np.dot(r.g, r.g)) for r in regions)))
            clip = self.global_clipnorm
            scale = clip * min(1.0 / norm, 1.0 / clip) if norm else 1.0
            if not np.isfinite(norm):
                scale = float("nan")
            if scale != 1.0:
                for r in regions:
                    r.g *= scale
        elif self.clipvalue and self.clipvalue > 0:
            for r in regions:
                np.clip(r.g, -self.clipvalue, self.clipvalue, out=r.g)

    def _update_ema(self):
        step = self._step_count()
        momentum = self.ema_momentum if step != 0 else 0.0
        overwrite = bool(self.ema_overwrite_frequency) and \
            (step + 1) % self.ema_overwrite_frequency == 0
        for group in self._groups:
            r = group.whole
            average, t = r.slots["average"], r.tmp[0]
            if momentum == 0.0:
                average[...] = r.w
            else:
                average *= momentum
                np.multiply(r.w, 1.0 - momentum, out=t)
                average += t
            if overwrite:
                r.w[...] = average

    def finalize_variable_values(self, var_list=None):
        """With ``use_ema``, set the model variables to their moving averages (end of fit)."""
        if self.use_ema and self.built:
            for group in self._groups:
                group.whole.w[...] = group.whole.slots["average"]
