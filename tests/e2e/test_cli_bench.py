"""`rtlsmith bench` as a user runs it: exit codes, clear errors, the summary schema."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import bench_root

RTLSMITH = [sys.executable, "-m", "rtlsmith.cli"]


def cli(*args):
    return subprocess.run([*RTLSMITH, *map(str, args)], capture_output=True, text=True, timeout=600)


def test_bench_help_explains_and_shows_examples():
    r = cli("bench", "--help")
    assert r.returncode == 0
    for s in ("verilog-eval", "rtllm", "cvdp", "--provider", "--samples", "--jobs", "--redo", "--executor",
              "examples:", "strict"):
        assert s in r.stdout, s


def test_bench_bad_inputs_exit_2_with_a_reason(tmp_path):
    r = cli("bench", "verilog-eval", "--dataset", tmp_path / "nope", "--out", tmp_path / "o")
    assert r.returncode == 2 and "dataset path does not exist" in r.stderr and "Traceback" not in r.stderr
    ve = bench_root() / "verilog-eval"
    if not ve.is_dir():
        pytest.skip("VerilogEval data absent")
    r = cli("bench", "verilog-eval", "--dataset", ve, "--provider", "agent", "--out", tmp_path / "o")
    assert r.returncode == 2 and "--model" in r.stderr
    r = cli("bench", "verilog-eval", "--dataset", ve, "--provider", "samples", "--out", tmp_path / "o")
    assert r.returncode == 2 and "--samples-from" in r.stderr
    r = cli("bench", "verilog-eval", "--dataset", ve, "--task", "nope", "--out", tmp_path / "o")
    assert r.returncode == 2 and "spec-to-rtl" in r.stderr


@pytest.mark.eda
def test_bench_json_summary_schema(tmp_path):
    ve = bench_root() / "verilog-eval"
    if not ve.is_dir():
        pytest.skip("VerilogEval data absent")
    r = cli("bench", "verilog-eval", "--dataset", ve, "--problems", "Prob00[1-4]*", "--out", tmp_path / "o",
            "--json", "-j", "2")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    for k in ("benchmark", "task", "provider", "model", "passed", "total", "pass_at_k", "by_class",
              "tool_versions", "dataset_digest", "strict_passed", "errata"):
        assert k in s, k
    assert (s["benchmark"], s["task"], s["provider"], s["passed"], s["total"]) == \
           ("verilog-eval", "spec-to-rtl", "reference", 4, 4)
    assert s["by_class"] == {".": 4} and s["pass_at_k"] == {"1": 1.0}
    assert s["tool_versions"]["iverilog"]
    r = cli("bench", "verilog-eval", "--dataset", ve, "--problems", "Prob00[1-4]*", "--out", tmp_path / "o")
    assert r.returncode == 0 and "strict 4/4" in r.stdout and "report.html" in r.stdout
