"""Real tools: Verilator, Icarus, Yosys, OpenSTA, nextpnr, in the bwrap sandbox."""
import time
from pathlib import Path

import pytest

from rtlsmith.eda_tools.base import EdaContext
from rtlsmith.eda_tools.lint import lint
from rtlsmith.eda_tools.simulate import run_testbench, simulate_cocotb
from rtlsmith.eda_tools.synth import synth
from rtlsmith.errors import ToolFailedError
from rtlsmith.types import DesignFiles

pytestmark = pytest.mark.eda
SIMS = ["icarus", "verilator"]


def files(data_dir, *names, rename=None):
    return DesignFiles({(rename or n): (data_dir / "hdl" / n).read_text() for n in names})


def test_lint_reports_file_line_and_excerpt(data_dir):
    r = lint(files(data_dir, "bad.v"))
    assert not r.ok
    tools = {d.tool for d in r.errors}
    assert tools == {"verilator", "iverilog"}
    syntax = [d for d in r.errors if d.line == 7]
    assert syntax and all(d.file == "bad.v" for d in r.errors)
    assert "█" in syntax[0].excerpt and "end" in syntax[0].excerpt


def test_lint_clean_design_and_cache(data_dir):
    ctx = EdaContext()
    r1 = lint(files(data_dir, "counter.v"), top="counter", ctx=ctx)
    assert r1.ok and not r1.errors and not r1.cached
    r2 = lint(files(data_dir, "counter.v"), top="counter", ctx=ctx)
    assert r2.cached and r2.diagnostics == r1.diagnostics
    assert r1.tool_versions["iverilog"] != "missing" and r1.tool_versions["verilator"] != "missing"


@pytest.mark.parametrize("sim", SIMS)
def test_plain_testbench_pass_and_fail(data_dir, sim):
    good = run_testbench(files(data_dir, "adder_tb.v"), "tb", sim)
    assert good.passed and good.mismatches == 0, good.log_tail
    bad_src = (data_dir / "hdl/adder_tb.v").read_text().replace("assign y = a + b;", "assign y = a - b;")
    bad = run_testbench(DesignFiles({"adder_tb.v": bad_src}), "tb", sim)
    assert not bad.passed and bad.mismatches and bad.mismatches > 0
    assert "mismatches" in bad.error


@pytest.mark.parametrize("sim", SIMS)
def test_testbench_compile_error_has_diagnostics(data_dir, sim):
    r = run_testbench(files(data_dir, "bad.v"), "bad", sim)
    assert not r.passed and r.error == "compile failed"
    assert any(d.file == "bad.v" and d.line for d in r.diagnostics)


@pytest.mark.parametrize("sim", SIMS)
def test_testbench_without_finish_times_out(sim):
    src = "module tb; reg c = 0; always #1 c = ~c; endmodule\n"
    t0 = time.monotonic()
    r = run_testbench(DesignFiles({"tb.v": src}), "tb", sim, timeout=2)
    assert r.timed_out and not r.passed and "timeout" in r.error
    assert time.monotonic() - t0 < (60 if sim == "verilator" else 10)


@pytest.mark.parametrize("sim", SIMS)
def test_cocotb_pass_and_named_failures(data_dir, sim):
    tests = data_dir / "cocotb"
    ok = simulate_cocotb(files(data_dir, "counter.v"), "counter", "test_counter", tests, sim)
    assert ok.passed and [t.name for t in ok.tests] == ["counts_when_enabled", "holds_when_disabled", "wraps_at_255"]
    bad = simulate_cocotb(files(data_dir, "counter_bug.v", rename="counter.v"), "counter", "test_counter", tests, sim)
    assert not bad.passed
    assert {t.name for t in bad.tests if not t.passed} == {"counts_when_enabled", "wraps_at_255"}
    assert "expected 5" in next(t.message for t in bad.tests if t.name == "counts_when_enabled")
    assert bad.log_path and Path(bad.log_path).exists()  # failing runs keep their logs


def test_cocotb_build_error(data_dir):
    r = simulate_cocotb(files(data_dir, "bad.v", rename="counter.v"), "counter", "test_counter",
                        data_dir / "cocotb", "icarus")
    assert not r.passed and r.error == "build failed" and r.diagnostics


def test_synth_ppa_on_real_cells(data_dir):
    rep = synth(files(data_dir, "mac.v"), "mac")
    assert rep.cells.value > 100 and rep.flops.value == 20
    assert rep.area_est.unit == "um2" and rep.area_est.value > 1000
    assert 0 < rep.critical_path_ns.value < 50 and rep.fmax_mhz_est.value > 10
    assert rep.logic_depth.value > 5
    assert rep.tool_versions["yosys"].startswith("0.")
    again = synth(files(data_dir, "mac.v"), "mac")
    assert again.cached and again.cells == rep.cells


def test_synth_ice40(data_dir):
    rep = synth(files(data_dir, "mac.v"), "mac", liberty=None, fpga="ice40")
    assert rep.fpga["fmax_mhz"].value > 10 and rep.fpga["lut"].value > 10
    assert rep.area_est is None


def test_synth_failure_is_typed(data_dir):
    with pytest.raises(ToolFailedError, match="yosys synthesis of 'bad' failed"):
        synth(files(data_dir, "bad.v"), "bad")
