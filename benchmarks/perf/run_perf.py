#!/usr/bin/env python3
"""Performance targets of the foundation issue, measured in one run (medians; 2 noisy cores).

  1. cocotb test on Icarus per small design (the 3-test counter), cache off      target <= 0.5 s
  2. lint + cocotb sim + synth of the 8x8 INT8 systolic array, cache off          target <= 10 s
     ... and a repeat with unchanged inputs (cache hit)                            target <= 0.2 s
  3. sandbox overhead per command: supervisor+bwrap vs a bare subprocess          target <= 30 ms

Usage: python benchmarks/perf/run_perf.py [--reps N] [--json OUT]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "tests" / "data"


def median_time(fn, reps: int) -> tuple[float, list[float]]:
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts), ts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    os.environ["RTLSMITH_CACHE_DIR"] = tempfile.mkdtemp(prefix="rtlsmith-perf-cache-")

    from rtlsmith.eda_tools.base import EdaContext
    from rtlsmith.eda_tools.flow import template_flow
    from rtlsmith.eda_tools.simulate import simulate_cocotb
    from rtlsmith.rtl_templates import get
    from rtlsmith.sandbox import Command, run
    os.environ["RTLSMITH_QUIET_LOCAL"] = "1"
    from rtlsmith.types import DesignFiles

    results: dict[str, dict] = {}
    nocache = EdaContext(cache=False)

    # 1. cocotb on Icarus, small design
    counter = DesignFiles({"counter.v": (DATA / "hdl/counter.v").read_text()})
    simulate_cocotb(counter, "counter", "test_counter", DATA / "cocotb", "icarus", ctx=nocache)  # warm imports
    med, ts = median_time(lambda: simulate_cocotb(counter, "counter", "test_counter", DATA / "cocotb", "icarus",
                                                  ctx=nocache), args.reps * 2)
    results["cocotb_icarus_small_s"] = {"median": med, "runs": ts, "target": 0.5}

    # 2. lint + sim + synth of the 8x8 systolic array
    tpl = get("systolic_os")
    params = tpl.params()

    def flow(ctx):  # what `rtlsmith flow systolic_os` does: lint, then sim | synth in parallel
        res = template_flow(tpl, params, "icarus", 1, ctx)
        assert res.ok, (res.lint.errors, res.sim.error)
        return res

    med, ts = median_time(lambda: flow(nocache), max(3, args.reps // 2))
    results["systolic8x8_lint_sim_synth_s"] = {"median": med, "runs": ts, "target": 10.0}
    cached = EdaContext(cache=True)
    flow(cached)  # fill
    med, ts = median_time(lambda: flow(cached), args.reps)
    results["systolic8x8_repeat_cached_s"] = {"median": med, "runs": ts, "target": 0.2}

    # 3. sandbox overhead per command
    work = Path(tempfile.mkdtemp(prefix="rtlsmith-perf-"))
    n = 40
    bare, _ = median_time(lambda: subprocess.run(["true"], stdin=subprocess.DEVNULL, cwd=work), n)
    sup_local, _ = median_time(lambda: run(Command(argv=["true"], cwd=work, log_dir=work / "l"), "local"), n)
    sup_bwrap, _ = median_time(lambda: run(Command(argv=["true"], cwd=work, log_dir=work / "l"), "bwrap"), n)
    results["cmd_bare_subprocess_s"] = {"median": bare}
    results["cmd_supervisor_local_s"] = {"median": sup_local}
    results["cmd_supervisor_bwrap_s"] = {"median": sup_bwrap}
    results["sandbox_overhead_bwrap_vs_bare_ms"] = {"median": (sup_bwrap - bare) * 1000, "target": 30.0}

    # 4. docker backend (warm containers), when an engine and the image are here
    from rtlsmith.eda_tools.base import Workspace
    from rtlsmith.sandbox import DockerBackend
    ok, why = DockerBackend().available()
    if ok:
        dctx = EdaContext(cache=False, sandbox="docker")
        ws = Workspace(dctx, "perf")
        ws.step("warmup", ["true"])
        med, _ = median_time(lambda: ws.step("t", ["true"]), n)
        results["cmd_docker_warm_s"] = {"median": med}
        results["docker_warm_overhead_vs_bare_ms"] = {"median": (med - bare) * 1000, "target": 20.0}
        med, ts = median_time(lambda: flow(dctx), max(3, args.reps // 2))
        results["systolic8x8_lint_sim_synth_docker_s"] = {"median": med, "runs": ts}
        results["docker_vs_bwrap_flow_ratio"] = {"median": med / results["systolic8x8_lint_sim_synth_s"]["median"]}
    else:
        print(f"docker backend skipped: {why}")

    print(f"{'metric':40s} {'median':>10s} {'target':>8s}")
    for k, v in results.items():
        tgt = v.get("target")
        ok = "" if tgt is None else ("  ok" if v["median"] <= tgt else "  MISSED")
        print(f"{k:40s} {v['median']:10.3f} {'' if tgt is None else f'{tgt:8.2f}'}{ok}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
