#!/usr/bin/env python3
"""Benchmark-harness targets: VerilogEval reference run wall time, repeat (resume) time, peak
memory, and verdict parity with the official recipe, problem by problem.

- ours: ``rtlsmith bench verilog-eval --provider reference --jobs J`` into a fresh dir (median
  of --repeat runs), then the same command again (every sample already scored);
- official recipe: for each problem, the Makefile's commands run as it runs them (bash:
  ``iverilog -Wall -Winfloop -Wno-timescale -g2012 -s tb -o BIN sample test ref &> log;
  timeout 30 ./BIN &>> log; TIMEOUT on exit 124``), J at a time, no sandbox; its logs are
  classified with the official taxonomy and compared with ours;
- peak RSS of the harness process (in-process run, ru_maxrss of this process only).

Usage: python benchmarks/perf/bench_harness.py --dataset ../shared/benchmarks/verilog-eval
          [--jobs 2] [--repeat 3] [--sandbox bwrap] [--json OUT]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

FLAGS = "-Wall -Winfloop -Wno-timescale -g2012 -s tb"


def official_recipe(dataset: Path, jobs: int, work: Path) -> tuple[dict[str, str], float]:
    from rtlsmith.benchmarks.adapters.verilog_eval import classify
    d = dataset.resolve() / "dataset_spec-to-rtl"
    probs = sorted(p.name[: -len("_test.sv")] for p in d.glob("Prob*_test.sv"))

    def one(pid: str) -> tuple[str, str]:
        w = work / pid
        w.mkdir(parents=True)
        sample = (d / f"{pid}_ref.sv").read_text().replace("module RefModule", "module TopModule")
        (w / "s.sv").write_text(sample)
        script = (f"iverilog {FLAGS} -o bin s.sv {d}/{pid}_test.sv {d}/{pid}_ref.sv &> log; "
                  "timeout 30 ./bin &>> log; if [[ $? == 124 ]]; then echo TIMEOUT &>> log; fi")
        subprocess.run(["bash", "-c", script], cwd=w, check=False)
        return pid, classify((w / "log").read_text(errors="replace"), sample)[0]

    t0 = time.monotonic()
    with ThreadPoolExecutor(jobs) as pool:
        res = dict(pool.map(one, probs))
    return res, time.monotonic() - t0


def cli(args: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "rtlsmith.cli", "bench", *args], capture_output=True, text=True)
    return time.monotonic() - t0, r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", type=Path, required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--sandbox", default="bwrap")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="rtlsmith-perf-bench-"))
    os.chmod(tmp, 0o755)
    base = ["verilog-eval", "--dataset", str(a.dataset), "--jobs", str(a.jobs), "--sandbox", a.sandbox, "--json"]
    fresh = []
    for i in range(a.repeat):
        secs, r = cli([*base, "--out", str(tmp / f"run{i}")])
        if r.returncode != 0:
            print(r.stderr, file=sys.stderr)
            return 1
        fresh.append(secs)
        summary = json.loads(r.stdout)
    again, r2 = cli([*base, "--out", str(tmp / "run0")])
    off, off_secs = official_recipe(a.dataset, a.jobs, tmp / "official")
    ours = {json.loads(p.read_text())["problem"]: json.loads(p.read_text())["failure_class"]
            for p in (tmp / "run0").glob("samples/*/sample01.json")}
    diff = sorted(p for p in off if off[p] != ours.get(p))
    # peak memory: one more fresh run inside this process
    from rtlsmith.benchmarks.harness import BenchConfig, run_bench
    run_bench(BenchConfig(benchmark="verilog-eval", dataset=a.dataset, out=tmp / "inproc", jobs=a.jobs,
                          sandbox=a.sandbox), log=lambda m: None)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rep = {
        "problems": len(off), "jobs": a.jobs, "sandbox": a.sandbox,
        "ours_fresh_s": [round(x, 2) for x in fresh], "ours_fresh_median_s": round(statistics.median(fresh), 2),
        "ours_repeat_s": round(again, 2), "official_recipe_s": round(off_secs, 2),
        "speedup_vs_official_recipe": round(off_secs / statistics.median(fresh), 2),
        "ours_passed": summary["passed"], "ours_strict_passed": summary["strict_passed"],
        "official_passed": sum(c == "." for c in off.values()),
        "verdict_differences": diff, "peak_rss_mb": round(rss_mb, 1),
        "failing": {p: c for p, c in sorted(ours.items()) if c != "."},
    }
    print(json.dumps(rep, indent=2))
    if a.json:
        a.json.write_text(json.dumps(rep, indent=2))
    return 0 if not diff else 1


if __name__ == "__main__":
    sys.exit(main())
