"""Keep freed array memory in the process, so a training step does not page-fault its arrays in.

Every step allocates the same activations and gradients again. With glibc's default settings a
large freed block goes back to the kernel (``munmap``, or trimming the heap top), and the next
step's ``np.empty`` of the same size faults it in again page by page: on this project's VMs that
costs about 0.4 ms per MB, more than the arithmetic on it (a float32 add runs at ~0.03 ms per MB
when the pages are mapped). Raising glibc's mmap and trim thresholds keeps blocks of up to 32 MB
in the heap for reuse; the peak memory is unchanged, it is only not handed back between steps.

``tune_allocator()`` runs once when ember is imported. It does nothing outside glibc, when the
user set any ``MALLOC_*`` variable (their choice wins), or when ``EMBER_MALLOC_TUNING=0``.
"""

import ctypes
import ctypes.util
import os
import sys

# mallopt parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 32 * 2**20  # glibc's largest accepted value on 64-bit systems
TRIM_THRESHOLD = 1 << 30

_state = {"tuned": False}


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version") else None


def tune_allocator(environ=None):
    """Raise glibc's mmap/trim thresholds once; True when the allocator is (now) tuned."""
    environ = os.environ if environ is None else environ
    if _state["tuned"]:
        return True
    if environ.get("EMBER_MALLOC_TUNING", "1") == "0":
        return False
    if any(name.startswith("MALLOC_") for name in environ):
        return False
    libc = _libc()
    if libc is None:
        return False
    ok = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    ok = libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and ok
    _state["tuned"] = ok
    return ok
