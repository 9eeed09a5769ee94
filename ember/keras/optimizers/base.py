"""The ``Optimizer`` base class: Keras' bookkeeping (iterations, learning rate, clipping, weight
decay, EMA, gradient accumulation, constraints) over flat parameter buffers.

``build(variables)`` gathers the variables of each float dtype into one contiguous buffer
(``ember.FlatParameters``): each variable's ``.data`` and ``.grad`` become views into it and every
optimizer slot is one flat array, so a step is a handful of vectorized NumPy calls whatever the
number of layers. A subclass gives its slots and one update rule written on arrays:

    class MySGD(Optimizer):
        def _update(self, w, g, slots, c, tmp):
            np.multiply(g, c["lr"], out=tmp[0])
            w -= tmp[0]
"""

import re
import warnings

import numpy as np

from ...autograd.tensor import Tensor
from ...autograd.variable import Variable
from ...backend import default_float
from . import schedules as schedules_module
from ._flat import Group
from ._step import StepMixin


class LearningRate(float):
    """The current learning rate: a float that also answers ``.numpy()`` and ``.assign(v)``."""

    def __new__(cls, value, optimizer=None):
        obj = super().__new__(cls, value)
        obj._optimizer = optimizer
        return obj

    def numpy(self):
        return np.float32(self)

    def item(self):
        return float(self)

    def assign(self, value):
        self._optimizer.learning_rate = value


def _number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


# Keras' arguments that every optimizer's constructor takes and hands on to ``Optimizer``.
COMMON_ARGUMENTS = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "use_ema",
                    "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                    "gradient_accumulation_steps")


def common_arguments(arguments):
    """The common arguments out of a subclass constructor's ``locals()``."""
    return {key: arguments[key] for key in COMMON_ARGUMENTS}


class Optimizer(StepMixin):
    """Base optimizer; see the module docstring. Keras' common arguments:

    ``weight_decay`` (``w -= w * weight_decay * lr`` before each step), ``clipnorm`` (per
    variable), ``global_clipnorm``, ``clipvalue``, ``use_ema``/``ema_momentum``/
    ``ema_overwrite_frequency``, ``loss_scale_factor``, ``gradient_accumulation_steps``, ``name``.
    """

    _scratch_count = 1

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.",
                          stacklevel=3)
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        if name is None:
            from ..naming import to_snake_case, unique_name

            name = unique_name(to_snake_case(type(self).__name__))
        self.name = name
        self.weight_decay = weight_decay
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.use_ema = use_ema
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
            raise ValueError("`gradient_accumulation_steps` must be an integer >= 2. Received: "
                             f"gradient_accumulation_steps={gradient_accumulation_steps}")
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError("`ema_momentum` must be in the range [0, 1]. "
                                 f"Received: ema_momentum={ema_momentum}")
            if ema_overwrite_frequency and (not isinstance(ema_overwrite_frequency, int)
                                            or ema_overwrite_frequency < 1):
                raise ValueError("`ema_overwrite_frequency` must be an integer >= 1 or None. "
                                 f"Received: ema_overwrite_frequency={ema_overwrite_frequency}")
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                             f"set. Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                             f"global_clipnorm={global_clipnorm}")
        self.built = False
        self._update_threads = 1  # > 1 while a sharded training step applies gradients
        self._iterations = self._own_variable(np.zeros((), np.int64), "iteration")
        self._lr_variable = None
        self._learning_rate = None
        self._set_learning_rate(learning_rate, initial=True)
        self._exclude_ids, self._exclude_pattern = set(), None
        self._groups, self._trainable_variables, self._slot_variables = [], [], []

    # ----- state ---------------------------------------------------------------------------
    def _own_variable(self, value, name):
        v = Variable(value, trainable=False, name=name)
        v.path = f"{self.name}/{name}"
        return v

    @property
    def iterations(self):
        """The number of optimizer steps taken (an int64 variable, saved with the model)."""
        if self.gradient_accumulation_steps:
            return int(self._iterations.data) // self.gradient_accumulation_steps
        return self._iterations

    def _step_count(self):
        steps = int(self._iterations.data)
        return steps // self.gradient_accumulation_steps if self.gradient_accumulation_steps \
            else steps

    @property
    def variables(self):
        """Optimizer state in Keras' order: iteration, learning_rate (when a float), then per
        model variable its EMA average / gradient accumulator, then the slots interleaved per
        model variable (Adam: m0, v0, m1, v1, ...)."""
        head = [self._iterations] + ([self._lr_variable] if self._lr_variable is not None else [])
        return head + self._slot_variables

    def save_own_variables(self, store):
        for i, variable in enumerate(self.variables):
            store[str(i)] = np.array(variable.data, copy=True)

    def load_own_variables(self, store):
        variables = self.variables
        if len(store.keys()) != len(variables):
            warnings.warn(f"Skipping variable loading for optimizer '{self.name}', because it has "
                          f"{len(variables)} variables whereas the saved optimizer has "
                          f"{len(store.keys())} variables.", stacklevel=2)
            return
        for i, variable in enumerate(variables):
            variable.assign(np.asarray(store[str(i)]))

    # ----- learning rate -------------------------------------------------------------------
    def _set_learning_rate(self, value, initial=False):
        if isinstance(value, schedules_module.LearningRateSchedule) or (
                callable(value) and not _number(value)):
            self._learning_rate = value
            self._lr_variable = None
            return
        if not _number(value):
            raise ValueError("Argument `learning_rate` should be float, or an instance of "
                             "LearningRateSchedule, or a callable (that takes in the current "
                             "iteration value and returns the corresponding learning rate "
                             f"value). Received instead: learning_rate={value!r}")
        if isinstance(self._learning_rate, schedules_module.LearningRateSchedule):
            raise TypeError("This optimizer was created with a `LearningRateSchedule` object as "
                            "its `learning_rate` constructor argument, hence its learning rate "
                            "is not settable. If you need the learning rate to be settable, you "
                            "should instantiate the optimizer with a float `learning_rate` "
                            "argument.")
        if self._lr_variable is None:
            self._lr_variable = self._own_variable(np.zeros((), default_float()), "learning_rate")
        self._lr_variable.assign(np.asarray(value, self._lr_variable.dtype))
        self._learning_rate = self._lr_variable

    def _current_learning_rate(self):
        lr = self._learning_rate
        if lr is self._lr_variable:
            return float(lr.data)
        if isinstance(lr, schedules_module.LearningRateSchedule):
            return float(np.asarray(lr(int(self._iterations.data))))
        return float(np.asarray(lr()))

    @property
    def learning_rate(self):
        """The current learning rate (schedules are evaluated at the current step)."""
        return LearningRate(self._current_learning_rate(), self)

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(value, Tensor):
            value = float(value.data)
        self._set_learning_rate(value)

    lr = learning_rate

    # ----- weight decay exclusions -------------------------------------------------------
    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exclude variables (or those whose name contains one of ``var_names``) from weight
        decay. Must be called before the optimizer is built."""
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the "
                             "optimizer is built.")
        self._exclude_ids = {id(v) for v in var_list or ()}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _use_weight_decay(self, variable):
        if id(variable) in self._exclude_ids:
            return False
        pattern = self._exclude_pattern
        return not (pattern is not None and pattern.search(variable.name) is not None)

    # ----- building ------------------------------------------------------------------------
    def _slot_specs(self):
        """[(slot name, initial value)] in Keras' order; the subclass' state per variable."""
        return []

    def build(self, variables):
        """Create the optimizer state for ``variables`` and flatten them (one buffer per dtype)."""
        if self.built:
            return
        variables = list(variables)
        for v in variables:
            if not isinstance(v, Tensor) or v.data.dtype.kind != "f":
                raise ValueError(f"Optimizer '{self.name}' can only update float variables. "
                                 f"Received: {v!r}")
        self._trainable_variables = variables
        self._location = {}
        by_dtype = {}
        for i, v in enumerate(variables):
            by_dtype.setdefault(v.data.dtype, []).append(i)
        extra = [("average", 0.0)] if self.use_ema else []
        if self.gradient_accumulation_steps:
            extra.append(("gradient_accumulator", 0.0))
        specs = extra + self._slot_specs()
        use_decay = [self._use_weight_decay(v) for v in variables]
        self._groups = []
        for indices in by_dtype.values():
            members = [variables[i] for i in indices]
            group = Group(members, indices, specs, self._scratch_count,
                          [use_decay[i] for i in indices])
            for local, i in enumerate(indices):
                self._location[id(variables[i])] = (len(self._groups), local)
            self._groups.append(group)
        self._slot_variables = []
        for names in ([n for n, _ in extra], [n for n, _ in self._slot_specs()]):
            for v in variables:
                gi, local = self._location[id(v)]
                for name in names:
                    slot = self._own_variable(np.zeros((), v.dtype), f"{_var_key(v)}_{name}")
                    slot.data = self._groups[gi].slot_view(name, local)
                    self._slot_variables.append(slot)
        self._slot_variables.extend(self._extra_variables())
        self.built = True

    def _extra_variables(self):
        """Scalar state a subclass appends after the slots (Nadam's u_product)."""
        return []

    @property
    def flat_parameters(self):
        """The flat buffers, one per dtype (a single ``FlatParameters`` in the usual case)."""
        flats = [group.flat for group in self._groups]
        return flats[0] if len(flats) == 1 else flats

    def _step_constants(self, step, lr):
        """Per-step scalars for the update rule (computed once per step)."""
        return {"lr": lr}

    def _update(self, w, g, slots, c, tmp):
        raise NotImplementedError(f"{type(self).__name__} must define _update")

    def scale_loss(self, loss):
        return loss * self.loss_scale_factor if self.loss_scale_factor is not None else loss

    # ----- config ----------------------------------------------------------------------------
    def get_config(self):
        lr = self._learning_rate
        if lr is self._lr_variable:
            learning_rate = float(lr.data)
        elif isinstance(lr, schedules_module.LearningRateSchedule):
            learning_rate = schedules_module.serialize(lr)
        else:
            learning_rate = {"module": getattr(lr, "__module__", None), "class_name": "function",
                             "config": getattr(lr, "__name__", str(lr)),
                             "registered_name": getattr(lr, "__name__", None)}
        return {"name": self.name, "learning_rate": learning_rate,
                "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
                "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
                "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
                "ema_overwrite_frequency": self.ema_overwrite_frequency,
                "loss_scale_factor": self.loss_scale_factor,
                "gradient_accumulation_steps": self.gradient_accumulation_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules_module.deserialize(config["learning_rate"],
                                                                   custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} learning_rate={self.learning_rate:.6g}>"


def _var_key(variable):
    return str(getattr(variable, "path", None) or getattr(variable, "name", "variable")) \
        .replace("/", "_").replace(":", "_")
