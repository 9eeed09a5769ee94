"""The OpenBLAS that NumPy loaded: its per-thread thread count, and its choice of kernels.

OpenBLAS built for many CPUs (NumPy's wheels) picks its kernels when it loads, from the CPU's
features. On AMD Zen 4 (CPU family 0x19 with AVX-512) it picks its Intel AVX-512 kernels
(SkylakeX or Cooperlake), but Zen 4 runs 512-bit instructions as two 256-bit halves, and
OpenBLAS's AVX2 kernels for Haswell run float32 matrix products faster there: 7-30% at every
size measured on an AMD EPYC (Zen 4) VM, 256 to 2048 square and the shapes of ember's
benchmark models, on one and two threads (``python benchmarks/blas_ceiling.py``). So on that CPU,
``import ember`` switches the loaded OpenBLAS to its Haswell kernels, unless the user chose
kernels with ``OPENBLAS_CORETYPE`` (which OpenBLAS itself reads) or turned the switch off with
``EMBER_BLAS_KERNELS=openblas``. The choice is a fixed rule, never a timing, so a given machine
always runs the same kernels and results stay bitwise reproducible. :func:`kernels` says which
kernels are in use.

The switch swaps OpenBLAS's kernel table between two calls: it is made once, while ember is
imported, when no product of this process is running in another thread (the table is briefly
empty).
"""

import ctypes
import os

# OpenBLAS core names of its Intel AVX-512 kernels, as ``openblas_get_corename`` spells them
_AVX512_CORES = {"skylakex", "cooperlake", "sapphirerapids"}
_ZEN4_FAMILY = 0x19  # Zen 3 (no AVX-512: OpenBLAS picks its Zen kernels) and Zen 4

_state = {"library": None}


def library():
    """The loaded OpenBLAS with a per-thread thread count (``openblas_set_num_threads_local``,
    OpenBLAS >= 0.3.27), found among this process's mapped libraries; None without one."""
    if _state["library"] is None:
        _state["library"] = _find_library() or False
    return _state["library"] or None


def _find_library():
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line.lower()}
    except OSError:
        return None
    for path in sorted(paths):
        try:
            candidate = ctypes.CDLL(path)
        except OSError:
            continue
        if hasattr(candidate, "openblas_set_num_threads_local"):
            setter = candidate.openblas_set_num_threads_local
            setter.restype, setter.argtypes = ctypes.c_int, [ctypes.c_int]
            return candidate
    return None


def thread_setter():
    """``openblas_set_num_threads_local(n) -> previous n`` (this thread only), or None."""
    blas = library()
    return blas.openblas_set_num_threads_local if blas is not None else None


# ``openblas_get_corename`` as OpenBLAS builds name it (NumPy's wheels rename the public API to
# scipy_openblas*), then the internal function it calls, which DYNAMIC_ARCH builds export
_CORENAME = ("openblas_get_corename", "openblas_get_corename64_",
             "scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "gotoblas_corename")


def kernels():
    """The name of the kernels the loaded OpenBLAS runs (e.g. "Haswell"), or None."""
    blas = library()
    for name in _CORENAME if blas is not None else ():
        function = getattr(blas, name, None)
        if function is not None:
            function.restype, function.argtypes = ctypes.c_char_p, []
            return function().decode()
    return None


def preferred_kernels(cpu, current, environ):
    """The kernels ember switches OpenBLAS to, or None to keep ``current``.

    ``cpu`` is ``(vendor, family)`` as /proc/cpuinfo gives them; ``environ`` the environment.
    """
    if environ.get("OPENBLAS_CORETYPE") or environ.get("EMBER_BLAS_KERNELS") == "openblas":
        return None
    vendor, family = cpu
    if vendor == "AuthenticAMD" and family == _ZEN4_FAMILY \
            and (current or "").lower() in _AVX512_CORES:
        return "Haswell"
    return None


def _cpu():
    """(vendor, family) of the first CPU in /proc/cpuinfo, or (None, None)."""
    vendor = family = None
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                key, _, value = line.partition(":")
                key, value = key.strip(), value.strip()
                if key == "vendor_id":
                    vendor = value
                elif key == "cpu family" and value.isdigit():
                    family = int(value)
                if (vendor is not None and family is not None) or not key:  # first CPU read
                    break
    except OSError:
        pass
    return vendor, family


def choose_kernels(environ=os.environ):
    """Switch the loaded OpenBLAS to :func:`preferred_kernels` (run once, at ``import ember``).

    OpenBLAS re-selects its kernels through its own entry points: forget the current choice
    (``gotoblas_dynamic_quit``) and choose again (``gotoblas_dynamic_init``), which reads
    ``OPENBLAS_CORETYPE`` from the process environment; the variable is set only for that
    call. ``environ`` is what the rule reads. Returns the kernels in use.
    """
    current = kernels()
    blas = library()
    wanted = preferred_kernels(_cpu(), current, environ) if current else None
    if wanted is None or not all(hasattr(blas, name) for name in
                                 ("gotoblas_dynamic_quit", "gotoblas_dynamic_init")):
        return current
    previous = os.environ.get("OPENBLAS_CORETYPE")
    os.environ["OPENBLAS_CORETYPE"] = wanted
    try:
        blas.gotoblas_dynamic_quit()
        blas.gotoblas_dynamic_init()
    finally:
        if previous is None:
            del os.environ["OPENBLAS_CORETYPE"]
        else:
            os.environ["OPENBLAS_CORETYPE"] = previous
    return kernels()
