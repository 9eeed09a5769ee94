"""Every optimizer, 20 steps on a fixed quadratic and a small MLP, against NumPy implementations
of Keras' written update rules (per variable, float64), and against torch.optim where the rule
is the same."""

import numpy as np
import pytest

import ember
from ember.keras import optimizers

STEPS = 20
DEFAULTS = {
    "SGD": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    "RMSprop": {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7,
                "centered": False},
    "Adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
    "Adadelta": {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7},
    "Adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
             "amsgrad": False},
    "AdamW": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
              "amsgrad": False, "weight_decay": 0.004},
    "Adamax": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    "Nadam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    "Lion": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.99},
}


# ----- the written rules, one variable at a time ----------------------------------------------


def _slot(state, key, like, value=0.0):
    return state.setdefault(key, np.full_like(like, value))


def rule(name, c, i, w, g, state, t, lr):
    """Keras' update_step for optimizer ``name`` on variable ``i`` (in place)."""
    s = state.setdefault(i, {})
    if name == "SGD":
        if c["momentum"] == 0:
            w -= lr * g
            return
        m = _slot(s, "m", w)
        m[...] = c["momentum"] * m - lr * g
        if c["nesterov"]:
            w += c["momentum"] * m - lr * g
        else:
            w += m
    elif name == "RMSprop":
        v = _slot(s, "v", w)
        v[...] = c["rho"] * v + (1 - c["rho"]) * g * g
        if c["centered"]:
            a = _slot(s, "a", w)
            a[...] = c["rho"] * a + (1 - c["rho"]) * g
            denominator = v - a * a + c["epsilon"]
        else:
            denominator = v + c["epsilon"]
        increment = lr * g / np.sqrt(denominator)
        if c["momentum"] > 0:
            m = _slot(s, "m", w)
            m[...] = c["momentum"] * m + increment
            w -= m
        else:
            w -= increment
    elif name == "Adagrad":
        a = _slot(s, "a", w, c["initial_accumulator_value"])
        a += g * g
        w -= lr * g / np.sqrt(a + c["epsilon"])
    elif name == "Adadelta":
        a, u, eps = _slot(s, "a", w), _slot(s, "u", w), c["epsilon"]
        a[...] = c["rho"] * a + (1 - c["rho"]) * g * g
        delta = -np.sqrt(u + eps) * g / np.sqrt(a + eps)
        u[...] = c["rho"] * u + (1 - c["rho"]) * delta * delta
        w += lr * delta
    elif name in ("Adam", "AdamW"):
        m, v = _slot(s, "m", w), _slot(s, "v", w)
        m += (g - m) * (1 - c["beta_1"])
        v += (g * g - v) * (1 - c["beta_2"])
        if c["amsgrad"]:
            vh = _slot(s, "vh", w)
            vh[...] = np.maximum(vh, v)
            v = vh
        alpha = lr * np.sqrt(1 - c["beta_2"] ** t) / (1 - c["beta_1"] ** t)
        w -= alpha * m / (np.sqrt(v) + c["epsilon"])
    elif name == "Adamax":
        m, u = _slot(s, "m", w), _slot(s, "u", w)
        m += (g - m) * (1 - c["beta_1"])
        u[...] = np.maximum(c["beta_2"] * u, np.abs(g))
        w -= lr * m / ((1 - c["beta_1"] ** t) * (u + c["epsilon"]))
    elif name == "Nadam":
        b1, b2 = c["beta_1"], c["beta_2"]
        u_t = b1 * (1 - 0.5 * 0.96 ** t)
        u_t1 = b1 * (1 - 0.5 * 0.96 ** (t + 1))
        u_prod = state["u_product"]  # already multiplied by u_t for this step
        m, v = _slot(s, "m", w), _slot(s, "v", w)
        m += (g - m) * (1 - b1)
        v += (g * g - v) * (1 - b2)
        m_hat = u_t1 * m / (1 - u_prod * u_t1) + (1 - u_t) * g / (1 - u_prod)
        v_hat = v / (1 - b2 ** t)
        w -= lr * m_hat / (np.sqrt(v_hat) + c["epsilon"])
    elif name == "Lion":
        m = _slot(s, "m", w)
        w -= lr * np.sign(m * c["beta_1"] + g * (1 - c["beta_1"]))
        m[...] = m * c["beta_2"] + g * (1 - c["beta_2"])


def reference_run(name, config, params, grad_fn, steps=STEPS, decays=None):
    """Run Keras' base-optimizer bookkeeping plus ``rule`` for ``steps`` steps."""
    c = {**DEFAULTS[name], **config}
    lr = float(np.float32(c["learning_rate"]))  # Keras keeps the learning rate in float32
    params = [p.copy() for p in params]
    state, accumulators, averages = {"u_product": 1.0}, None, None
    k = c.get("gradient_accumulation_steps")
    for it in range(steps):
        grads = [np.array(g, np.float64) for g in grad_fn(params)]
        if c.get("loss_scale_factor"):
            grads = [g / c["loss_scale_factor"] for g in grads]
        update, local = True, it
        if k:
            local = it // k
            accumulators = accumulators or [np.zeros_like(p) for p in params]
            update = (it + 1) % k == 0
            if update:
                grads = [(g + a) / k for g, a in zip(grads, accumulators)]
                accumulators = None
            else:
                accumulators = [a + g for a, g in zip(accumulators, grads)]
        if update:
            if c.get("clipnorm"):
                grads = [g * c["clipnorm"] / max(np.linalg.norm(g), c["clipnorm"])
                         for g in grads]
            elif c.get("global_clipnorm"):
                norm = np.sqrt(sum(np.sum(g * g) for g in grads))
                grads = [g * min(1.0, c["global_clipnorm"] / norm) for g in grads]
            elif c.get("clipvalue"):
                grads = [np.clip(g, -c["clipvalue"], c["clipvalue"]) for g in grads]
            if c.get("weight_decay"):
                for i, p in enumerate(params):
                    if decays is None or decays[i]:
                        p -= p * c["weight_decay"] * lr
            if name == "Nadam":
                state["u_product"] *= c["beta_1"] * (1 - 0.5 * 0.96 ** (local + 1))
            for i, (p, g) in enumerate(zip(params, grads)):
                rule(name, c, i, p, g, state, local + 1, lr)
        if c.get("use_ema"):
            momentum = c.get("ema_momentum", 0.99) if local != 0 else 0.0
            averages = averages or [np.zeros_like(p) for p in params]
            averages = [momentum * a + (1 - momentum) * p for a, p in zip(averages, params)]
            freq = c.get("ema_overwrite_frequency")
            if freq and (local + 1) % freq == 0:
                for p, a in zip(params, averages):
                    p[...] = a
    return params


# ----- two problems ------------------------------------------------------------------------------


def quadratic_problem():
    gen = np.random.default_rng(3)
    shapes = [(3, 4), (4,), (2,)]
    params = [gen.standard_normal(s) for s in shapes]
    scales = [gen.uniform(0.5, 2.0, s) for s in shapes]
    targets = [gen.standard_normal(s) for s in shapes]

    def numpy_grads(ps):
        return [2 * c * (p - t) for p, c, t in zip(ps, scales, targets)]

    def ember_loss(vs):
        terms = [ember.sum(ember.tensor(c) * (v - ember.tensor(t)) ** 2)
                 for v, c, t in zip(vs, scales, targets)]
        return terms[0] + terms[1] + terms[2]

    return params, numpy_grads, ember_loss


def mlp_problem():
    gen = np.random.default_rng(4)
    x, y = gen.standard_normal((16, 4)), gen.standard_normal((16, 2))
    params = [gen.standard_normal((4, 8)) * 0.5, np.zeros(8), gen.standard_normal((8, 2)) * 0.5,
              np.zeros(2)]

    def numpy_grads(ps):
        w1, b1, w2, b2 = ps
        h = np.tanh(x @ w1 + b1)
        d_out = 2 * (h @ w2 + b2 - y) / y.size
        dh = d_out @ w2.T * (1 - h * h)
        return [x.T @ dh, dh.sum(0), h.T @ d_out, d_out.sum(0)]

    def ember_loss(vs):
        w1, b1, w2, b2 = vs
        out = ember.tanh(ember.tensor(x) @ w1 + b1) @ w2 + b2
        return ember.mean((out - ember.tensor(y)) ** 2)

    return params, numpy_grads, ember_loss


def assert_same_steps(variables, expected, initial, name=""):
    """The distance travelled by each variable agrees to 1e-6 (relative)."""
    for v, e, p in zip(variables, expected, initial):
        np.testing.assert_allclose(v.numpy() - p, e - p, rtol=1e-6, atol=1e-12, err_msg=name)


def ember_run(optimizer, params, ember_loss, steps=STEPS):
    variables = [ember.Variable(p.copy(), name=f"v{i}") for i, p in enumerate(params)]
    for _ in range(steps):
        ember_loss(variables).backward()
        optimizer.apply([v.grad for v in variables], variables)
    return variables


BASE_CASES = [
    ("SGD", {}), ("SGD", {"momentum": 0.9}), ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("RMSprop", {}), ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("Adagrad", {}), ("Adadelta", {"learning_rate": 1.0}),
    ("Adam", {}), ("Adam", {"amsgrad": True}), ("AdamW", {}), ("Adamax", {}), ("Nadam", {}),
    ("Lion", {}),
    # large epsilons make its place in each formula visible
    ("RMSprop", {"epsilon": 0.05}), ("Adagrad", {"epsilon": 0.05}),
    ("Adadelta", {"epsilon": 0.05}), ("Adam", {"epsilon": 0.05}), ("Adamax", {"epsilon": 0.05}),
    ("Nadam", {"epsilon": 0.05}),
]
OPTION_CASES = [
    ("Adam", {"clipnorm": 0.1}), ("SGD", {"momentum": 0.9, "global_clipnorm": 0.05}),
    ("RMSprop", {"clipvalue": 0.01}), ("Adam", {"weight_decay": 0.1}),
    ("SGD", {"use_ema": True, "ema_overwrite_frequency": 3}),
    ("Adam", {"gradient_accumulation_steps": 3}), ("SGD", {"loss_scale_factor": 4.0}),
    ("Lion", {"weight_decay": 0.5, "learning_rate": 0.01}),
    ("Nadam", {"gradient_accumulation_steps": 2, "clipnorm": 0.5}),
]


@pytest.mark.parametrize("problem", [quadratic_problem, mlp_problem], ids=["quadratic", "mlp"])
@pytest.mark.parametrize("name,config", BASE_CASES + OPTION_CASES,
                         ids=[f"{n}-{'-'.join(c) or 'defaults'}" for n, c in
                              BASE_CASES + OPTION_CASES])
def test_matches_the_written_rule(name, config, problem):
    params, numpy_grads, ember_loss = problem()
    optimizer = getattr(optimizers, name)(**config)
    variables = ember_run(optimizer, params, ember_loss)
    expected = reference_run(name, config, params, numpy_grads)
    assert_same_steps(variables, expected, params, name)
    assert int(optimizer._iterations.numpy()) == STEPS


def test_gradients_given_as_separate_arrays_and_tensors_are_copied_in():
    params, numpy_grads, _ = quadratic_problem()
    variables = [ember.Variable(p.copy()) for p in params]
    optimizer = optimizers.Adam(learning_rate=0.01)
    for step in range(STEPS):
        grads = numpy_grads([v.numpy() for v in variables])
        if step % 2:
            grads = [ember.tensor(g) for g in grads]
        optimizer.apply(grads, variables)
    expected = reference_run("Adam", {"learning_rate": 0.01}, params, numpy_grads)
    assert_same_steps(variables, expected, params)


def test_mixed_dtypes_use_one_flat_group_per_dtype():
    params, numpy_grads, _ = quadratic_problem()
    variables = [ember.Variable(p.astype(dt)) for p, dt in
                 zip(params, ["float64", "float32", "float64"])]
    optimizer = optimizers.RMSprop(learning_rate=0.01)
    for _ in range(STEPS):
        optimizer.apply(numpy_grads([v.numpy().astype(np.float64) for v in variables]),
                        variables)
    assert len(optimizer._groups) == 2
    reference = [p.astype(dt).astype(np.float64) for p, dt in
                 zip(params, ["float64", "float32", "float64"])]
    expected = reference_run("RMSprop", {"learning_rate": 0.01}, reference, numpy_grads)
    for v, e in zip(variables, expected):
        np.testing.assert_allclose(v.numpy(), e, rtol=1e-4, atol=1e-6)
    assert variables[1].dtype == np.float32


def test_weight_decay_exclusions_follow_names():
    params, numpy_grads, ember_loss = mlp_problem()
    optimizer = optimizers.AdamW(learning_rate=0.01, weight_decay=0.1)
    optimizer.exclude_from_weight_decay(var_names=["v1", "v3"])  # the biases
    variables = ember_run(optimizer, params, ember_loss)
    expected = reference_run("AdamW", {"learning_rate": 0.01, "weight_decay": 0.1}, params,
                             numpy_grads, decays=[True, False, True, False])
    assert_same_steps(variables, expected, params)


def test_schedule_is_evaluated_at_each_step():
    params, numpy_grads, ember_loss = quadratic_problem()
    schedule = optimizers.schedules.ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5)
    variables = ember_run(optimizers.SGD(learning_rate=schedule), params, ember_loss)
    expected = [p.copy() for p in params]
    for step in range(STEPS):
        lr = 0.1 * 0.5 ** (step / 4)
        for p, g in zip(expected, numpy_grads(expected)):
            p -= lr * g
    assert_same_steps(variables, expected, params)


# ----- torch.optim, where the rule is the same (tiny epsilons where Keras puts it elsewhere) --

TORCH_CASES = [
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9}, "SGD", {"lr": 0.05, "momentum": 0.9}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}, "SGD",
     {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("Adagrad", {"learning_rate": 0.05, "epsilon": 1e-20}, "Adagrad",
     {"lr": 0.05, "initial_accumulator_value": 0.1, "eps": 1e-10}),
    ("RMSprop", {"learning_rate": 0.01, "epsilon": 1e-20}, "RMSprop",
     {"lr": 0.01, "alpha": 0.9, "eps": 1e-10}),
    ("RMSprop", {"learning_rate": 0.01, "momentum": 0.5, "centered": True, "epsilon": 1e-20},
     "RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True, "eps": 1e-10}),
    ("Adadelta", {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6}, "Adadelta",
     {"lr": 1.0, "rho": 0.9, "eps": 1e-6}),
    ("Adam", {"learning_rate": 0.01, "epsilon": 1e-12}, "Adam", {"lr": 0.01, "eps": 1e-12}),
    ("AdamW", {"learning_rate": 0.01, "epsilon": 1e-12}, "AdamW",
     {"lr": 0.01, "eps": 1e-12, "weight_decay": 0.004}),
    ("Adamax", {"learning_rate": 0.01, "epsilon": 1e-12}, "Adamax",
     {"lr": 0.01, "eps": 1e-12}),
]


@pytest.mark.parametrize("name,config,torch_name,torch_config", TORCH_CASES,
                         ids=[f"{c[0]}-{'-'.join(c[1])}" for c in TORCH_CASES])
def test_matches_torch_optim(name, config, torch_name, torch_config):
    import torch

    params, _, ember_loss = mlp_problem()
    gen = np.random.default_rng(4)
    x, y = gen.standard_normal((16, 4)), gen.standard_normal((16, 2))
    tparams = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    topt = getattr(torch.optim, torch_name)(tparams, **torch_config)
    for _ in range(STEPS):
        topt.zero_grad()
        w1, b1, w2, b2 = tparams
        out = torch.tanh(torch.tensor(x) @ w1 + b1) @ w2 + b2
        torch.mean((out - torch.tensor(y)) ** 2).backward()
        topt.step()
    variables = ember_run(getattr(optimizers, name)(**config), params, ember_loss)
    for v, t, p in zip(variables, tparams, params):
        np.testing.assert_allclose(v.numpy() - p, t.detach().numpy() - p, rtol=1e-6, atol=1e-9)
