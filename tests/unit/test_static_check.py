"""The pyslang gate over untrusted HDL (no simulator needed)."""
import pytest

from rtlsmith.errors import SandboxViolation
from rtlsmith.sandbox.static_check import check_text, enforce
from rtlsmith.types import DesignFiles


def _found(src, allow=frozenset()):
    return [(f.line, f.construct) for f in check_text("d.v", src, allow)]


def test_clean_design_passes():
    assert _found("module m(input a, output y);\n assign y = ~a;\n initial $display(\"hi\");\nendmodule\n") == []


def test_system_and_c_refused_with_line():
    src = "module m;\ninitial begin\n  $system(\"id\");\n  $c(\"abort();\");\nend\nendmodule\n"
    assert _found(src) == [(3, "$system"), (4, "$c")]


def test_macro_pasted_system_reported_at_definition_and_use_site():
    src = "`define S $sys``tem\nmodule m;\ninitial `S(\"id\");\nendmodule\n"
    assert sorted(_found(src)) == [(1, "$system"), (3, "$system")]


def test_denied_task_in_header_define_and_width_suffixed_c():
    # a header's macro is never expanded when the header is checked alone: its body is checked
    assert _found("`define RUN(x) \\\n  $c32(x)\n") == [(1, "$c32")]
    assert _found("module m;\ninitial $cpure8(\"x\");\nendmodule\n") == [(2, "$cpure8")]
    assert _found("module m;\n`systemc_header\n#include <x>\n`verilog\nendmodule\n")[0] == (2, "`systemc_header")


def test_dpi_import_refused():
    assert _found('module m;\nimport "DPI-C" function int f();\nendmodule\n') == [(2, 'import "DPI-C"')]


@pytest.mark.parametrize("call,ok", [
    ('$fopen("out.txt", "w")', True), ('$fopen("/etc/passwd")', False), ('$fopen("../x", "w")', False),
    ("$fopen(name)", False), ('$readmemh("d/mem.hex", mem)', True), ('$readmemh("/x.hex", mem)', False),
    ("$readmemh(fname, mem)", False), ('$writememh("~/x", mem)', False), ('$dumpfile("w.vcd")', True),
])
def test_path_tasks(call, ok):
    src = f"module m;\nreg [7:0] mem[0:3]; reg [80:1] name, fname; integer f;\ninitial f = {call};\nendmodule\n"
    src = src.replace("f = $readmem", "$readmem").replace("f = $writemem", "$writemem").replace("f = $dump", "$dump")
    assert (_found(src) == []) is ok


def test_include_outside_workdir_refused_without_reading_it():
    src = '`include "/etc/shadow"\n`include "../../x.vh"\n`include "ok.vh"\nmodule m; endmodule\n'
    assert _found(src) == [(1, "`include"), (2, "`include")]


def test_allow_overrides_and_enforce_message():
    src = 'module m;\ninitial $system("id");\nendmodule\n'
    assert _found(src, frozenset({"$system"})) == []
    with pytest.raises(SandboxViolation, match=r"top.v:2: \$system") as e:
        enforce(DesignFiles({"top.v": src, "notes.txt": "$system"}))
    assert len(e.value.findings) == 1  # non-HDL files are not HDL-checked
