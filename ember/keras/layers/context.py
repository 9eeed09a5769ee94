"""The call context: the ``training`` flag and call depth shared by nested layer calls."""


class _CallContext:
    __slots__ = ("training", "depth")

    def __init__(self):
        self.training = None
        self.depth = 0


call_context = _CallContext()
