"""Shared fixtures. Every test gets a private result cache so tiers never see each other's hits."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("RTLSMITH_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("RTLSMITH_QUIET_LOCAL", "1")
    # tiers name their backend: bwrap unless a run asks for another (the docker tier passes
    # it explicitly); `auto` would pick docker wherever an engine and the image happen to be
    monkeypatch.setenv("RTLSMITH_SANDBOX", os.environ.get("RTLSMITH_TEST_SANDBOX", "bwrap"))


@pytest.fixture(autouse=True)
def _traversable_tmp(tmp_path):
    """As root the bwrap sandbox runs as uid 65534, which must be able to reach a work dir
    under tmp_path: pytest makes its temp tree 0700, so open the path (o+x, not listable)."""
    for p in [tmp_path, *tmp_path.parents]:
        if p == Path("/tmp") or p == Path("/"):
            break
        p.chmod(p.stat().st_mode | 0o011)


@pytest.fixture
def data_dir() -> Path:
    return DATA


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say how many docker-backend cases actually ran (the docker tier may be skipped)."""
    ran = skipped = 0
    for key in ("passed", "failed"):
        for rep in terminalreporter.stats.get(key, []):
            if "docker" in rep.nodeid and rep.when == "call":
                ran += 1
    for rep in terminalreporter.stats.get("skipped", []):
        if "docker" in rep.nodeid:
            skipped += 1
    terminalreporter.write_line(f"docker tier: {ran} docker-backend test(s) ran, {skipped} skipped")


def bench_root() -> Path:
    """Benchmark data lives outside the repo: ../shared/benchmarks beside the clone, or
    $RTLSMITH_BENCH_DATA; tests that need it skip with the reason when it is absent."""
    return Path(os.environ.get("RTLSMITH_BENCH_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"))


@pytest.fixture
def verilog_eval_dir() -> Path:
    d = bench_root() / "verilog-eval"
    if not (d / "dataset_spec-to-rtl").is_dir():
        pytest.skip(f"VerilogEval data not found at {d} (set RTLSMITH_BENCH_DATA)")
    return d


def default_sigint() -> None:
    """preexec_fn for a child that must get Ctrl-C: a shell runs background jobs (`cmd &`,
    as CI wrappers do) with SIGINT ignored, the child inherits that, and Python then never
    raises KeyboardInterrupt. Restore the default so the child installs its handler."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)
