"""The PyTorch side of the fit-style workloads: Keras' initializers and optimizer defaults, and a
training loop doing what ``model.fit`` does (shuffle each epoch, minibatches, loss and accuracy
accumulated per step). Imported only inside the ``run_torch`` functions."""

import math
import time

import numpy as np
import torch
import torch.nn.functional as F

KERAS_ADAM = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-7}  # keras.optimizers.Adam()


def glorot_uniform_(tensor, fan_in, fan_out):
    """Keras' ``glorot_uniform``: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out))."""
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    with torch.no_grad():
        tensor.uniform_(-limit, limit)
    return tensor


def keras_init_(model):
    """Re-initialize every ``Linear`` and ``Conv2d`` as Keras does: glorot_uniform kernels (fans
    as Keras computes them for the layer's kernel shape) and zero biases."""
    for module in model.modules():
        if isinstance(module, (torch.nn.Linear, torch.nn.Conv2d)):
            weight = module.weight  # Linear (out, in); Conv2d (out, in, kh, kw)
            receptive = weight[0, 0].numel() if weight.dim() == 4 else 1
            glorot_uniform_(weight, weight.shape[1] * receptive, weight.shape[0] * receptive)
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)
    return model


def fit(model, optimizer, x, y, epochs, batch_size, seed):
    """Train like ``model.fit(x, y, batch_size, epochs, shuffle=True)`` with the sparse
    cross-entropy loss on the model's logits; returns each epoch's wall time and the last
    epoch's mean loss and accuracy."""
    generator = torch.Generator().manual_seed(seed)
    n = len(x)
    seconds = []
    loss_sum = correct = None
    for _ in range(epochs):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(n, generator=generator)
        loss_sum = torch.zeros(())
        correct = torch.zeros((), dtype=torch.int64)
        for begin in range(0, n, batch_size):
            index = order[begin:begin + batch_size]
            xb, yb = x[index], y[index]
            optimizer.zero_grad(set_to_none=True)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                loss_sum += loss.detach() * len(index)
                correct += (logits.argmax(1) == yb).sum()
        seconds.append(time.perf_counter() - start)
    return seconds, float(loss_sum) / n, float(correct) / n


@torch.no_grad()
def evaluate(model, x, y, batch_size):
    """``(mean loss, accuracy)`` of ``model`` on ``(x, y)`` in inference mode."""
    model.eval()
    loss_sum, correct = 0.0, 0
    for begin in range(0, len(x), batch_size):
        logits = model(x[begin:begin + batch_size])
        yb = y[begin:begin + batch_size]
        loss_sum += float(F.cross_entropy(logits, yb, reduction="sum"))
        correct += int((logits.argmax(1) == yb).sum())
    return loss_sum / len(x), correct / len(x)


def as_tensors(*arrays):
    """float arrays as float32 tensors, integer arrays as int64 tensors (no copy when possible)."""
    out = []
    for array in arrays:
        dtype = np.float32 if np.issubdtype(array.dtype, np.floating) else np.int64
        out.append(torch.from_numpy(np.ascontiguousarray(array, dtype=dtype)))
    return out


def blas_name():
    """The BLAS torch was built with (MKL, OpenBLAS...), from its build configuration."""
    config = torch.__config__.show()
    for line in config.splitlines():
        if "BLAS_INFO=" in line:
            return line.split("BLAS_INFO=")[1].split(",")[0]
    return "unknown"


def run_fit(args, build, data):
    """Build with ``build(torch.nn)``, Keras-initialize, train with Keras' Adam for
    ``args.epochs`` and evaluate; returns ``(version, figures)`` with the figures of
    ``keras_api.run_fit`` (the caller times ``import torch`` before importing this module)."""
    from bench_common import profiled
    from keras_api import fit_figures

    x_train, y_train, x_test, y_test = as_tensors(*data)
    torch.manual_seed(args.seed)
    start = time.perf_counter()
    model = keras_init_(build(torch.nn))
    optimizer = torch.optim.Adam(model.parameters(), **KERAS_ADAM)
    setup_s = time.perf_counter() - start
    start = time.perf_counter()
    with profiled(args.profile_out):
        seconds, train_loss, train_accuracy = fit(model, optimizer, x_train, y_train,
                                                  args.epochs, args.batch_size, args.seed)
    fit_s = time.perf_counter() - start
    test_loss, test_accuracy = evaluate(model, x_test, y_test, args.batch_size)
    figures = {
        "blas_build": blas_name(),
        "threads": torch.get_num_threads(),
        "setup_s": setup_s,
        **fit_figures(seconds, math.ceil(len(x_train) / args.batch_size), fit_s),
        "train_loss": train_loss,
        "train_accuracy": train_accuracy,
        "test_loss": test_loss,
        "test_accuracy": test_accuracy,
        "params": sum(p.numel() for p in model.parameters()),
    }
    return torch.__version__, figures
