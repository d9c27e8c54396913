"""Benchmark reports (Markdown + self-contained HTML), built from in-memory records."""
from __future__ import annotations

import re
from pathlib import Path

from rtlsmith.benchmarks.core import SampleRecord, Usage
from rtlsmith.benchmarks.report import outcome_string, write_reports

EVIL = "<script>alert(1)</script>"


def rec(problem: str, sample: int, cls: str = ".", reason: str = "", official: bool | None = None,
        strict: bool | None = None, log: str | None = None, erratum: str | None = None, **kw) -> SampleRecord:
    passed = cls == "."
    return SampleRecord(problem=problem, sample=sample, verdict="pass" if passed else "fail",
                        official_pass=passed if official is None else official,
                        strict_pass=passed if strict is None else strict,
                        failure_class=cls, reason=reason, log=log, erratum=erratum, **kw)


def summary(**kw) -> dict:
    base = {"benchmark": "verilog-eval", "task": "spec-to-rtl", "provider": "reference", "model": None,
            "passed": 151, "total": 156, "strict_passed": 150, "problems": 156, "samples_per_problem": 1,
            "pass_at_k": {"1": 0.968}, "strict_pass_at_k": {"1": 0.9615},
            "by_class": {".": 151, "R": 3, "C": 1, "T": 1},
            "errata": [{"id": "Prob099_m2014_q6c", "kind": "broken-reference",
                        "reason": "reference disagrees with the spec", "verdict": "fail"}],
            "excluding_errata": {"passed": 151, "total": 152},
            "tool_versions": {"iverilog": "11.0"}, "dataset": "/data/verilog-eval", "dataset_digest": "ab12cd34",
            "sandbox": "bwrap", "seconds": 9.8, "started": "2026-11-23T20:00:00Z", "rule": "Mismatches: 0",
            "tokens": {"prompt": 0, "completion": 0}, "cost_usd": 0.0}
    base.update(kw)
    return base


def md_table_rows(md: str, header_start: str) -> list[str]:
    lines = md.splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith(header_start))
    out = []
    for line in lines[i:]:
        if not line.startswith("|"):
            break
        out.append(line)
    return out


def unescaped_pipes(line: str) -> int:
    return len(re.findall(r"(?<!\\)\|", line))


def test_outcome_string_groups_by_five():
    assert outcome_string("..R..T.") == "..R.. T."
    assert outcome_string([]) == ""
    assert outcome_string(".....") == "....."
    assert outcome_string(["..", "", "R"]) == "??R"


def test_writes_both_files_with_headline_numbers(tmp_path: Path):
    records = [rec("Prob001_zero", 0), rec("Prob002_bad", 0, "R", "Mismatches: 3 in 100 samples", log="logs/p2.log")]
    md_path, html_path = write_reports(tmp_path / "out", summary(), records)
    assert md_path == tmp_path / "out" / "report.md" and md_path.is_file()
    assert html_path == tmp_path / "out" / "report.html" and html_path.is_file()
    md, page = md_path.read_text(), html_path.read_text()
    for text in (md, page):
        assert "96.2%" in text  # strict 150/156, the headline
        assert "96.8%" in text  # official 151/156
        assert "150/156" in text and "151/156" in text
        assert "151/152" in text  # excluding errata
        assert "verilog-eval" in text and "spec-to-rtl" in text and "ab12cd34" in text
        assert "iverilog 11.0" in text and "bwrap" in text and "2026-11-23T20:00:00Z" in text
        assert "Prob002_bad" in text and "Mismatches: 3 in 100 samples" in text
        assert "logs/p2.log" in text
    assert md.index("Strict pass rate (headline)") < md.index("Official pass rate")
    # pass@k table: official and strict
    assert re.search(r"\| 1 \| 96\.8% \| 96\.2% \|", md)
    # failures first in the per-problem table
    rows = md_table_rows(md, "| problem | official")
    assert "Prob002_bad" in rows[2] and "Prob001_zero" in rows[3]
    assert page.index("Prob002_bad") < page.index("Prob001_zero")
    # no tokens/cost section when they are zero
    assert "Tokens" not in md and "Cost" not in page


def test_html_is_self_contained(tmp_path: Path):
    _, html_path = write_reports(tmp_path, summary(), [rec("P1", 0), rec("P2", 0, "S", "syntax error")])
    page = html_path.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    # the only URL is the SVG namespace, which is not a fetch
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) <= {"http://www.w3.org/2000/svg"}


def test_every_failure_class_gets_a_bar_with_its_count(tmp_path: Path):
    _, html_path = write_reports(tmp_path, summary(), [])
    page = html_path.read_text()
    svg = page[page.index("<svg"):page.index("</svg>")]
    bars = re.findall(r'<g class="bar" data-class="([^"]+)" data-count="(\d+)">(.*?)</g>', svg)
    got = {html_unescape(c): (int(n), body) for c, n, body in bars}
    assert set(got) == {".", "R", "C", "T"}
    for cls, count in {".": 151, "R": 3, "C": 1, "T": 1}.items():
        n, body = got[cls]
        assert n == count
        assert 'class="count"' in body and f">{count}</text>" in body
        assert "<rect" in body
    fills = {cls: re.search(r'fill="([^"]+)"', body).group(1) for cls, (_, body) in got.items()}
    assert fills["."] != fills["R"]  # pass in a different colour
    assert fills["R"] == fills["C"] == fills["T"]
    # class meanings appear in the class table
    assert "runtime mismatch / no pass line" in page and "timeout" in page


def test_by_class_falls_back_to_records(tmp_path: Path):
    s = {"benchmark": "rtllm", "total": 3}
    records = [rec("a", 0), rec("b", 0, "S", "syntax error"), rec("c", 0, "S", "syntax error")]
    md_path, html_path = write_reports(tmp_path, s, records)
    page = html_path.read_text()
    assert 'data-class="S" data-count="2"' in page and 'data-class="." data-count="1"' in page
    assert "33.3%" in md_path.read_text()  # strict/official computed from the records


def test_html_injection_is_escaped(tmp_path: Path):
    pid = f"Prob{EVIL}"
    records = [rec(pid, 0, "R", f"bad {EVIL} \" ' & done", log='logs/"><img src=x onerror=alert(1)>.log'),
               rec("Prob_ok", 0)]
    s = summary(model=EVIL, provider=EVIL, tool_versions={EVIL: EVIL}, dataset=EVIL,
                by_class={".": 1, EVIL: 1},
                errata=[{"id": EVIL, "kind": EVIL, "reason": EVIL, "verdict": "fail"}])
    md_path, html_path = write_reports(tmp_path, s, records, {pid: {"erratum": EVIL}})
    page = html_path.read_text()
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "onerror=alert(1)>" not in page
    md = md_path.read_text()
    # in Markdown, HTML only ever appears inside code spans or backslash-escaped
    outside_code = re.sub(r"(`+).*?\1", "", md)
    assert "<script>" not in outside_code
    assert '"><img' not in md


def test_markdown_cells_escape_pipes_newlines_and_backticks(tmp_path: Path):
    pid = "Prob|with`tick"
    reason = "first line | second\nthird line\r\n| fourth `code`"
    records = [rec(pid, 0, "R", reason, log="logs/a b|c).log"), rec("Prob_ok", 0)]
    md_path, _ = write_reports(tmp_path, summary(), records)
    md = md_path.read_text()
    rows = md_table_rows(md, "| problem | official")
    assert len(rows) == 4  # header, rule, two problems: the newlines did not split a row
    n = unescaped_pipes(rows[0])
    assert all(unescaped_pipes(r) == n for r in rows), rows
    bad = rows[2]
    assert "``Prob\\|with`tick``" in bad  # code span with a longer fence, pipe escaped
    assert "first line \\| second third line \\| fourth \\`code\\`" in bad
    assert "(logs/a%20b%7Cc%29.log)" in bad


def test_huge_reason_is_truncated(tmp_path: Path):
    huge = "x" * 2_000_000
    md_path, html_path = write_reports(tmp_path, summary(), [rec("P", 0, "R", huge)])
    assert html_path.stat().st_size < 50_000 and md_path.stat().st_size < 20_000
    assert "x" * 119 in md_path.read_text() and "x" * 121 not in md_path.read_text()


def test_errata_are_listed_separately(tmp_path: Path):
    records = [rec("Prob099_m2014_q6c", 0, "R", "mismatch", erratum="reference is wrong"), rec("Prob001", 0),
               rec("Prob050_other", 0)]
    problems = {"Prob050_other": {"erratum": "testbench never checks output"}, "Prob001": {"erratum": None}}
    md_path, html_path = write_reports(tmp_path, summary(), records, problems)
    md, page = md_path.read_text(), html_path.read_text()
    errata_md = md[md.index("## Errata"):md.index("## Per-problem")]
    assert "Prob099_m2014_q6c" in errata_md and "broken-reference" in errata_md
    assert "Prob050_other" in errata_md and "testbench never checks output" in errata_md
    assert "Prob001 " not in errata_md and "Prob001`" not in errata_md
    errata_html = page[page.index('id="errata"'):page.index("Per-problem results")]
    assert "Prob099_m2014_q6c" in errata_html and "Prob050_other" in errata_html
    # still in the per-problem table, marked
    per_problem = md[md.index("## Per-problem"):]
    assert "Prob099_m2014_q6c" in per_problem and "reference is wrong" in per_problem


def test_zero_records(tmp_path: Path):
    md_path, html_path = write_reports(tmp_path, {"benchmark": "verilog-eval", "total": 0}, [])
    md, page = md_path.read_text(), html_path.read_text()
    assert "n/a" in md and "No problems." in md and "No samples were scored." in md
    assert "No problems." in page and "</html>" in page


def test_outcome_string_in_report(tmp_path: Path):
    classes = "..R..T."
    records = [rec("P7", i, c, "mismatch" if c != "." else "") for i, c in enumerate(classes)]
    records.reverse()  # order comes from the sample index
    md_path, html_path = write_reports(tmp_path, summary(samples_per_problem=7), records)
    md, page = md_path.read_text(), html_path.read_text()
    assert "`..R.. T.`" in md
    assert ">..R.. T.<" in page
    row = next(r for r in md_table_rows(md, "| problem | official") if "P7" in r)
    assert "| 5/7 | 5/7 |" in row


def test_strict_gap_and_agent_section(tmp_path: Path):
    records = [rec("P1", 0, "R", "forged pass line", official=True, strict=False, self_verdict=True,
                   usage=Usage(prompt_tokens=1200, completion_tokens=300, cost_usd=0.0123)),
               rec("P2", 0, self_verdict=True)]
    s = summary(provider="agent", model="some-model", total=2, passed=2, strict_passed=1,
                tokens={"prompt": 1200, "completion": 300}, cost_usd=0.0123,
                agent={"false_pass_rate": 0.5, "first_attempt_self_pass": 0.25, "after_repair_self_pass": 0.5,
                       "golden_tb_shown": False})
    md_path, html_path = write_reports(tmp_path, s, records)
    md, page = md_path.read_text(), html_path.read_text()
    for text in (md, page):
        assert "Self-verification" in text
        assert "False-pass rate" in text and "50.0%" in text and "25.0%" in text
        assert "pass the official rule but fail the strict checks" in text
        assert "1,200" in text and "300" in text
    assert 'class="num diverge"' in page
    # the reference provider has no such section
    md2, _ = write_reports(tmp_path / "ref", summary(), [rec("P1", 0)])
    assert "Self-verification" not in md2.read_text()


def test_thousands_of_problems_stay_small(tmp_path: Path):
    records = [rec(f"Prob{i:04d}_name", s, "." if (i + s) % 7 else "R", "Mismatches: 12 in 200 samples",
                   log=f"logs/Prob{i:04d}_name/{s}.log") for i in range(3000) for s in range(5)]
    md_path, html_path = write_reports(tmp_path, summary(total=len(records)), records)
    assert html_path.stat().st_size < 2_000_000
    assert md_path.stat().st_size < 1_500_000


def html_unescape(s: str) -> str:
    import html
    return html.unescape(s)


def test_html_structure_is_well_formed(tmp_path: Path):
    import xml.etree.ElementTree as ET
    from html.parser import HTMLParser

    records = [rec(f"P{EVIL}", 0, "R", EVIL), rec("P2", 0), rec("P3", 0, "I", "sandbox died")]
    _, html_path = write_reports(tmp_path, summary(by_class={".": 1, "R": 1, "I": 1}), records)
    page = html_path.read_text()
    svg = page[page.index("<svg"):page.index("</svg>") + len("</svg>")]
    root = ET.fromstring(svg)  # the chart is well-formed XML
    assert len(root.findall("{http://www.w3.org/2000/svg}g")) == 3

    void = {"meta", "br", "img", "hr", "link", "input", "rect"}
    stack: list[str] = []

    class Checker(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag not in void:
                stack.append(tag)

        def handle_startendtag(self, tag, attrs):
            pass

        def handle_endtag(self, tag):
            assert stack and stack[-1] == tag, (tag, stack[-5:])
            stack.pop()

    Checker().feed(page)
    assert stack == []
