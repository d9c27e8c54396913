"""extract_verilog on the shapes models really answer in."""
from __future__ import annotations

import pytest

from rtlsmith.agents.extract import extract_verilog

TOP = "TopModule"
MOD = "module TopModule(input a, output y);\n  assign y = a;\nendmodule\n"
IFC = "module TopModule (\n  input a,\n  output y\n);\n"


def ok(text: str, interface: str | None = None, top: str = TOP) -> str:
    code, err = extract_verilog(text, top, interface)
    assert err is None, err
    assert code is not None
    return code


def err(text: str, interface: str | None = None, top: str = TOP) -> str:
    code, error = extract_verilog(text, top, interface)
    assert code is None, code
    assert error
    return error


# -- fenced blocks ----------------------------------------------------------------------------
@pytest.mark.parametrize("tag", ["verilog", "systemverilog", "sv", "", "Verilog", "SystemVerilog", "v"])
def test_fenced_block_any_verilog_tag(tag):
    assert ok(f"Here is the design:\n\n```{tag}\n{MOD}```\n\nIt passes a to y.") == MOD


def test_prose_before_and_after_is_dropped():
    assert ok(f"Sure! Let me think.\n```verilog\n{MOD}```\nExplanation: `y` follows `a`.\n") == MOD


def test_tilde_fence_and_indented_fence():
    assert ok(f"~~~verilog\n{MOD}~~~\n") == MOD
    assert ok(f"1. The code:\n   ```verilog\n{MOD}   ```\n") == MOD


def test_closing_fence_on_the_endmodule_line():
    assert ok("```verilog\nmodule TopModule(output y);\n  assign y = 0;\nendmodule```") == \
        "module TopModule(output y);\n  assign y = 0;\nendmodule\n"


def test_fence_with_info_after_the_tag():
    assert ok(f"```verilog title=top.v\n{MOD}```") == MOD


def test_unclosed_fence_with_complete_code_is_accepted():
    assert ok(f"```verilog\n{MOD}") == MOD


def test_crlf_and_cr_line_ends():
    assert ok(f"```sv\r\n{MOD.replace(chr(10), chr(13) + chr(10))}```\r\n") == MOD
    assert ok(f"```sv\r{MOD.replace(chr(10), chr(13))}```\r") == MOD


def test_bom_is_ignored():
    assert ok("\ufeff" + MOD) == MOD


# -- several blocks ---------------------------------------------------------------------------
def test_last_block_defining_top_wins():
    first = MOD.replace("assign y = a;", "assign y = ~a;")
    text = f"First try:\n```verilog\n{first}```\nOops, fixed:\n```verilog\n{MOD}```"
    assert ok(text) == MOD


def test_submodule_in_its_own_block_is_added_in_answer_order():
    sub = "module inv(input a, output y);\n  assign y = ~a;\nendmodule"
    top = "module TopModule(input a, output y);\n  wire t;\n  inv u0(.a(a), .y(t));\n  inv u1(.a(t), .y(y));\nendmodule"
    text = f"Helper:\n```verilog\n{sub}\n```\nTop:\n```verilog\n{top}\n```\n"
    assert ok(text) == f"{sub}\n\n{top}\n"


def test_transitive_submodules_and_packages_come_along():
    pkg = "package p;\n  localparam int W = 4;\nendpackage"
    leaf = "module leaf(output [p::W-1:0] y);\n  assign y = '0;\nendmodule"
    mid = "module mid(output [3:0] y);\n  leaf l(.y(y));\nendmodule"
    top = "module TopModule(output [3:0] y);\n  mid m(.y(y));\nendmodule"
    blocks = [top, mid, leaf, pkg]
    code = ok("\n".join(f"```verilog\n{b}\n```" for b in blocks))
    assert code == "\n\n".join(blocks) + "\n"


def test_testbench_block_is_dropped():
    tb = "module tb;\n  reg a; wire y;\n  TopModule dut(.a(a), .y(y));\n  initial begin a = 0; #1 $finish; end\nendmodule"
    assert ok(f"```verilog\n{MOD}```\nAnd a testbench:\n```verilog\n{tb}\n```") == MOD


def test_testbench_in_the_same_block_is_kept_verbatim():
    tb = "module tb;\n  TopModule dut();\nendmodule\n"
    assert ok(f"```verilog\n{MOD}\n{tb}```") == f"{MOD}\n{tb}"


def test_duplicate_submodule_definition_is_not_added_twice():
    sub = "module inv(input a, output y); assign y = ~a; endmodule"
    top = f"module TopModule(input a, output y);\n  inv u(.a(a), .y(y));\nendmodule\n{sub}"
    code = ok(f"```verilog\n{sub}\n```\n```verilog\n{top}\n```")
    assert code.count("module inv") == 1


def test_block_with_other_tag_counts_when_it_declares_the_module():
    assert ok(f"```text\n{MOD}```") == MOD


def test_python_block_is_not_verilog():
    e = err("```python\nprint('module')\n```")
    assert e == "no Verilog code block in the answer (blocks tagged python)"


def test_module_in_a_comment_is_not_a_definition():
    e = err("```verilog\n// module TopModule is below\n/* module TopModule(...) */\nmodule top_module(); endmodule\n```")
    assert e == "code defines module top_module but not TopModule"


# -- VerilogEval [BEGIN] ... [DONE] --------------------------------------------------------------
def test_begin_done():
    assert ok(f"[BEGIN]\n{MOD}[DONE]") == MOD


def test_begin_done_with_fence_inside_and_prose_outside():
    assert ok(f"The answer is below.\n[BEGIN]\n```verilog\n{MOD}```\n[DONE]\nDone.") == MOD


def test_begin_without_done():
    assert ok(f"[BEGIN]\n{MOD}") == MOD


def test_begin_region_wins_over_a_fenced_block_outside():
    draft = MOD.replace("assign y = a;", "assign y = 1'b0;")
    assert ok(f"```verilog\n{draft}```\n[BEGIN]\n{MOD}[DONE]") == MOD


def test_begin_done_body_with_interface():
    assert ok("[BEGIN]\n  assign y = a;\nendmodule\n[DONE]", IFC) == IFC + "  assign y = a;\nendmodule\n"


# -- bare code --------------------------------------------------------------------------------
def test_bare_module():
    assert ok(MOD) == MOD


def test_bare_with_timescale_and_trailing_prose():
    text = f"`timescale 1ns/1ps\n{MOD}\nThis module copies a to y."
    assert ok(text) == f"`timescale 1ns/1ps\n{MOD}"


def test_bare_after_a_line_of_prose():
    assert ok(f"Here is the code:\n{MOD}") == MOD


def test_bare_code_outside_fences_when_the_fences_hold_something_else():
    assert ok(f"{MOD}\nUsage:\n```bash\niverilog top.v\n```") == MOD


# -- reasoning --------------------------------------------------------------------------------
def test_think_block_removed_even_when_it_holds_code():
    draft = MOD.replace("assign y = a;", "assign y = 1'b1;")
    assert ok(f"<think>\nmaybe\n```verilog\n{draft}```\n</think>\n\n```verilog\n{MOD}```") == MOD


def test_answer_starting_inside_reasoning():
    assert ok(f"the template opened the tag, so only a close...\n</think>\n```verilog\n{MOD}```") == MOD


def test_thinking_tag_variant():
    assert ok(f"<thinking>hmm</thinking>{MOD}") == MOD


def test_unclosed_think_is_unfinished_reasoning():
    assert "unfinished reasoning" in err(f"<think>let me write\n```verilog\n{MOD}```")


def test_only_reasoning_is_empty():
    assert err("<think>all thought, no answer</think>\n") == "answer was empty after its <think> reasoning"


# -- code-complete (module body only) ----------------------------------------------------------
def test_body_only_gets_the_interface():
    assert ok("  assign y = a;\nendmodule\n", IFC) == IFC + "  assign y = a;\nendmodule\n"


def test_bare_body_drops_prose_after_endmodule():
    assert ok("  assign y = a;\nendmodule\n\nThis drives y from a.", IFC) == IFC + "  assign y = a;\nendmodule\n"


def test_body_without_endmodule_gets_one():
    assert ok("```verilog\n  assign y = a;\n```", IFC) == IFC + "  assign y = a;\nendmodule\n"


def test_body_followed_by_a_helper_module():
    body = "  inv u(.a(a), .y(y));\nendmodule\n\nmodule inv(input a, output y); assign y = ~a; endmodule"
    assert ok(f"```verilog\n{body}\n```", IFC) == IFC + body + "\n"


def test_full_module_preferred_over_the_interface():
    assert ok(f"```verilog\n{MOD}```", IFC) == MOD


def test_body_without_interface_is_an_error():
    assert err("```verilog\n  assign y = a;\n```") == "the answer's code declares no module (expected module TopModule)"


def test_prose_only_with_interface_is_no_code():
    assert err("I am not able to help with this request", IFC) == "no code block in the answer"


def test_body_picks_the_last_body_block_not_a_testbench():
    tb = "module tb; TopModule dut(); endmodule"
    assert ok(f"```verilog\n  assign y = a;\nendmodule\n```\n```verilog\n{tb}\n```", IFC) == \
        IFC + "  assign y = a;\nendmodule\n"


# -- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["", "   \n\t", None])
def test_empty(text):
    assert err(text) == "answer was empty"


def test_no_code():
    assert err("The circuit outputs zero.") == "no code block in the answer"


def test_wrong_module_names_are_listed():
    text = "```verilog\nmodule A(); endmodule\n```\n```verilog\nmodule B(); endmodule\n```"
    assert err(text) == "code defines modules A, B but not TopModule"


def test_top_name_is_case_sensitive():
    assert err(f"```verilog\n{MOD.replace('TopModule', 'topmodule')}```") == \
        "code defines module topmodule but not TopModule"


def test_truncated_code_block():
    e = err("```verilog\nmodule TopModule(input a, output y);\n  assign y =")
    assert e == "module TopModule has no endmodule: the answer is cut off (its code block is not closed)"


def test_missing_endmodule_in_a_closed_block():
    e = err("```verilog\nmodule TopModule(output y);\n  assign y = 0;\n```")
    assert e == "module TopModule has no endmodule: the answer is cut off"


def test_second_module_missing_endmodule_is_named():
    e = err(f"```verilog\n{MOD}module helper(output z);\n  assign z = 1;\n```")
    assert e.startswith("module helper has no endmodule")


def test_empty_fenced_block():
    assert err("```verilog\n```") == "the answer's code declares no module (expected module TopModule)"


def test_other_top_name():
    assert ok("```verilog\nmodule top_module(input a); endmodule\n```", top="top_module").startswith("module top_module")


def test_parameterised_header_and_attributes():
    mod = "(* keep_hierarchy *) module TopModule #(parameter W = 8) (input [W-1:0] a, output [W-1:0] y);\n" \
          "  assign y = a;\nendmodule\n"
    assert ok(f"```verilog\n{mod}```") == mod
