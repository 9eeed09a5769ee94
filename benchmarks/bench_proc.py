"""Child processes and the state of a shared machine, for benchmarks/run.py: run a command and get
its wall time, peak RSS and CPU time, and how much of the CPUs *other* processes took meanwhile.

Why: on 2 cores shared with other people's test runs, a descheduled BLAS or OpenMP thread makes
its partner spin, and mid-size float32 GEMMs fall from ~190 to under 10 GFLOP/s. A timing is
only believable with the share of the machine others used during it, so the runner waits for a
quiet machine before a run and repeats runs that others disturbed.
"""

import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

TICKS = os.sysconf("SC_CLK_TCK")
CPUS = os.cpu_count() or 1


def cpu_ticks():
    """``(busy, total)`` clock ticks of all CPUs since boot, from ``/proc/stat``."""
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # user .. steal (guest time is already inside user)
    return total - idle, total


def cpu_busy(seconds=0.5):
    """The share of all CPUs busy over the next ``seconds`` (the caller sleeps meanwhile)."""
    busy0, total0 = cpu_ticks()
    time.sleep(seconds)
    busy1, total1 = cpu_ticks()
    return (busy1 - busy0) / max(total1 - total0, 1)


def wait_for_quiet(threshold, patience):
    """Wait (up to ``patience`` seconds) until the CPUs are less than ``threshold`` busy;
    returns the last busy share seen."""
    deadline = time.monotonic() + patience
    busy = cpu_busy()
    while busy > threshold and time.monotonic() < deadline:
        busy = cpu_busy(1.0)
    return busy


@dataclass
class Child:
    """What one child process did."""

    returncode: int
    wall_s: float
    rss_mib: float  # the child's peak resident memory (ru_maxrss)
    cpu_s: float  # the child's user + system time
    others_share: float  # share of all CPUs used by other processes while the child ran
    stdout: str
    stderr: str


def run_child(cmd, env, timeout, cwd=None):
    """Run ``cmd`` to completion (killed after ``timeout`` seconds) and measure it.

    The wall time runs from the process start to its exit (interpreter start-up included); the
    peak RSS and CPU time come from ``wait4``; the others' share is the machine's busy time
    during the run minus the child's own CPU time, over the run's capacity (wall x CPUs).
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        busy0, _ = cpu_ticks()
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        busy1, _ = cpu_ticks()
        proc.returncode = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
        others = max(0.0, (busy1 - busy0) / TICKS - cpu)
        out.seek(0)
        err.seek(0)
        return Child(proc.returncode, wall, usage.ru_maxrss / 1024, cpu,
                     min(1.0, others / (wall * CPUS)), out.read(), err.read())
