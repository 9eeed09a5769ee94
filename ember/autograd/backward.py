"""The backward pass: order the graph once, then push gradients from the output to the leaves."""

import numpy as np


def _topological_order(root):
    """Nodes reachable from ``root`` that need a gradient, each after all the nodes it feeds.

    Iterative depth-first search, so a chain of any length never hits Python's recursion limit.
    """
    order = []
    visited = {id(root)}
    stack = [(root, iter(_parents(root)))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent.requires_grad and id(parent) not in visited:
                visited.add(id(parent))
                stack.append((parent, iter(_parents(parent))))
                break
        else:
            stack.pop()
            order.append(node)
    order.reverse()  # the root first, leaves last
    return order


def _parents(tensor):
    ctx = tensor._ctx
    return ctx.parents if ctx is not None else ()


def _gradient_error(ctx, parent, grad):
    """Every gradient must match its input's shape and dtype (Chainer's check): name the op."""
    raise RuntimeError(
        f"{type(ctx).__name__}.backward returned a gradient of shape {grad.shape} and dtype "
        f"{grad.dtype} for an input of shape {parent.data.shape} and dtype {parent.data.dtype}."
    )


def run_backward(root, grad):
    """Accumulate d(root)/d(leaf) * grad into ``leaf.grad`` for every leaf that requires grad.

    Saved arrays are released node by node as soon as their gradient has been pushed further.
    """
    grads = {id(root): grad}
    for node in _topological_order(root):
        g = grads.pop(id(node), None)
        if g is None:
            continue
        ctx = node._ctx
        if ctx is None:  # a leaf: accumulate in place, so views into flat buffers stay views
            if node.grad is None:
                node.grad = np.array(g, copy=True)
            else:
                node.grad += g
            continue
        if ctx.released:
            raise RuntimeError(
                f"Trying to backward through the graph a second time ({type(ctx).__name__} has "
                "already released its saved arrays). Compute the forward pass again before calling "
                "backward() again."
            )
        input_grads = ctx.backward(g)
        if not isinstance(input_grads, tuple):
            input_grads = (input_grads,)
        for parent, needs, pg in zip(ctx.parents, ctx.needs_input_grad, input_grads):
            if not needs or pg is None:
                continue
            if pg.shape != parent.data.shape or pg.dtype != parent.data.dtype:
                _gradient_error(ctx, parent, pg)
            key = id(parent)
            previous = grads.get(key)
            grads[key] = pg if previous is None else previous + pg
        ctx.release()
