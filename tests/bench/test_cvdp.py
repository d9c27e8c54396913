"""CVDP adapter: loading both JSONL shapes, the replayed test_runner.py, the official verdict
(every cocotb test passes) and the strict one (the tests that ran are the module's tests).

The real example (cvdp_copilot_lfsr_0001) is read from ../shared/benchmarks/cvdp (or
$RTLSMITH_BENCH_DATA/cvdp); the tests that need it skip when it is absent. Variants are built
in tmp_path from a copy of its dict; no dataset content lives in the repo.
"""
from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest

from rtlsmith.benchmarks.adapters import get_adapter
from rtlsmith.benchmarks.adapters.cocotb_verdict import cocotb_tests
from rtlsmith.benchmarks.adapters.cvdp import (CvdpAdapter, _judge, apply_patch, parse_env,
                                               runs_from_records)
from rtlsmith.benchmarks.core import ScoreJob
from rtlsmith.errors import InputError
from rtlsmith.types import SimResult
from rtlsmith.types import TestOutcome as Outcome  # not Test*: pytest would try to collect it

REPO = Path(__file__).resolve().parents[2]
RTL = "rtl/lfsr_8bit.sv"


def _cvdp_dir() -> Path:
    return Path(os.environ.get("RTLSMITH_BENCH_DATA", REPO.parent / "shared" / "benchmarks")) / "cvdp"


@pytest.fixture(scope="module")
def datapoint() -> dict:
    f = _cvdp_dir() / "examples.jsonl"
    if not f.is_file():
        pytest.skip(f"CVDP example data not found at {f} (set RTLSMITH_BENCH_DATA)")
    return json.loads(f.read_text().splitlines()[0])


@pytest.fixture(scope="module")
def problem(datapoint):
    return CvdpAdapter().load(_cvdp_dir(), "non-agentic")[0]


def write_jsonl(tmp_path: Path, *dps: dict, name: str = "d.jsonl") -> Path:
    f = tmp_path / name
    f.write_text("".join(json.dumps(d) + "\n" for d in dps))
    return f


def score(problem, files, timeout_s=20.0):
    return CvdpAdapter().score(ScoreJob("cvdp", problem, 0, files, sandbox=os.environ.get("RTLSMITH_SANDBOX"),
                                        timeout_s=timeout_s))


def variant(datapoint, tmp_path, *, env=None, runner=None, files=None, drop=()) -> object:
    """The real datapoint with harness edits, loaded back through the adapter."""
    d = copy.deepcopy(datapoint)
    d["id"] = "cvdp_copilot_variant_0001"
    h = d["harness"]["files"]
    if env is not None:
        h["src/.env"] = env
    if runner is not None:
        h["src/test_runner.py"] = runner
    h.update(files or {})
    for k in drop:
        h.pop(k)
    return CvdpAdapter().load(write_jsonl(tmp_path, d), "non-agentic")[0]


# ------------------------------------------------------------------ loading (no tools)

def test_loads_the_real_example(problem, datapoint):
    assert get_adapter("cvdp").name == "cvdp"
    assert problem.id == "cvdp_copilot_lfsr_0001" and problem.task == "non-agentic"
    assert problem.top == "lfsr_8bit"
    assert problem.completion_file == RTL
    assert problem.reference == datapoint["output"]["context"]
    assert {"src/.env", "src/test_lfsr.py", "src/test_runner.py", "docker-compose.yml"} <= set(problem.harness)
    assert problem.meta["env"]["MODULE"] == "test_lfsr" and problem.meta["env"]["SIM"] == "icarus"
    assert problem.meta["categories"] == ["cid003", "easy"] and problem.meta["category"] == 3
    assert problem.prompt.startswith(datapoint["input"]["prompt"].rstrip())
    assert RTL in problem.prompt  # the model is told which file to write
    assert "test_lfsr" not in problem.prompt  # the harness is never shown


def test_malformed_jsonl_names_the_line(datapoint, tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_text(json.dumps(datapoint) + "\n\n{\"id\": \"x\", oops\n")
    with pytest.raises(InputError) as e:
        CvdpAdapter().load(f, "non-agentic")
    assert e.value.line == 3 and f"{f}:3:" in str(e.value)
    f.write_text(json.dumps({"id": "y", "something": 1}) + "\n")
    with pytest.raises(InputError, match=r":1: .*neither"):
        CvdpAdapter().load(f, "non-agentic")


def test_task_is_decided_by_shape(datapoint, tmp_path):
    with pytest.raises(InputError, match="--task non-agentic"):
        CvdpAdapter().load(write_jsonl(tmp_path, datapoint), "agentic")
    with pytest.raises(InputError, match="no task"):
        CvdpAdapter().load(write_jsonl(tmp_path, datapoint), "spec-to-rtl")


def test_agentic_reference_is_the_patch_applied(datapoint, tmp_path):
    ref = datapoint["output"]["context"][RTL]
    lines = ref.rstrip("\n").split("\n")
    agentic = {"id": "cvdp_agentic_lfsr_0001", "categories": ["cid003", "easy"], "system_message": "tools...",
               "prompt": "Implement rtl/lfsr_8bit.sv from docs/spec.md.",
               "context": {"docs/spec.md": "# LFSR\n", RTL: "module lfsr_8bit;\nendmodule\n"},
               "patch": {RTL: f"@@ -1,2 +1,{len(lines)} @@\n-module lfsr_8bit;\n-endmodule\n"
                              + "".join(f"+{ln}\n" for ln in lines)},
               "harness": datapoint["harness"]["files"]}  # the agentic shape has no "files" level
    p = CvdpAdapter().load(write_jsonl(tmp_path, agentic), "agentic")[0]
    assert p.task == "agentic" and p.top == "lfsr_8bit" and p.completion_file == RTL
    assert p.reference == {RTL: ref.rstrip("\n") + "\n"}
    assert "docs/spec.md" in p.prompt and p.meta["system_message"] == "tools..."


def test_apply_patch_new_file_offsets_and_mismatch():
    assert apply_patch("", "@@ -0,0 +1,2 @@\n+a\n+b") == "a\nb\n"
    orig = "l1\nl2\nl3\nl4\n"
    # header line numbers off by one: found nearby, as `patch` does
    assert apply_patch(orig, "--- a/f\n+++ b/f\n@@ -3,2 +3,2 @@\n l2\n-l3\n+L3\n") == "l1\nl2\nL3\nl4\n"
    with pytest.raises(ValueError, match="does not match"):
        apply_patch(orig, "@@ -1,1 +1,1 @@\n-nope\n+x\n")


def test_env_parsing_and_static_test_discovery():
    env = parse_env("SIM = icarus\n# c\nVERILOG_SOURCES=/code/rtl/a.sv /code/rtl/b.sv\nX='1 2'\n")
    assert env == {"SIM": "icarus", "VERILOG_SOURCES": "/code/rtl/a.sv /code/rtl/b.sv", "X": "1 2"}
    src = ("import cocotb\nfrom cocotb import test as t\nfrom lib import *\n"
           "@cocotb.test()\nasync def a(dut): pass\n@t\nasync def b(dut): pass\n"
           "@cocotb.test(name='renamed')\nasync def c(dut): pass\n"
           "@cocotb.test()\n@cocotb.parametrize(x=[1, 2])\nasync def d(dut, x): pass\n"
           "async def helper(dut): pass\n")
    lib = "import cocotb\n@cocotb.test()\nasync def from_lib(dut): pass\n"
    st = cocotb_tests(src, {"lib": lib})
    assert st.plain == {"a", "b", "renamed", "from_lib"} and st.parametrized == {"d"} and st.unknown is None
    assert cocotb_tests("from cocotb.regression import TestFactory\n").unknown


def test_runner_records_map_to_runs():
    env = parse_env("SIM=icarus\nVERILOG_SOURCES=/code/rtl/a.sv\nTOPLEVEL=a\nMODULE=test_a\nTARGET=9\nHASH=1\n")
    rec = {"sim": "icarus", "caller": "test_p[8]",
           "build": {"sources": ["/code/rtl/a.sv"], "hdl_toplevel": "a", "parameters": {"W": 8},
                     "timescale": ["1ns", "1ps"], "includes": ["/code/rtl"]},
           "test": {"hdl_toplevel": "a", "test_module": "test_a", "plusargs": ["+x=1"], "seed": 5,
                    "testcase": ["t1"], "extra_env": {"K": "v"}}}
    r = runs_from_records([rec], env)[0]
    assert (r.sim, r.sources, r.top, r.module) == ("icarus", ["/code/rtl/a.sv"], "a", "test_a")
    assert r.parameters == {"W": 8} and r.timescale == ("1ns", "1ps") and r.plusargs == ["+x=1"] and r.seed == 5
    assert r.extra_env["TARGET"] == "9" and r.extra_env["K"] == "v"  # the tests see the whole .env
    assert "COCOTB_TEST_FILTER" in r.extra_env and r.ignored == ["includes"]
    # no timescale given to the runner means none (as cocotb's runner): not our 1ns/1ps default
    rec["build"].pop("timescale")
    assert runs_from_records([rec], env)[0].timescale is None


def test_strict_needs_every_static_test(problem):
    """A results.xml holding fewer (or other) tests than the module defines passes the
    official rule but not the strict one (a run ended early, or the file was forged)."""
    spec = runs_from_records([{"sim": "icarus", "build": {}, "test": {}}], problem.meta["env"])[0]
    modules = {"test_lfsr": problem.harness["src/test_lfsr.py"]}

    def res(*names):
        return SimResult(passed=True, simulator="icarus", tests=[Outcome(name=n, passed=True) for n in names])
    full = _judge(spec, res("test_non_zero_1", "test_non_zero_2", "test_non_zero_3"), modules)
    assert full.cls == "." and full.strict_note is None
    short = _judge(spec, res("test_non_zero_1"), modules)
    assert short.cls == "." and "missing" in short.strict_note
    forged = _judge(spec, res("test_non_zero_1", "test_non_zero_2", "test_non_zero_3", "made_up"), modules)
    assert "unexpected" in forged.strict_note


def test_commercial_simulator_is_skipped_not_failed(datapoint, tmp_path):
    env = datapoint["harness"]["files"]["src/.env"].replace("icarus", "xcelium")
    p = variant(datapoint, tmp_path, env=env)
    r = score(p, dict(p.reference))
    assert r.skipped and r.failure_class == "K" and r.reason == "skipped: needs xcelium"
    assert not r.official_pass and not r.strict_pass


def test_commercial_image_and_comprehension_are_skipped(datapoint, tmp_path):
    compose = "services:\n  xrun:\n    image: __VERIF_EDA_IMAGE__\n    command: pytest /src/process.py -v -s\n"
    p = variant(datapoint, tmp_path, files={"docker-compose.yml": compose})
    assert score(p, dict(p.reference)).reason.startswith("skipped: needs xcelium")
    d = copy.deepcopy(datapoint)
    d["categories"] = ["cid009", "easy"]
    q = CvdpAdapter().load(write_jsonl(tmp_path, d, name="c.jsonl"), "non-agentic")[0]
    r = score(q, {"x.txt": "an explanation"})
    assert r.skipped and "BLEU" in r.reason


# ------------------------------------------------------------------ real simulation

@pytest.mark.eda
def test_reference_passes_official_and_strict(problem):
    r = score(problem, dict(problem.reference))
    assert r.official_pass and r.strict_pass and r.failure_class == ".", r.log_text[-3000:]
    assert r.tool_versions.get("iverilog") and r.tool_versions.get("cocotb")
    for name in ("test_non_zero_1", "test_non_zero_2", "test_non_zero_3"):
        assert f"pass  {name}" in r.log_text
    assert "timescale=('1ns', '1ns')" in r.log_text  # the official runner's timescale


@pytest.mark.eda
def test_wrong_tap_fails_with_R(problem):
    wrong = problem.reference[RTL].replace("assign q2 = lfsr_out[5]", "assign q2 = lfsr_out[4]")
    assert wrong != problem.reference[RTL]
    # a single file under a name the problem does not know is taken as the completion file
    r = score(problem, {"sample.sv": wrong})
    assert not r.official_pass and not r.strict_pass and r.failure_class == "R"
    assert "cocotb test(s) failed" in r.reason and "FAIL  test_non_zero_1" in r.log_text


@pytest.mark.eda
def test_syntax_error_fails_at_build(problem):
    bad = problem.reference[RTL].replace("logic q1,q2,q3;", "logic q1,q2,q3")
    r = score(problem, {RTL: bad})
    assert not r.official_pass and r.failure_class in ("S", "C")
    assert r.failure_class == "S" and "syntax error" in r.log_text  # Icarus says "syntax error"


@pytest.mark.eda
def test_finish_at_time_zero_does_not_strict_pass(problem):
    early = problem.reference[RTL].replace("endmodule", "initial $finish;\nendmodule")
    r = score(problem, {RTL: early})
    assert not r.strict_pass and not r.official_pass and r.failure_class == "R"


@pytest.mark.eda
def test_missing_source_and_gate(problem):
    r = score(problem, {"rtl/other.sv": "module other; endmodule\n", "rtl/x.sv": "module x; endmodule\n"})
    assert r.failure_class == "C" and "does not provide rtl/lfsr_8bit.sv" in r.reason
    hostile = problem.reference[RTL].replace("endmodule", 'initial $system("id");\nendmodule')
    r = score(problem, {RTL: hostile})
    assert r.failure_class == "X" and "$system" in r.reason


@pytest.mark.eda
def test_never_finishing_design_times_out(problem):
    # a zero-delay loop Icarus does not refuse at compile time: simulated time never advances
    hang = problem.reference[RTL].replace("endmodule", "reg h = 0;\nalways begin h <= ~h; @(h); end\nendmodule")
    r = score(problem, {RTL: hang}, timeout_s=3.0)
    assert r.failure_class == "T" and not r.official_pass


PARAM_RTL = """module lfsr_8bit #(parameter W = 1) (input clock, output [W-1:0] width_out);
  assign width_out = {W{1'b1}};
endmodule
"""
PARAM_TEST = """import os
import cocotb
from cocotb.triggers import Timer

@cocotb.test()
async def width_follows_parameter(dut):
    await Timer(1, unit="ns")
    assert len(dut.width_out) == int(os.environ["EXPECT_W"]), len(dut.width_out)
    assert os.environ["TARGET"] == "7"
"""
PARAM_RUNNER = """import os
import pytest
from cocotb_tools.runner import get_runner

def runner(W):
    r = get_runner(os.getenv("SIM", "icarus"))
    r.build(sources=os.getenv("VERILOG_SOURCES").split(), hdl_toplevel=os.getenv("TOPLEVEL"),
            parameters={"W": W}, always=True, timescale=("1ns", "1ps"))
    r.test(hdl_toplevel=os.getenv("TOPLEVEL"), test_module=os.getenv("MODULE"), extra_env={"EXPECT_W": str(W)})

@pytest.mark.parametrize("W", [3, pytest.param(5)])
def test_widths(W):
    runner(W)
"""


@pytest.mark.eda
def test_parametrized_runner_is_replayed(datapoint, tmp_path):
    env = datapoint["harness"]["files"]["src/.env"].replace("MODULE          = test_lfsr", "MODULE = test_param")
    p = variant(datapoint, tmp_path, env=env + "\nTARGET = 7\n", runner=PARAM_RUNNER,
                files={"src/test_param.py": PARAM_TEST}, drop=("src/test_lfsr.py",))
    r = score(p, {RTL: PARAM_RTL})
    assert r.official_pass and r.strict_pass, r.log_text[-3000:]
    assert "run 1/2 test_widths[3]" in r.log_text and "run 2/2 test_widths[5]" in r.log_text
    assert "parameters={'W': 5}" in r.log_text
    # the harness's own failure in one parametrization fails the sample
    r = score(p, {RTL: PARAM_RTL.replace("{W{1'b1}}", "1'b1").replace("[W-1:0]", "")})
    assert r.failure_class == "R" and not r.official_pass


@pytest.mark.eda
def test_broken_harness_is_infrastructure(datapoint, problem, tmp_path):
    p = variant(datapoint, tmp_path, runner="import no_such_module_here\n")
    r = score(p, dict(problem.reference))
    assert r.failure_class == "I" and "no_such_module_here" in r.log_text


def test_simulate_cocotb_build_options_argv():
    """The additive simulate_cocotb options, spelt as cocotb_tools.runner spells them."""
    from rtlsmith.eda_tools.simulate import _with_options
    ic = _with_options([["iverilog", "-g2012", "-o", "b/sim.vvp"]], "icarus", "top", {"W": 8}, {"D": 1}, None)
    assert ic == [["iverilog", "-DD=1", "-Ptop.W=8", "-g2012", "-o", "b/sim.vvp"]]
    vl = _with_options([["verilator", "-cc", "--timescale", "1ns/1ps", "a.sv"], ["make"]], "verilator", "top",
                       {"W": 8}, None, ("1ns", "1ns"))
    assert vl == [["verilator", "-GW=8", "-cc", "--timescale", "1ns/1ns", "a.sv"], ["make"]]
