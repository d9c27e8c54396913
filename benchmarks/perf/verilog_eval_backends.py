#!/usr/bin/env python3
"""VerilogEval v2 spec-to-rtl, reference solutions, on two sandbox backends: verdicts and wall time.

Each problem's reference (module RefModule renamed TopModule, as VerilogEval's reference
check does) is compiled with its testbench and the reference and run; pass = the plain
testbench verdict (exit 0, ``Mismatches: 0 in N samples``, no ERROR/TIMEOUT line). This
is a measurement script for the docker-sandbox targets (docker <= 1.5x bwrap, verdict
differences Icarus 11 vs 12), not the benchmark harness.

Usage: python benchmarks/perf/verilog_eval_backends.py --dataset ../shared/benchmarks/verilog-eval \\
          [--backends bwrap docker] [--jobs 2] [--json OUT]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def problems(dataset: Path) -> list[tuple[str, dict[str, str]]]:
    d = dataset / "dataset_spec-to-rtl"
    out = []
    for test in sorted(d.glob("Prob*_test.sv")):
        name = test.name[: -len("_test.sv")]
        ref = (d / f"{name}_ref.sv").read_text()
        out.append((name, {"test.sv": test.read_text(), "ref.sv": ref,
                           "sample.sv": ref.replace("module RefModule", "module TopModule")}))
    return out


def run_all(backend: str, probs, jobs: int) -> tuple[dict[str, bool], float, dict[str, str]]:
    from rtlsmith.eda_tools.base import EdaContext
    from rtlsmith.eda_tools.simulate import run_testbench
    from rtlsmith.types import DesignFiles
    ctx = EdaContext(sandbox=backend, cache=False)

    def one(p):
        name, files = p
        r = run_testbench(DesignFiles(files), "tb", "icarus", timeout=30, ctx=ctx)
        return name, r.passed, (r.error or "")

    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        res = list(pool.map(one, probs))
    return {n: ok for n, ok, _ in res}, time.monotonic() - t0, {n: e for n, ok, e in res if not ok}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", type=Path, required=True)
    ap.add_argument("--backends", nargs="+", default=["bwrap", "docker"])
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    os.environ["RTLSMITH_CACHE_DIR"] = tempfile.mkdtemp(prefix="rtlsmith-ve-cache-")
    probs = problems(args.dataset)
    if not probs:
        print(f"no problems under {args.dataset}/dataset_spec-to-rtl", file=sys.stderr)
        return 2
    report = {}
    for b in args.backends:
        verdicts, secs, errors = run_all(b, probs, args.jobs)
        report[b] = {"passed": sum(verdicts.values()), "total": len(verdicts), "seconds": round(secs, 2),
                     "verdicts": verdicts, "failures": errors}
        print(f"{b:8s} {sum(verdicts.values())}/{len(verdicts)} pass in {secs:.1f} s (jobs={args.jobs})")
        for n, e in errors.items():
            print(f"    FAIL {n}: {e[:120]}")
    if len(args.backends) == 2:
        a, b = args.backends
        diff = sorted(n for n in report[a]["verdicts"] if report[a]["verdicts"][n] != report[b]["verdicts"][n])
        ratio = report[b]["seconds"] / report[a]["seconds"]
        print(f"{b}/{a} wall-time ratio: {ratio:.2f}; verdict differences: {diff or 'none'}")
        report["ratio"], report["differences"] = ratio, diff
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
