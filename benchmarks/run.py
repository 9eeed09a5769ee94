"""Run ember's benchmark workloads against PyTorch and Keras 3 and print medians, spreads, ratios,
peak memory, import times, the metric each run reached and the fraction of the BLAS ceiling.

    python benchmarks/run.py                          # all workloads, 3 repetitions
    python benchmarks/run.py seed_iris mnist_mlp --repeats 5
    python benchmarks/run.py mnist_cnn --frameworks ember torch --epochs 2
    python benchmarks/run.py seed_iris --profile      # ember under cProfile, top 20 functions

Every run is a fresh subprocess; the frameworks alternate within each repetition (ember, torch,
keras, ember, torch, keras, ...) so a slow minute on this shared machine hits all of them.
Unrecognised options (--epochs, --limit, --iters, --warmup, --batch-size, --verbose) go to every
workload. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from the children's environment.
See benchmarks/README.md for what each column means.
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR / "workloads"))
import bench_report as report  # noqa: E402
from bench_common import FRAMEWORKS, REPO_ROOT  # noqa: E402
from bench_proc import run_child, wait_for_quiet  # noqa: E402

WORKLOADS = ("seed_iris", "mnist_mlp", "mnist_cnn", "char_gpt")
IMPORTS = {"ember": "ember", "torch": "torch", "keras": "tensorflow"}
BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
KERAS_PYTHONS = (BENCH_DIR / ".venv-keras" / "bin" / "python", Path("/work/kerasenv/bin/python"))


THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "EMBER_NUM_THREADS",
              "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def child_env(threads=None):
    """This environment without the OpenBLAS overrides, with the repo importable, TF quiet;
    ``threads`` caps every framework's thread pools (OpenMP, OpenBLAS, MKL, TensorFlow)."""
    env = {k: v for k, v in os.environ.items() if k not in BLAS_ENV}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if threads:
        env.update({name: str(threads) for name in THREAD_ENV})
    return env


def pythons(args):
    """The interpreter of each framework; Keras' is found in its own venv (or None)."""
    keras = args.keras_python
    if keras is None:
        keras = next((str(p) for p in KERAS_PYTHONS if p.exists()), None)
    torch = args.torch_python
    if torch is None:
        venv = BENCH_DIR / ".venv-torch" / "bin" / "python"
        torch = str(venv) if venv.exists() else args.python
    return {"ember": args.python, "torch": torch, "keras": keras}


def last_json(text):
    """The last line of ``text`` that is a JSON object, or None."""
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                return None
    return None


def run_workload(name, framework, python, extra, env, args):
    """One fresh-process run of a workload: its JSON record plus the runner's own figures.

    A run during which other processes took more than ``args.quiet`` of the CPUs is repeated
    (up to ``args.retries`` times, after waiting for quiet); the least disturbed one is kept.
    """
    cmd = [python, str(BENCH_DIR / "workloads" / f"{name}.py"), "--framework", framework, *extra]
    best = None
    for attempt in range(1 + args.retries):
        busy = wait_for_quiet(args.quiet, args.patience)
        child = run_child(cmd, env, args.timeout, cwd=REPO_ROOT)
        record = last_json(child.stdout) if child.returncode == 0 else None
        if record is None:
            tail = (child.stderr or child.stdout).strip().splitlines()[-3:]
            return {"workload": name, "framework": framework,
                    "error": f"exit {child.returncode}: " + " | ".join(tail)}
        record.update({"process_s": child.wall_s, "child_maxrss_mib": child.rss_mib,
                       "child_cpu_s": child.cpu_s, "others_share": child.others_share,
                       "busy_before": busy, "attempts": attempt + 1})
        if best is None or record["others_share"] < best["others_share"]:
            best = record
        if record["others_share"] <= args.quiet:
            break
    return best


def measure_import(framework, python, env, timeout):
    """Seconds of ``import <module>`` in a fresh interpreter, and the process's wall time."""
    module = IMPORTS[framework]
    code = ("import time; t = time.perf_counter(); import " + module
            + "; print(time.perf_counter() - t)")
    child = run_child([python, "-c", code], env, timeout, cwd=REPO_ROOT)
    if child.returncode != 0:
        return {"framework": framework, "module": module, "error": child.stderr.strip()[-300:]}
    return {"framework": framework, "module": module, "import_s": float(child.stdout.split()[-1]),
            "process_s": child.wall_s, "rss_mib": child.rss_mib,
            "others_share": child.others_share}


def blas_ceiling(python, env, workloads, timeout):
    cmd = [python, str(BENCH_DIR / "blas_ceiling.py"), "--workloads", *workloads]
    child = run_child(cmd, env, timeout, cwd=REPO_ROOT)
    if child.returncode != 0:
        return {"error": child.stderr.strip()[-300:]}
    result = last_json(child.stdout)
    result["others_share"] = child.others_share
    return result


def best_ceiling(first, second):
    """Per figure, the better of two ceiling measurements (highest rate, lowest floor)."""
    if "error" in first:
        return second
    if "error" in second:
        return first
    best = dict(first)
    best["by_size"] = {n: max(g, second["by_size"].get(n, 0)) for n, g in first["by_size"].items()}
    best["gflops"] = max(best["by_size"].values())
    best["workloads"] = {
        name: min(floor, second["workloads"].get(name, floor), key=lambda f: f["gemm_floor_ms"])
        for name, floor in first["workloads"].items()}
    return best


def profile(name, python, extra, env, timeout, tool, top):
    """Run ember's ``name`` with its training loop under cProfile (or the whole process under
    pyinstrument) and print where the time goes."""
    script = str(BENCH_DIR / "workloads" / f"{name}.py")
    with tempfile.TemporaryDirectory() as tmp:
        if tool == "pyinstrument":
            cmd = [python, "-m", "pyinstrument", "--show-all", "-r", "text", "-o",
                   f"{tmp}/profile.txt", script, "--framework", "ember", *extra]
        else:  # the training loop alone: imports and data loading stay out of the profile
            cmd = [python, script, "--framework", "ember", "--profile-out",
                   f"{tmp}/profile.prof", *extra]
        child = run_child(cmd, env, timeout, cwd=REPO_ROOT)
        print(f"\n## profile: {name} on ember ({tool}), process {child.wall_s:.2f} s, exit "
              f"{child.returncode}, other processes took {100 * child.others_share:.0f}% of "
              f"the CPUs")
        if child.returncode != 0:
            print(child.stderr.strip()[-2000:])
            return
        record = last_json(child.stdout)
        if record:
            print(report.record_summary(record))
        if tool == "pyinstrument":
            print(Path(f"{tmp}/profile.txt").read_text())
        else:
            report.print_cprofile(f"{tmp}/profile.prof", top)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Options not listed here are passed to every workload.")
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS),
                        help=f"any of {', '.join(WORKLOADS)} (default: all)")
    parser.add_argument("--frameworks", nargs="+", default=list(FRAMEWORKS), choices=FRAMEWORKS)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter for ember and PyTorch (default: this one)")
    parser.add_argument("--torch-python", default=None,
                        help="interpreter for PyTorch (default: benchmarks/.venv-torch if "
                             "setup_peers.sh made it, else --python)")
    parser.add_argument("--keras-python", default=None,
                        help="interpreter of a venv with tensorflow-cpu and keras (default: "
                             "benchmarks/.venv-keras, else /work/kerasenv)")
    parser.add_argument("--no-imports", action="store_true", help="skip the import-time rows")
    parser.add_argument("--no-ceiling", action="store_true", help="skip the BLAS ceiling")
    parser.add_argument("--profile", nargs="?", const="cprofile",
                        choices=("cprofile", "pyinstrument"),
                        help="profile ember's workloads instead of timing them")
    parser.add_argument("--top", type=int, default=20, help="rows of the profile")
    parser.add_argument("--quiet", type=float, default=0.15, metavar="SHARE",
                        help="before each run, wait while more than this share of the CPUs is "
                             "busy, and repeat a run during which other processes took more "
                             "(default 0.15)")
    parser.add_argument("--retries", type=int, default=2,
                        help="repeats of a disturbed run; the least disturbed is kept "
                             "(default 2)")
    parser.add_argument("--patience", type=float, default=60,
                        help="the longest wait for a quiet machine, in seconds (default 60)")
    parser.add_argument("--threads", type=int, default=None,
                        help="cap every framework's threads (default: each framework's own, 2 "
                             "here); 1 makes runs on a busy machine comparable")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per child process")
    parser.add_argument("--json", type=Path, default=None, help="write every record here")
    args, extra = parser.parse_known_args(argv)
    unknown = sorted(set(args.workloads) - set(WORKLOADS))
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")
    env = child_env(args.threads)
    removed = {k: os.environ[k] for k in BLAS_ENV if k in os.environ}
    print(f"# ember benchmarks  (removed from the children's environment: {removed or 'nothing'}"
          f"; threads: {args.threads or 'framework defaults'})")

    if args.profile:
        for name in args.workloads:
            profile(name, args.python, extra, env, args.timeout, args.profile, args.top)
        return 0

    interpreters = pythons(args)
    frameworks = [f for f in args.frameworks if interpreters[f]]
    if "keras" in args.frameworks and not interpreters["keras"]:
        print("# keras skipped: no venv with keras; run benchmarks/setup_peers.sh keras")
    results = {"argv": sys.argv[1:], "extra": extra, "pythons": interpreters,
               "threads": args.threads,
               "cpu_count": os.cpu_count(), "removed_env": removed, "runs": [], "imports": []}

    if not args.no_ceiling:
        wait_for_quiet(args.quiet, args.patience)
        results["ceiling"] = blas_ceiling(args.python, env, args.workloads, args.timeout)
        print(report.ceiling_summary(results["ceiling"]), flush=True)
    if not args.no_imports:
        for _ in range(args.repeats):
            for framework in frameworks:
                wait_for_quiet(args.quiet, args.patience)
                results["imports"].append(
                    measure_import(framework, interpreters[framework], env, args.timeout))
    for name in args.workloads:
        for repeat in range(args.repeats):
            for framework in frameworks:
                # repetition r trains from seed r (the same for every framework), so the
                # metric's median reflects more than one initialization
                seeded = extra if "--seed" in extra else [*extra, "--seed", str(repeat)]
                record = run_workload(name, framework, interpreters[framework], seeded, env,
                                      args)
                record["repeat"] = repeat
                results["runs"].append(record)
                print(report.progress_line(record), flush=True)

    if not args.no_ceiling:  # again at the end: a ceiling is the best rate seen
        wait_for_quiet(args.quiet, args.patience)
        results["ceiling"] = best_ceiling(
            results["ceiling"], blas_ceiling(args.python, env, args.workloads, args.timeout))
    print(report.tables(results, args.workloads, frameworks))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
        print(f"# all records written to {args.json}")
    failed = [r for r in results["runs"] if "error" in r]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
