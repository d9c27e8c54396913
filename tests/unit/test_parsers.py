"""Parsers on real tool output checked into tests/data/logs (captured on Debian 12 tools)."""
import pytest

from rtlsmith.eda_tools.parsers.hdl_logs import (attach_excerpts, excerpt, format_for_llm, parse_iverilog,
                                                 parse_verilator)
from rtlsmith.eda_tools.parsers.junit import parse_results_xml
from rtlsmith.eda_tools.parsers.yosys import (count_flops, parse_chip_area, parse_ltp, parse_sta,
                                              parse_stat_json)
from rtlsmith.types import Diagnostic


def test_verilator_syntax_error(data_dir):
    d = parse_verilator((data_dir / "logs/verilator_bad.txt").read_text())
    assert [(x.file, x.line, x.col, x.severity) for x in d] == [("bad.v", 7, 3, "error")]
    assert "syntax error" in d[0].message


def test_verilator_warnings_have_codes(data_dir):
    d = parse_verilator((data_dir / "logs/verilator_warn.txt").read_text())
    assert [x.code for x in d] == ["WIDTHTRUNC", "UNUSEDSIGNAL", "UNUSEDSIGNAL"]
    assert all(x.severity == "warning" for x in d)
    assert d[0].line == 3 and d[0].col == 12


def test_iverilog_errors(data_dir):
    d = parse_iverilog((data_dir / "logs/iverilog_bad.txt").read_text())
    assert [(x.line, x.code) for x in d] == [(7, "syntax")]
    d = parse_iverilog((data_dir / "logs/iverilog_bad2.txt").read_text())
    assert [x.line for x in d] == [4, 4, 6]
    assert "undeclared_sig" in d[0].message and all(x.severity == "error" for x in d)


def test_excerpt_marks_the_line():
    src = "\n".join(f"line{i}" for i in range(1, 11))
    ex = excerpt(src, 5)
    assert ex.splitlines()[2].startswith("█") and "line5" in ex.splitlines()[2]
    assert len(ex.splitlines()) == 5


def test_attach_excerpts_matches_path_suffix_and_bounded_report():
    diags = [Diagnostic(tool="x", severity="error", file="/tmp/w/work/a.v", line=2, message=f"m{i}")
             for i in range(15)]
    out = attach_excerpts(diags, {"a.v": "l1\nl2\nl3"})
    assert out[0].file == "a.v" and "█    2 | l2" in out[0].excerpt
    text = format_for_llm(out, max_items=10)
    assert "5 more diagnostic(s) elided" in text


def test_yosys_stat_json_and_flops(data_dir):
    cells, types = parse_stat_json((data_dir / "logs/yosys_stat_mac.json").read_text(), "mac")
    assert cells == 702 and sum(types.values()) == 702
    assert count_flops(types) == 20


def test_yosys_stat_json_unknown_module(data_dir):
    import json
    doc = json.loads((data_dir / "logs/yosys_stat_mac.json").read_text())
    doc.pop("design")
    with pytest.raises(ValueError, match="not in yosys stat"):
        parse_stat_json(json.dumps(doc), "other")


def test_ltp_area_sta(data_dir):
    assert parse_ltp((data_dir / "logs/yosys_ltp_mac.txt").read_text()) == 29
    assert parse_chip_area((data_dir / "logs/yosys_statlib_mac.txt").read_text()) == pytest.approx(23314.0)
    arrival, slack = parse_sta((data_dir / "logs/sta_mac.txt").read_text())
    assert arrival == pytest.approx(4.756) and slack == pytest.approx(5.083)


def test_cocotb_results_xml(data_dir):
    ok = parse_results_xml(data_dir / "logs/cocotb_results_pass.xml")
    assert [t.passed for t in ok] == [True, True, True]
    bad = parse_results_xml(data_dir / "logs/cocotb_results_fail.xml")
    assert [t.name for t in bad if not t.passed] == ["counts_when_enabled", "wraps_at_255"]
    assert "expected 5" in bad[0].message


def test_results_xml_garbage(tmp_path):
    p = tmp_path / "r.xml"
    p.write_text("<testsuites><testcase")
    with pytest.raises(ValueError):
        parse_results_xml(p)


def test_hierarchical_stat_totals(data_dir):
    # systolic_os 8x8 kept hierarchical: 4 PE variants, 64 instances, totals from `stat -top`
    cells, types = parse_stat_json((data_dir / "logs/yosys_stat_hier.json").read_text(), "systolic_os")
    assert cells == 45788 and count_flops(types) > 3000
    assert parse_chip_area((data_dir / "logs/yosys_statlib_hier.txt").read_text()) == pytest.approx(1887775.0)


def test_results_xml_fifo_or_symlink_is_refused_not_blocking(tmp_path):
    import os
    fifo = tmp_path / "results.xml"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        parse_results_xml(fifo)  # must not block waiting for a writer
    link = tmp_path / "r2.xml"
    link.symlink_to("/etc/hostname")
    with pytest.raises(ValueError):
        parse_results_xml(link)


def test_stat_json_with_yosys_023_stray_hierarchy_lines(data_dir):
    # Yosys 0.23 prints "   leaf   1" lines into stat -json output of a 3-level hierarchy
    text = (data_dir / "logs/yosys_stat_3level_y023.json").read_text()
    import json as _json
    with pytest.raises(ValueError):
        _json.loads(text)
    cells, types = parse_stat_json(text, "top")
    assert cells == 10 and types["$_DFF_P_"] == 4
