"""RTLLM v2 adapter: loading the design folders, the official verdict (banners + exit code),
the strict verdict (nonce in the testbench's pass banner), data files read by relative path.

Dataset-backed tests read ../shared/benchmarks/rtllm (or $RTLSMITH_BENCH_DATA/rtllm) and skip
when it is absent; the verdict-parsing and synthetic-dataset tests always run.
"""
from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import pytest

from rtlsmith.benchmarks.adapters import get_adapter
from rtlsmith.benchmarks.adapters.rtllm import RtllmAdapter, inject_nonce, official_verdict
from rtlsmith.benchmarks.core import ScoreJob
from rtlsmith.errors import InputError

REPO = Path(__file__).resolve().parents[2]


def _rtllm_dir() -> Path:
    return Path(os.environ.get("RTLSMITH_BENCH_DATA", REPO.parent / "shared" / "benchmarks")) / "rtllm"


@pytest.fixture(scope="module")
def problems():
    d = _rtllm_dir()
    if not d.is_dir():
        pytest.skip(f"RTLLM data not found at {d} (set RTLSMITH_BENCH_DATA)")
    return {p.id: p for p in RtllmAdapter().load(d, "spec-to-rtl")}


def score(problem, files, timeout_s=20.0):
    return RtllmAdapter().score(ScoreJob("rtllm", problem, 0, files, sandbox=os.environ.get("RTLSMITH_SANDBOX"),
                                         timeout_s=timeout_s))


ADDER_HDR = "module adder_8bit(input [7:0] a, input [7:0] b, input cin, output [7:0] sum, output cout);\n"


# --- loading -----------------------------------------------------------------------------------

def test_registered_and_load_counts_every_design_folder(problems):
    assert isinstance(get_adapter("rtllm"), RtllmAdapter)
    d = _rtllm_dir()
    folders = [Path(root) for root, _, names in os.walk(d) if "makefile" in names and "testbench.v" in names]
    assert len(problems) == len(folders) >= 30
    assert len(set(problems)) == len(problems)
    for p in problems.values():
        folder = d / p.meta["folder"]
        assert p.prompt == (folder / "design_description.txt").read_text()
        assert set(p.reference) == {p.completion_file} and p.completion_file == f"{p.top}.v"
        ref = p.reference[p.completion_file]
        assert re.search(rf"\bmodule\s+{re.escape(p.top)}\b", ref), p.id
        assert not re.search(r"\bmodule\s+verified_", ref), p.id
        assert "testbench.v" in p.harness
        assert not {"makefile", "design_description.txt"} & set(p.harness)
        assert not any(n.startswith("verified_") for n in p.harness)
        # every testbench has a pass-banner string the strict verdict can tag
        assert inject_nonce(p.harness["testbench.v"], "n")[1] >= 1, p.id


def test_top_is_the_module_the_testbench_instantiates(problems):
    # the makefile's TEST_DESIGN is wrong for these two; the reference module is renamed to match
    assert problems["multi_pipe_4bit"].top == "multi_pipe_4bit"
    assert problems["multi_pipe_4bit"].meta["test_design"] == "multi_pipe"
    assert problems["fixed_point_substractor"].top == "fixed_point_subtractor"
    assert set(problems["asyn_fifo"].harness) == {"testbench.v", "wfull.txt", "rempty.txt", "tdata.txt"}
    assert "dual_port_RAM" in problems["asyn_fifo"].reference["asyn_fifo.v"]


def _mini_design(folder: Path, top: str, tb_top: str = "tb") -> None:
    folder.mkdir(parents=True)
    (folder / "makefile").write_text(f"TEST_DESIGN = {top}\nvcs:\n\tvcs ${{TEST_DESIGN}}.v testbench.v\n")
    (folder / "design_description.txt").write_text(f"Module name:\n    {top}\n")
    (folder / f"verified_{top}.v").write_text(f"module verified_{top}(output y);\n assign y = 1'b1;\nendmodule\n")
    (folder / "testbench.v").write_text(
        f"module {tb_top};\n wire y;\n {top} dut(.y(y));\n initial begin #1;\n"
        f'  if (y === 1\'b1) $display("=== Your Design Passed ===");\n'
        f'  else $display("=== Error ===");\n $finish;\n end\nendmodule\n')
    (folder / "in.txt").write_text("1\n")


def test_duplicate_folder_names_get_category_prefix(tmp_path):
    _mini_design(tmp_path / "A" / "x" / "same", "same")
    _mini_design(tmp_path / "B" / "y" / "same", "same")
    _mini_design(tmp_path / "B" / "y" / "other", "other")
    ps = RtllmAdapter().load(tmp_path, "spec-to-rtl")
    assert sorted(p.id for p in ps) == ["A/x/same", "B/y/same", "other"]
    other = next(p for p in ps if p.id == "other")
    assert other.reference == {"other.v": "module other(output y);\n assign y = 1'b1;\nendmodule\n"}
    assert set(other.harness) == {"testbench.v", "in.txt"}


def test_load_rejects_non_dataset(tmp_path):
    with pytest.raises(InputError):
        RtllmAdapter().load(tmp_path, "spec-to-rtl")
    with pytest.raises(InputError):
        RtllmAdapter().load(tmp_path, "code-complete")


# --- verdict parsing (no tools) ------------------------------------------------------------------

@pytest.mark.parametrize("log, rc, timed_out, ok, count", [
    ("===========Your Design Passed===========\n", 0, False, True, None),
    ("=========== Your Design Passed ===========\n", 0, False, True, None),
    ("=========== Your Design Passed ===========\n=== Test completed with           0 failures ===\n", 0, False,
     True, 0),
    ("===========Test completed with           3 /100 failures===========\n", 0, False, False, 3),
    ("=========== Test completed with           2/20 failures ===========\n", 0, False, False, 2),
    ("Test completed with           1 errors.\n", 0, False, False, 1),
    ("===========Error===========          4\n", 0, False, False, None),
    ("=========== Failed ===========\n", 0, False, False, None),
    ("===========Your Design Passed===========\n===========Error===========\n", 0, False, False, None),
    ("some output\n", 0, False, False, None),
    ("===========Your Design Passed===========\n", 1, False, False, None),
    ("===========Your Design Passed===========\nTIMEOUT\n", None, True, False, None),
])
def test_official_verdict(log, rc, timed_out, ok, count):
    got, reason, n = official_verdict(log, rc, timed_out)
    assert got is ok and n == count
    assert bool(reason) is not ok


def test_inject_nonce_tags_only_string_literals():
    tb = ('// Your Design Passed\n$display("=========== Your Design Passed ===========");\n'
          '$display("===========Error===========");\n')
    out, n = inject_nonce(tb, "abc")
    assert n == 1
    assert '"=========== Your Design Passed rtlsmith-abc ==========="' in out
    assert out.startswith("// Your Design Passed\n")


# --- scoring with the real simulator -------------------------------------------------------------

@pytest.mark.eda
@pytest.mark.parametrize("pid", ["accu", "multi_pipe_4bit", "fixed_point_substractor"])
def test_reference_passes_official_and_strict(problems, pid):
    p = problems[pid]
    r = score(p, dict(p.reference))
    assert (r.official_pass, r.strict_pass, r.failure_class) == (True, True, "."), r.reason + r.log_text[-500:]
    assert re.search(r"Your Design Passed rtlsmith-[0-9a-f]{16}", r.log_text)
    assert r.tool_versions.get("iverilog")


@pytest.mark.eda
def test_wrong_completion_fails_R_with_failure_count(problems):
    r = score(problems["adder_8bit"], {"adder_8bit.v": ADDER_HDR + " assign {cout, sum} = a - b;\nendmodule\n"})
    assert (r.official_pass, r.strict_pass, r.failure_class) == (False, False, "R")
    assert r.mismatches and r.mismatches > 0 and "failure banner" in r.reason


@pytest.mark.eda
def test_syntax_error_fails_S_and_unknown_module_C(problems):
    r = score(problems["adder_8bit"], {"adder_8bit.v": ADDER_HDR.replace(");", ";") + "endmodule\n"})
    assert (r.official_pass, r.failure_class) == (False, "S")
    r = score(problems["adder_8bit"], {"x.v": "module adder8(input a);\nendmodule\n"})
    assert (r.official_pass, r.failure_class) == (False, "C")


@pytest.mark.eda
def test_hanging_completion_fails_T(problems):
    body = " reg r = 0;\n assign {cout, sum} = a + b + cin;\n initial forever r = ~r;\nendmodule\n"
    r = score(problems["adder_8bit"], {"adder_8bit.v": ADDER_HDR + body}, timeout_s=1)
    assert (r.official_pass, r.failure_class) == (False, "T")


@pytest.mark.eda
def test_forged_pass_banner_passes_official_not_strict(problems):
    body = (" assign {cout, sum} = 9'd0;\n"
            ' initial begin $display("===========Your Design Passed==========="); $finish; end\nendmodule\n')
    r = score(problems["adder_8bit"], {"adder_8bit.v": ADDER_HDR + body})
    assert (r.official_pass, r.strict_pass, r.failure_class) == (True, False, ".")
    assert "pass banner is missing" in r.reason


@pytest.mark.eda
def test_upward_reference_into_testbench_fails_strict(problems):
    body = (" assign {cout, sum} = a + b + cin;\n"
            ' initial #1 $display("peek %0d", testbench.error);\nendmodule\n')
    r = score(problems["adder_8bit"], {"adder_8bit.v": ADDER_HDR + body})
    assert (r.official_pass, r.strict_pass) == (True, False)
    assert "hierarchical" in r.reason


@pytest.mark.eda
def test_static_gate_refuses_system_X(problems):
    body = ' assign {cout, sum} = a + b + cin;\n initial $system("true");\nendmodule\n'
    r = score(problems["adder_8bit"], {"adder_8bit.v": ADDER_HDR + body})
    assert (r.official_pass, r.failure_class) == (False, "X")


@pytest.mark.eda
def test_data_files_are_read_by_relative_path(problems):
    # signal_generator $readmemh("tri_gen.txt"), multi_booth_8bit $fopen(`TESTFILE): both pass
    for pid in ("signal_generator", "multi_booth_8bit"):
        p = problems[pid]
        r = score(p, dict(p.reference))
        assert (r.official_pass, r.strict_pass) == (True, True), (pid, r.reason, r.log_text[-500:])
    # ...and the data file really is what the testbench compares against: without it the reference fails
    p = problems["signal_generator"]
    bare = dataclasses.replace(p, harness={"testbench.v": p.harness["testbench.v"]})
    r = score(bare, dict(p.reference))
    assert (r.official_pass, r.failure_class) == (False, "R")


@pytest.mark.eda
def test_completion_cannot_rewrite_the_expected_values_file(problems):
    # in a plain copy of the folder this completion passes (its initial block runs before the
    # testbench's $readmemh and overwrites tri_gen.txt with zeros); the adapter renames the data
    # files the testbench reads, so the forged file is never read
    forge = ("module signal_generator(input clk, input rst_n, output [4:0] wave);\n"
             " assign wave = 5'd0;\n integer f, k;\n"
             ' initial begin f = $fopen("tri_gen.txt", "w"); for (k = 0; k < 100; k = k + 1) $fdisplay(f, "0");'
             " $fclose(f); end\nendmodule\n")
    r = score(problems["signal_generator"], {"signal_generator.v": forge})
    assert (r.official_pass, r.strict_pass, r.failure_class) == (False, False, "R")
