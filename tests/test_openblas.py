"""ember's choice of OpenBLAS kernels: the rule, and the switch on the loaded library."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ember import _openblas

ZEN4 = ("AuthenticAMD", 0x19)


@pytest.mark.parametrize("current", ["SkylakeX", "Cooperlake", "SAPPHIRERAPIDS"])
def test_zen4_with_intel_avx512_kernels_prefers_haswell(current):
    assert _openblas.preferred_kernels(ZEN4, current, {}) == "Haswell"


@pytest.mark.parametrize("cpu, current", [
    (("GenuineIntel", 6), "SkylakeX"),      # Intel: OpenBLAS's pick is made for it
    (("AuthenticAMD", 0x1A), "SkylakeX"),   # Zen 5: full-width AVX-512, not measured
    (("AuthenticAMD", 0x17), "Zen"),        # Zen 2: OpenBLAS already runs AVX2 kernels
    (ZEN4, "Haswell"),                       # already there
    (ZEN4, None),                            # no OpenBLAS (or it cannot say)
    ((None, None), "SkylakeX"),              # no /proc/cpuinfo
])
def test_other_machines_keep_openblas_choice(cpu, current):
    assert _openblas.preferred_kernels(cpu, current, {}) is None


@pytest.mark.parametrize("environ", [{"OPENBLAS_CORETYPE": "SkylakeX"},
                                     {"EMBER_BLAS_KERNELS": "openblas"}])
def test_the_user_can_keep_or_choose_the_kernels(environ):
    assert _openblas.preferred_kernels(ZEN4, "SkylakeX", environ) is None


SWITCH = """
import json, os
import numpy as np
import ember
from ember import _openblas
own = _openblas.kernels()  # EMBER_BLAS_KERNELS=openblas: OpenBLAS's own pick
wanted = _openblas.preferred_kernels(_openblas._cpu(), own, {})
now = _openblas.choose_kernels({})
a = np.random.default_rng(0).random((300, 200), np.float32)
b = np.random.default_rng(1).random((200, 100), np.float32)
error = float(np.abs(a @ b - a.astype(np.float64) @ b.astype(np.float64)).max())
print(json.dumps({"own": own, "wanted": wanted, "now": now, "error": error,
                  "left": "OPENBLAS_CORETYPE" in os.environ}))
"""


def test_choose_kernels_switches_the_loaded_openblas_as_the_rule_says():
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
    env["EMBER_BLAS_KERNELS"] = "openblas"
    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", SWITCH], env=env, cwd=repo, check=True,
                         capture_output=True, text=True).stdout
    result = json.loads(out.splitlines()[-1])
    if result["own"] is None:
        pytest.skip("NumPy's BLAS is not an OpenBLAS that names its kernels")
    assert result["now"] == (result["wanted"] or result["own"])
    assert not result["left"]  # OPENBLAS_CORETYPE was set only for the switch
    assert result["error"] < 1e-3  # products stay right on the new kernels


def test_import_ember_runs_the_preferred_kernels():
    current = _openblas.kernels()
    if current is None:
        pytest.skip("NumPy's BLAS is not an OpenBLAS that names its kernels")
    assert _openblas.preferred_kernels(_openblas._cpu(), current, os.environ) is None
