"""Benchmark data lives outside the repo (../shared/benchmarks beside the clone, or
$RTLSMITH_BENCH_DATA); tests that need it skip with the reason when it is absent."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def bench_root() -> Path:
    return Path(os.environ.get("RTLSMITH_BENCH_DATA", REPO.parent / "shared" / "benchmarks"))


@pytest.fixture
def verilog_eval_dir() -> Path:
    d = bench_root() / "verilog-eval"
    if not (d / "dataset_spec-to-rtl").is_dir():
        pytest.skip(f"VerilogEval data not found at {d} (set RTLSMITH_BENCH_DATA)")
    return d
