#!/usr/bin/env python3
"""Template-library targets (accelerator issue), medians of --reps runs on this machine:

  1. `rtlsmith regress --sim icarus` over every family and regress set, result cache off
     (target <= 60 s on 2 cores);
  2. `rtlsmith regress --sim verilator`, ccache warm (a first run fills it), cache off
     (target <= 120 s);
  3. `rtlsmith design rtl_templates/examples/gemm_8x8_int8.md` (what `make demo` runs: DSE of
     6 points + cocotb + waveform), result cache off (target <= 60 s).

Usage: python benchmarks/perf/templates_perf.py [--reps 3] [--sandbox bwrap] [--only regress-icarus ...]
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

ROOT = Path(__file__).resolve().parents[2]


def timed(argv: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT)
    return time.monotonic() - t0, r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--sandbox", default="bwrap")
    ap.add_argument("--only", action="append", choices=["regress-icarus", "regress-verilator", "demo"])
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    cli = [sys.executable, "-m", "rtlsmith.cli"]
    env = {**os.environ, "RTLSMITH_NO_CACHE": "1"}
    jobs = {
        "regress-icarus": [*cli, "regress", "--sim", "icarus", "--no-cache", "--sandbox", a.sandbox, "--json"],
        "regress-verilator": [*cli, "regress", "--sim", "verilator", "--no-cache", "--sandbox", a.sandbox, "--json"],
        "demo": [*cli, "design", "rtl_templates/examples/gemm_8x8_int8.md", "--no-cache", "--sandbox", a.sandbox,
                 "--json", "--out", str(Path(tempfile.mkdtemp()) / "demo")],
    }
    report = {}
    for name in a.only or list(jobs):
        if name == "regress-verilator":
            timed(jobs[name], env)  # warm ccache (a fresh machine's first build compiles everything)
        ts = []
        for _ in range(a.reps):
            secs, r = timed(jobs[name], env)
            if r.returncode not in (0,):
                print(f"{name} failed (exit {r.returncode}):\n{r.stderr[-2000:]}", file=sys.stderr)
                return 1
            ts.append(round(secs, 2))
        report[name] = {"median_s": statistics.median(ts), "runs_s": ts}
        if name.startswith("regress"):
            rows = json.loads(r.stdout)["rows"]
            report[name]["runs"] = len(rows)
            report[name]["slowest"] = sorted(((x["seconds"], x["family"]) for x in rows), reverse=True)[:3]
        print(name, json.dumps(report[name]))
    if a.json:
        a.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
