"""How benchmarks/run.py prints what it measured: progress lines, the markdown tables (medians
with their spread, ratios, memory, metrics, share of the BLAS ceiling) and cProfile's top rows."""

import importlib
import statistics

# per workload: the speed figure (record key, unit), the metric reached (key, label)
SPEED = {"seed_iris": ("step_ms", "ms/step"), "mnist_mlp": ("epoch_s", "s/epoch"),
         "mnist_cnn": ("epoch_s", "s/epoch"), "char_gpt": ("step_ms", "ms/iter")}
METRIC = {"seed_iris": ("test_accuracy", "test accuracy"),
          "mnist_mlp": ("test_accuracy", "test accuracy"),
          "mnist_cnn": ("test_accuracy", "test accuracy"), "char_gpt": ("val_loss", "val loss")}
NOISY_SHARE = 0.15  # share of the CPUs other processes took during a run: above, noisy


def fmt(value):
    """A number with three significant figures (no exponent for ordinary sizes)."""
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


def spread(values):
    """``median [min-max]`` of ``values``, or '-'."""
    if not values:
        return "-"
    if len(values) == 1:
        return fmt(values[0])
    return f"{fmt(statistics.median(values))} [{fmt(min(values))}-{fmt(max(values))}]"


def median(values):
    return statistics.median(values) if values else None


def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "-"


def progress_line(record):
    name, framework = record["workload"], record["framework"]
    if "error" in record:
        return f"  {name:10s} {framework:6s} #{record.get('repeat', 0)}  FAILED {record['error']}"
    key, unit = SPEED[name]
    metric, label = METRIC[name]
    return (f"  {name:10s} {framework:6s} #{record['repeat']}  {fmt(record[key])} {unit}  "
            f"process {fmt(record['process_s'])} s  rss {fmt(record['peak_rss_mib'])} MiB  "
            f"{label} {fmt(record[metric])}  others {100 * record['others_share']:.0f}% "
            f"(attempt {record['attempts']})")


def record_summary(record):
    name = record["workload"]
    key, unit = SPEED[name]
    metric, label = METRIC[name]
    return (f"{name} {record['framework']}: {fmt(record[key])} {unit}, import "
            f"{fmt(record['import_s'])} s, {label} {fmt(record[metric])}")


def ceiling_summary(ceiling):
    if not ceiling or "error" in ceiling:
        return f"# BLAS ceiling: failed {ceiling.get('error') if ceiling else ''}"
    sizes = ", ".join(f"{n}: {fmt(g)}" for n, g in ceiling["by_size"].items())
    others = ceiling.get("others_share")
    return (f"# BLAS ceiling (NumPy {ceiling['numpy']} float32 matmul, GFLOP/s by size): {sizes}"
            f" -> ceiling {fmt(ceiling['gflops'])} GFLOP/s; {blas_line(ceiling.get('blas'))}"
            + (f"; others took {100 * others:.0f}% of the CPUs" if others is not None else ""))


def blas_line(blas):
    if not blas:
        return "BLAS unknown (no threadpoolctl)"
    return "; ".join(f"{b['internal_api']} {b.get('version') or ''} kernel "
                     f"{b.get('architecture') or '-'} x{b['num_threads']}" for b in blas)


def _values(runs, name, framework, key):
    return [r[key] for r in runs if r["workload"] == name and r["framework"] == framework
            and "error" not in r and r.get(key) is not None]


def workload_table(results, name, frameworks):
    runs = results["runs"]
    key, unit = SPEED[name]
    metric, label = METRIC[name]
    flops = importlib.import_module(name).flops_per_step()
    ceiling = results.get("ceiling") or {}
    floor = (ceiling.get("workloads") or {}).get(name, {}).get("gemm_floor_ms")
    peers = [f for f in frameworks if f != "ember"]
    head = ["figure", *frameworks] + ([f"ember/{p}" for p in peers] if "ember" in frameworks
                                      else [])
    rows = []

    def row(label_, key_, scale=1.0, ratios=True):
        med = {f: median(_values(runs, name, f, key_)) for f in frameworks}
        cells = [spread([v * scale for v in _values(runs, name, f, key_)]) for f in frameworks]
        extra = []
        if "ember" in frameworks:
            extra = [ratio(med["ember"], med[p]) if ratios else "" for p in peers]
        rows.append([label_, *cells, *extra])
        return med

    row(f"{key} ({unit})", key)
    if key != "step_ms":
        row("step_ms (ms/step)", "step_ms")
    row("whole process (s)", "process_s")
    if name == "char_gpt":
        row("first iteration (ms)", "first_step_ms")
    else:
        row("first epoch (s)", "first_epoch_s")
    row("training loop (s)", "fit_s")
    row("peak RSS (MiB)", "child_maxrss_mib")
    row(f"{label}", metric, ratios=False)
    row("import in-process (s)", "import_s")
    row("others' CPU share (%)", "others_share", scale=100.0, ratios=False)
    gflops, share, over_floor = [], [], []
    for f in frameworks:
        step_ms = median(_values(runs, name, f, "step_ms"))
        rate = flops / (step_ms / 1000) / 1e9 if step_ms else None
        gflops.append(fmt(rate))
        share.append(f"{100 * rate / ceiling['gflops']:.1f}%" if rate and ceiling.get("gflops")
                     else "-")
        over_floor.append(f"{step_ms / floor:.1f}x" if step_ms and floor else "-")
    pad = [""] * (len(head) - 1 - len(frameworks))
    rows.append(["achieved GFLOP/s", *gflops, *pad])
    rows.append(["share of BLAS ceiling", *share, *pad])
    rows.append(["step / GEMM floor", *over_floor, *pad])
    others = [r["others_share"] for r in runs if r["workload"] == name and "others_share" in r]
    title = (f"### {name}: {flops / 1e6:.4g} MFLOP per step"
             + (f", GEMM floor {floor:.3g} ms/step" if floor else "")
             + (f"; other processes took {100 * min(others):.0f}-{100 * max(others):.0f}% of "
                f"the CPUs during the runs" if others else ""))
    if others and max(others) > NOISY_SHARE:
        title += "  (noisy)"
    return title + "\n" + markdown([head, *rows])


def import_table(results, frameworks):
    rows = []
    meds = {}
    for f in frameworks:
        done = [r for r in results["imports"] if r["framework"] == f and "import_s" in r]
        module = next((r["module"] for r in results["imports"] if r["framework"] == f), f)
        meds[f] = median([r["import_s"] for r in done])
        rows.append([f"import {module}", spread([r["import_s"] for r in done]),
                     spread([r["process_s"] for r in done]),
                     spread([r["rss_mib"] for r in done]),
                     ratio(meds["ember"], meds[f]) if "ember" in meds and f != "ember" else ""])
    return "### imports (fresh interpreter)\n" + markdown(
        [["module", "import (s)", "whole process (s)", "RSS (MiB)", "ember/it"], *rows])


def markdown(rows):
    widths = [max(len(str(r[i])) for r in rows if i < len(r)) for i in range(len(rows[0]))]
    lines = []
    for n, r in enumerate(rows):
        cells = [str(c).ljust(w) for c, w in zip(r, widths)]
        lines.append("| " + " | ".join(cells) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def tables(results, workloads, frameworks):
    parts = ["", "## results (median [min-max] over repetitions; ratios are ember / peer, "
             "below 1 means ember is faster or smaller)"]
    if results.get("ceiling") and "error" not in results["ceiling"]:
        parts.append(ceiling_summary(results["ceiling"]))
    kernels = {}
    for r in results["runs"]:
        if "error" not in r and r["framework"] not in kernels:
            kernels[r["framework"]] = blas_line(r.get("blas")) + (
                f"; torch BLAS {r['blas_build']}" if r.get("blas_build") else "") + (
                f"; TF {r['tensorflow']} (Eigen/oneDNN)" if r.get("tensorflow") else "")
    parts += [f"# {f}: {k}" for f, k in kernels.items()]
    for name in workloads:
        parts += ["", workload_table(results, name, frameworks)]
    if results["imports"]:
        parts += ["", import_table(results, frameworks)]
    errors = [r for r in results["runs"] if "error" in r]
    if errors:
        parts += ["", "### failures"] + [f"- {r['workload']} {r['framework']}: {r['error']}"
                                         for r in errors]
    return "\n".join(parts)


def print_cprofile(path, top):
    """The ``top`` functions by cumulative time, then by own time (where the time really goes)."""
    import pstats

    stats = pstats.Stats(path)
    stats.strip_dirs()
    total = stats.total_tt
    print(f"total profiled time {total:.3f} s")
    print(f"\n### top {top} by cumulative time")
    stats.sort_stats("cumulative").print_stats(top)
    print(f"\n### top {top} by own time (tottime)")
    stats.sort_stats("tottime").print_stats(top)
