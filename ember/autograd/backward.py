"""The backward pass: push gradients from the output to the leaves, newest op first.

Every recorded op carries a creation number (``Function.apply`` hands them out in increasing
order). An op's output can only feed ops created after it, so processing the pending ops from
the highest number down visits each one after all the ops its output feeds: a topological
order, found with a heap as the pass goes, without a separate graph walk.
"""

from heapq import heappop, heappush

import numpy as np


def _gradient_error(ctx, parent, grad):
    """Every gradient must match its input's shape and dtype (Chainer's check): name the op."""
    raise RuntimeError(
        f"{type(ctx).__name__}.backward returned a gradient of shape {grad.shape} and dtype "
        f"{grad.dtype} for an input of shape {parent.data.shape} and dtype {parent.data.dtype}."
    )


def _released_error(ctx):
    raise RuntimeError(
        f"Trying to backward through the graph a second time ({type(ctx).__name__} has "
        "already released its saved arrays). Compute the forward pass again before calling "
        "backward() again."
    )


def run_backward(root, grad, into=None):
    """Accumulate d(root)/d(leaf) * grad into ``leaf.grad`` for every leaf that requires grad.

    With ``into`` (a dict: leaf tensor -> array of its shape), the gradients are added to those
    arrays instead, and leaves not in it are left alone: a thread training one shard of a batch
    collects its gradients apart from the others'. Saved arrays are released node by node as
    soon as their gradient has been pushed further.
    """
    grads = {root: grad}  # summed gradient of each tensor reached so far (tensors hash by id)
    leaves = []
    pending = []  # heap of (-creation number, tensor): the newest op comes out first
    if root._ctx is None:
        leaves.append(root)
    else:
        pending.append((-root._ctx.seq, root))
    while pending:
        node = heappop(pending)[1]
        ctx = node._ctx
        if ctx.released:
            _released_error(ctx)
        input_grads = ctx.backward(grads.pop(node))
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        for parent, needs, pg in zip(ctx.parents, ctx.needs_input_grad, input_grads):
            if pg is None or not needs:
                continue
            data = parent.data
            if pg.shape != data.shape or pg.dtype != data.dtype:
                _gradient_error(ctx, parent, pg)
            previous = grads.get(parent)
            if previous is not None:
                grads[parent] = previous + pg
                continue
            grads[parent] = pg
            if parent._ctx is None:
                leaves.append(parent)
            else:
                heappush(pending, (-parent._ctx.seq, parent))
        # Function.release, inlined: drop the saved arrays now
        ctx.released = True
        ctx.parents = ()
        ctx.__dict__.clear()
    if into is not None:
        for leaf in leaves:
            target = into.get(leaf)
            if target is not None:
                target += grads[leaf]
        return
    for leaf in leaves:  # accumulate in place, so views into flat buffers stay views
        g = grads[leaf]
        if leaf.grad is None:
            leaf.grad = np.array(g, copy=True)
        else:
            leaf.grad += g
