"""The call context: the ``training`` flag and call depth shared by nested layer calls, per
thread (two threads may run the same model at once, each on its shard of a batch)."""

import threading


class _CallContext(threading.local):
    def __init__(self):
        self.training = None
        self.depth = 0


call_context = _CallContext()
