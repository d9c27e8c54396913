"""Benchmark reports: one Markdown file and one self-contained HTML file per run.

Both show the same things: what was run (benchmark, task, provider, model, dataset digest,
tool versions, sandbox, date), the headline numbers (strict pass rate first, then the
official rule's rate for parity with the public harness, pass@k, counts excluding errata),
the failure classes, the known-broken problems (errata, listed on their own, never dropped),
the agent's self-verification numbers when there are any, and one row per problem.

Everything that comes from the run (problem ids, reasons, paths, model names, tool versions)
is untrusted text: it is cleaned (control and bidi characters, lone surrogates), truncated
where it goes into a table cell, and escaped for the target format. The HTML file has no
script and no external reference; the failure-class chart is an inline SVG.
"""
from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import quote

from rtlsmith.benchmarks.core import FAILURE_CLASSES, SampleRecord

__all__ = ["write_reports", "outcome_string", "render_markdown", "render_html"]

#: width of a reason in a per-problem table cell (characters)
REASON_WIDTH = 120
#: classes that say nothing about the design: the harness could not (or did not) judge it
_HARNESS_CLASSES = frozenset({"I", "K"})
_CTRL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")


# --------------------------------------------------------------------------- text helpers

def _clean(value: Any, limit: int | None = None) -> str:
    """One line of displayable text: no control/bidi characters, whitespace collapsed,
    lone surrogates replaced, at most ``limit`` characters (with an ellipsis)."""
    if value is None:
        return ""
    s = value if isinstance(value, str) else str(value)
    if limit is not None and len(s) > limit * 4 + 64:
        s = s[: limit * 4 + 64]  # cut huge strings before doing any work on them
    s = s.encode("utf-8", "replace").decode("utf-8", "replace")
    s = _CTRL.sub(" ", s)
    s = " ".join(s.split())
    if limit is not None and len(s) > limit:
        s = s[: max(limit - 1, 0)].rstrip() + "…"
    return s


def _h(value: Any, limit: int | None = None) -> str:
    """Clean, then HTML-escape (safe in element content and in quoted attributes)."""
    return html.escape(_clean(value, limit), quote=True)


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#!])")


def _md(value: Any, limit: int | None = None) -> str:
    """Clean, then backslash-escape Markdown/HTML punctuation (safe in prose and table cells)."""
    return _MD_SPECIAL.sub(r"\\\1", _clean(value, limit))


def _md_code(value: Any, limit: int | None = None) -> str:
    """A code span for a table cell: literal text, pipes escaped, a fence longer than any
    backtick run inside it."""
    s = _clean(value, limit)
    if not s:
        return ""
    s = s.replace("|", "\\|")  # GFM splits cells before parsing code spans
    longest = max((len(m) for m in re.findall(r"`+", s)), default=0)
    fence = "`" * (longest + 1)
    if s.startswith("`") or s.endswith("`"):
        s = f" {s} "
    return f"{fence}{s}{fence}"


def _href(path: Any) -> str:
    """A relative link target: percent-encoded so no scheme, quote or bracket survives."""
    s = _clean(path)
    return quote(s.replace("\\", "/"), safe="/._-~")


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _int(value: Any) -> int | None:
    v = _num(value)
    return int(v) if v is not None else None


def _pct(n: Any, d: Any) -> str:
    n, d = _num(n), _num(d)
    if n is None or not d:
        return "n/a"
    return f"{100.0 * n / d:.1f}%"


def _rate(x: Any) -> str:
    x = _num(x)
    return "n/a" if x is None else f"{100.0 * x:.1f}%"


def _frac(n: Any, d: Any) -> str:
    n, d = _int(n), _int(d)
    if n is None or d is None:
        return "n/a"
    return f"{n}/{d}"


def _seconds(s: Any) -> str:
    s = _num(s)
    if s is None:
        return ""
    if s < 120:
        return f"{s:.1f} s"
    m, sec = divmod(int(round(s)), 60)
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min" if h else f"{m} min {sec:02d} s"


def outcome_string(classes: Iterable[str]) -> str:
    """VerilogEval-style outcome: one class character per sample, in groups of five
    (``..R.. T.``). Anything that is not a single character shows as ``?``."""
    chars = [c if isinstance(c, str) and len(c) == 1 and c.isprintable() and not c.isspace() else "?"
             for c in classes]
    return " ".join("".join(chars[i:i + 5]) for i in range(0, len(chars), 5))


def _class_meaning(cls: str) -> str:
    return FAILURE_CLASSES.get(cls, "unknown class")


# --------------------------------------------------------------------------- the data

@dataclass
class _Row:
    """One problem's samples and what the tables say about it."""

    id: str
    samples: list[SampleRecord] = field(default_factory=list)
    erratum: str | None = None

    @property
    def total(self) -> int:
        return len(self.samples)

    @property
    def official(self) -> int:
        return sum(1 for r in self.samples if r.official_pass)

    @property
    def strict(self) -> int:
        return sum(1 for r in self.samples if r.strict_pass)

    @property
    def status(self) -> str:
        if not self.samples:
            return "missing"
        return "pass" if self.strict == self.total else "fail"

    @property
    def outcome(self) -> str:
        return outcome_string(r.failure_class for r in self.samples)

    @property
    def first_failure(self) -> SampleRecord | None:
        return next((r for r in self.samples if not r.strict_pass), None)


@dataclass
class _Errata:
    id: str
    kind: str = ""
    reason: str = ""
    verdict: str = ""
    passed: str = ""


@dataclass
class _View:
    """The summary, with every missing number filled in from the records where possible."""

    s: dict
    records: list[SampleRecord]
    rows: list[_Row]
    by_class: list[tuple[str, int]]
    errata: list[_Errata]
    total: int | None
    passed: int | None
    strict_passed: int | None
    rule_gap: int
    prompt_tokens: int
    completion_tokens: int
    cost: float
    agent: dict | None

    def get(self, key: str, default: Any = None) -> Any:
        return self.s.get(key, default)


def _as_record(r: Any) -> SampleRecord:
    return r if isinstance(r, SampleRecord) else SampleRecord.model_validate(r)


def _build(summary: dict, records: list[SampleRecord], problems: dict[str, dict] | None) -> _View:
    summary = summary if isinstance(summary, dict) else {}
    records = [_as_record(r) for r in (records or [])]
    problems = problems if isinstance(problems, dict) else {}

    rows: dict[str, _Row] = {}
    for r in records:
        rows.setdefault(r.problem, _Row(r.problem)).samples.append(r)
    for pid, info in problems.items():
        row = rows.setdefault(str(pid), _Row(str(pid)))
        if isinstance(info, dict) and info.get("erratum"):
            row.erratum = str(info["erratum"])
    for row in rows.values():
        row.samples.sort(key=lambda r: r.sample)
        if row.erratum is None:
            row.erratum = next((r.erratum for r in row.samples if r.erratum), None)
    order = {"fail": 0, "missing": 1, "pass": 2}
    ordered = sorted(rows.values(), key=lambda x: (order[x.status], x.id))

    by_class_raw = summary.get("by_class")
    counts: dict[str, int] = {}
    if isinstance(by_class_raw, dict):
        for k, v in by_class_raw.items():
            n = _int(v)
            if n:
                counts[str(k)] = n
    else:
        for r in records:
            counts[r.failure_class] = counts.get(r.failure_class, 0) + 1
    by_class = sorted(counts.items(), key=lambda kv: (kv[0] != ".", kv[0] in _HARNESS_CLASSES, -kv[1], kv[0]))

    errata: dict[str, _Errata] = {}
    for e in summary.get("errata") or []:
        if not isinstance(e, dict) or not e.get("id"):
            continue
        eid = str(e["id"])
        errata[eid] = _Errata(eid, _clean(e.get("kind")), str(e.get("reason") or ""), _clean(e.get("verdict")))
    for row in ordered:
        if row.erratum and row.id not in errata:
            errata[row.id] = _Errata(row.id, "", row.erratum, "")
    for e in errata.values():
        row = rows.get(e.id)
        if row is not None and row.samples:
            e.passed = f"{row.strict}/{row.total}"
            if not e.verdict:
                e.verdict = "pass" if row.status == "pass" else "fail"
        if not e.reason and row is not None and row.erratum:
            e.reason = row.erratum

    total = _int(summary.get("total"))
    if total is None and records:
        total = len(records)
    passed = _int(summary.get("passed"))
    if passed is None and records:
        passed = sum(1 for r in records if r.official_pass)
    strict_passed = _int(summary.get("strict_passed"))
    if strict_passed is None and records:
        strict_passed = sum(1 for r in records if r.strict_pass)
    rule_gap = sum(1 for r in records if r.official_pass and not r.strict_pass)

    tokens = summary.get("tokens") if isinstance(summary.get("tokens"), dict) else {}
    pt = _int(tokens.get("prompt"))
    ct = _int(tokens.get("completion"))
    cost = _num(summary.get("cost_usd"))
    if pt is None:
        pt = sum(r.usage.prompt_tokens for r in records)
    if ct is None:
        ct = sum(r.usage.completion_tokens for r in records)
    if cost is None:
        cost = sum(r.usage.cost_usd for r in records)

    agent = summary.get("agent") if isinstance(summary.get("agent"), dict) else None
    if agent is None:
        said_pass = [r for r in records if r.self_verdict is True]
        if any(r.self_verdict is not None for r in records):
            agent = {"false_pass_rate": (sum(1 for r in said_pass if not r.strict_pass) / len(said_pass))
                     if said_pass else None}
    return _View(summary, records, ordered, by_class, list(errata.values()), total, passed, strict_passed,
                 rule_gap, pt or 0, ct or 0, float(cost or 0.0), agent)


def _pass_at_k(v: _View) -> list[tuple[str, Any, Any]]:
    off = v.get("pass_at_k") if isinstance(v.get("pass_at_k"), dict) else {}
    st = v.get("strict_pass_at_k") if isinstance(v.get("strict_pass_at_k"), dict) else {}
    keys = set(map(str, off)) | set(map(str, st))

    def key(k: str) -> tuple[int, int | str]:
        return (0, int(k)) if k.isdigit() else (1, k)

    off = {str(k): x for k, x in off.items()}
    st = {str(k): x for k, x in st.items()}
    return [(k, off.get(k), st.get(k)) for k in sorted(keys, key=key)]


def _meta(v: _View) -> list[tuple[str, str]]:
    """(label, value) pairs for the header; values are cleaned but not escaped."""
    out: list[tuple[str, str]] = []

    def add(label: str, value: Any, limit: int = 200) -> None:
        if value is None or value == "" or value == {}:
            return
        out.append((label, _clean(value, limit)))

    add("Benchmark", v.get("benchmark"))
    add("Task", v.get("task"))
    add("Provider", v.get("provider"))
    add("Model", v.get("model") if v.get("model") is not None else "—")
    add("Dataset", v.get("dataset"), 300)
    add("Dataset digest", v.get("dataset_digest"))
    tv = v.get("tool_versions")
    if isinstance(tv, dict) and tv:
        add("Tool versions", ", ".join(f"{_clean(k, 40)} {_clean(x, 80)}" for k, x in sorted(tv.items(), key=lambda kv: str(kv[0]))), 600)
    add("Sandbox", v.get("sandbox") if v.get("sandbox") is not None else "none")
    add("Started", v.get("started"))
    add("Duration", _seconds(v.get("seconds")))
    problems = _int(v.get("problems"))
    if problems is None:
        problems = sum(1 for r in v.rows if r.samples) if v.rows else None
    spp = _int(v.get("samples_per_problem"))
    if problems is not None:
        add("Problems", f"{problems}" + (f" × {spp} sample{'s' if spp != 1 else ''}" if spp is not None else ""))
    add("Official rule", v.get("rule"), 600)
    return out


def _title(v: _View) -> str:
    parts = [_clean(v.get("benchmark"), 80) or "benchmark"]
    if v.get("task"):
        parts.append(_clean(v.get("task"), 80))
    return " · ".join(parts)


def _agent_items(agent: dict) -> list[tuple[str, str]]:
    known = [("false_pass_rate", "False-pass rate (agent says pass, golden testbench fails)"),
             ("first_attempt_self_pass", "First design passes the agent's own tests"),
             ("after_repair_self_pass", "Final design passes the agent's own tests (after repair)"),
             ("golden_pass", "Final design passes the golden testbench (strict)")]
    out = [(label, _rate(agent.get(k))) for k, label in known if k in agent]
    if "golden_tb_shown" in agent:
        out.append(("Golden testbench shown to the agent", "yes" if agent.get("golden_tb_shown") else "no"))
    for k, x in agent.items():
        if k in {"false_pass_rate", "first_attempt_self_pass", "after_repair_self_pass", "golden_pass",
                 "golden_tb_shown"}:
            continue
        shown = _rate(x) if isinstance(x, float) and 0.0 <= x <= 1.0 else _clean(x, 120)
        out.append((_clean(k, 60).replace("_", " "), shown))
    return out


def _show_agent(v: _View) -> bool:
    return v.agent is not None or _clean(v.get("provider")) == "agent"


# --------------------------------------------------------------------------- Markdown

def render_markdown(summary: dict, records: list[SampleRecord], problems: dict[str, dict] | None = None) -> str:
    return _markdown(_build(summary, records, problems))


def _markdown(v: _View) -> str:
    L: list[str] = []
    L.append(f"# Benchmark report: {_md(_title(v))}")
    L.append("")
    L.append("| run | |")
    L.append("|---|---|")
    for label, value in _meta(v):
        L.append(f"| {label} | {_md_code(value)} |")
    L.append("")

    L.append("## Headline")
    L.append("")
    L.append(f"- **Strict pass rate (headline): {_pct(v.strict_passed, v.total)}** "
             f"({_frac(v.strict_passed, v.total)} samples)")
    L.append(f"- Official pass rate (parity with the public harness): {_pct(v.passed, v.total)} "
             f"({_frac(v.passed, v.total)} samples)")
    if v.rule_gap:
        L.append(f"- {v.rule_gap} sample{'s' if v.rule_gap != 1 else ''} pass the official rule but fail the "
                 "strict checks")
    ex = v.get("excluding_errata")
    if isinstance(ex, dict):
        line = f"- Excluding errata: {_frac(ex.get('passed'), ex.get('total'))} official ({_pct(ex.get('passed'), ex.get('total'))})"
        if "strict_passed" in ex:
            line += f", {_frac(ex.get('strict_passed'), ex.get('total'))} strict ({_pct(ex.get('strict_passed'), ex.get('total'))})"
        L.append(line)
    if v.errata:
        L.append(f"- Known-broken problems (errata): {len(v.errata)}, listed [below](#errata)")
    if v.prompt_tokens or v.completion_tokens or v.cost:
        L.append(f"- Tokens: {v.prompt_tokens:,} prompt, {v.completion_tokens:,} completion; cost ${v.cost:,.4f}")
    L.append("")

    pak = _pass_at_k(v)
    if pak:
        L.append("## pass@k")
        L.append("")
        L.append("| k | official | strict |")
        L.append("|---:|---:|---:|")
        for k, o, s in pak:
            L.append(f"| {_md(k, 20)} | {_rate(o)} | {_rate(s)} |")
        L.append("")

    L.append("## Failure classes")
    L.append("")
    if v.by_class:
        L.append("| class | meaning | samples | share |")
        L.append("|:---:|---|---:|---:|")
        for cls, n in v.by_class:
            L.append(f"| {_md_code(cls, 8)} | {_md(_class_meaning(cls))} | {n} | {_pct(n, v.total)} |")
    else:
        L.append("No samples were scored.")
    L.append("")

    if _show_agent(v):
        L.append("## Self-verification (agent)")
        L.append("")
        items = _agent_items(v.agent or {})
        if items:
            L.append("| measure | value |")
            L.append("|---|---:|")
            for label, value in items:
                L.append(f"| {_md(label)} | {_md(value)} |")
        else:
            L.append("The run recorded no self-verification data.")
        L.append("")

    L.append('<a id="errata"></a>')
    L.append("")
    L.append("## Errata (known-broken problems)")
    L.append("")
    if v.errata:
        L.append("These problems are scored and counted like any other"
                 + ("; the headline also gives the counts without them." if isinstance(ex, dict) else "."))
        L.append("")
        L.append("| problem | kind | verdict | strict passed | reason |")
        L.append("|---|---|---|---:|---|")
        for e in v.errata:
            L.append(f"| {_md_code(e.id, 120)} | {_md(e.kind, 60)} | {_md(e.verdict, 20)} | {_md(e.passed, 20)} "
                     f"| {_md(e.reason, 300)} |")
    else:
        L.append("None.")
    L.append("")

    L.append("## Per-problem results")
    L.append("")
    if v.rows:
        failing = sum(1 for r in v.rows if r.status == "fail")
        L.append(f"{len(v.rows)} problems, {failing} with at least one strict failure (listed first). "
                 "Outcome: one failure-class character per sample, in groups of five.")
        L.append("")
        L.append("| problem | official | strict | outcome | erratum | first failure | log |")
        L.append("|---|---:|---:|---|---|---|---|")
        for row in v.rows:
            ff = row.first_failure
            reason = _md(ff.reason, REASON_WIDTH) if ff else ""
            if ff is not None and not reason:
                reason = _md(_class_meaning(ff.failure_class))
            log = f"[log]({_href(ff.log)})" if ff is not None and ff.log else ""
            L.append(f"| {_md_code(row.id, 120)} | {row.official}/{row.total} | {row.strict}/{row.total} "
                     f"| {_md_code(row.outcome) if row.samples else 'no samples'} | {_md(row.erratum, 80)} "
                     f"| {reason} | {log} |")
    else:
        L.append("No problems.")
    L.append("")
    L.append("*Generated by rtlsmith.*")
    L.append("")
    return "\n".join(L)


# --------------------------------------------------------------------------- HTML

_CSS = """
:root{--fg:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#fff;--soft:#f5f7fa;--pass:#2f855a;--fail:#c53030;
--infra:#8a94a6;--warn:#b7791f;--accent:#2b6cb0}
*{box-sizing:border-box}
body{margin:0;background:var(--soft);color:var(--fg);font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",
Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:0 0 12px}
section{background:var(--bg);border:1px solid var(--line);border-radius:8px;padding:18px 20px;margin:16px 0}
.sub{color:var(--muted);margin:0 0 8px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:12px 0 0}
dl.meta dt{color:var(--muted)}
dl.meta dd{margin:0;overflow-wrap:anywhere}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(200px,1fr));gap:12px}
.card{border:1px solid var(--line);border-radius:8px;padding:12px 14px;background:var(--soft)}
.card .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .value{font-size:26px;font-weight:600;line-height:1.2;margin-top:2px}
.card .detail{color:var(--muted);font-size:12.5px}
.card.headline{border-color:var(--accent);background:#ebf4ff}
.card.headline .value{color:var(--accent)}
.note{color:var(--warn)}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.03em;background:var(--soft)}
td.num,th.num{text-align:right;white-space:nowrap}
tbody tr:nth-child(even){background:#fafbfc}
.grid2{display:grid;grid-template-columns:minmax(0,1.2fr) minmax(0,1fr);gap:20px;align-items:start}
@media (max-width:860px){.grid2{grid-template-columns:1fr}}
svg.chart{width:100%;max-width:720px;height:auto;display:block}
svg.chart text{font-family:inherit;font-size:12px;fill:var(--fg)}
svg.chart text.count{font-weight:600}
.legend{display:flex;gap:14px;color:var(--muted);font-size:12px;margin-top:6px}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px}
table.problems td{padding:3px 8px}
table.problems td.id{overflow-wrap:anywhere;max-width:260px}
table.problems td.reason{overflow-wrap:anywhere;color:#3e4c59}
td.outcome{white-space:pre}
tr.fail td.id{box-shadow:inset 3px 0 0 var(--fail)}
tr.missing td.id{box-shadow:inset 3px 0 0 var(--warn)}
.diverge{color:var(--fail);font-weight:600}
.tag{display:inline-block;border-radius:3px;padding:0 5px;font-size:11.5px;background:#fefcbf;color:#744210}
.ok{color:var(--pass)} .bad{color:var(--fail)}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:24px}
"""


def render_html(summary: dict, records: list[SampleRecord], problems: dict[str, dict] | None = None) -> str:
    return _html(_build(summary, records, problems))


def _bar_colour(cls: str) -> str:
    if cls == ".":
        return "#2f855a"
    if cls in _HARNESS_CLASSES:
        return "#8a94a6"
    return "#c53030"


def _svg_chart(v: _View) -> str:
    """A horizontal bar chart, one bar per class with a count, as inline SVG."""
    if not v.by_class:
        return '<p class="sub">No samples were scored.</p>'
    label_w, bar_w, count_w, row_h, bar_h, top = 250, 370, 90, 26, 16, 6
    width = label_w + bar_w + count_w
    height = top * 2 + row_h * len(v.by_class)
    peak = max(n for _, n in v.by_class) or 1
    total = sum(n for _, n in v.by_class)
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-label="Samples per failure class">']
    for i, (cls, n) in enumerate(v.by_class):
        y = top + i * row_h
        w = max(bar_w * n / peak, 2.0)
        meaning = _class_meaning(cls)
        label = f"{_clean(cls, 8)}  {meaning}"
        share = f"{100.0 * n / total:.1f}%" if total else ""
        parts.append(
            f'<g class="bar" data-class="{_h(cls, 8)}" data-count="{n}">'
            f"<title>{_h(cls, 8)}: {html.escape(meaning)}: {n} sample{'s' if n != 1 else ''} ({share})</title>"
            f'<text x="{label_w - 10}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end">{_h(label, 38)}</text>'
            f'<rect x="{label_w}" y="{y + (row_h - bar_h) / 2:.1f}" width="{w:.1f}" height="{bar_h}" rx="2" '
            f'fill="{_bar_colour(cls)}"/>'
            f'<text class="count" x="{label_w + w + 6:.1f}" y="{y + row_h / 2 + 4:.1f}">{n}</text>'
            "</g>")
    parts.append("</svg>")
    parts.append('<div class="legend"><span><span class="sw" style="background:#2f855a"></span>pass</span>'
                 '<span><span class="sw" style="background:#c53030"></span>failure</span>'
                 '<span><span class="sw" style="background:#8a94a6"></span>not judged (harness / skipped)</span>'
                 "</div>")
    return "".join(parts)


def _card(label: str, value: str, detail: str = "", cls: str = "") -> str:
    return (f'<div class="card {cls}"><div class="label">{label}</div><div class="value">{value}</div>'
            f'<div class="detail">{detail}</div></div>')


def _html(v: _View) -> str:
    title = _title(v)
    out: list[str] = []
    w = out.append
    w("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
      "img-src data:\">\n"
      f"<title>Benchmark report: {html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n<main>\n")

    # header
    w(f"<section><h1>{html.escape(title)}</h1>")
    w(f'<p class="sub">Benchmark report · provider {_h(v.get("provider"), 80) or "unknown"}'
      + (f" · model {_h(v.get('model'), 120)}" if v.get("model") else "") + "</p>")
    w('<dl class="meta">')
    for label, value in _meta(v):
        code = label in {"Dataset", "Dataset digest", "Model", "Tool versions"}
        val = f"<code>{html.escape(value)}</code>" if code else html.escape(value)
        w(f"<dt>{label}</dt><dd>{val}</dd>")
    w("</dl></section>\n")

    # headline
    w("<section><h2>Headline</h2><div class=\"cards\">")
    w(_card("Strict pass rate (headline)", _pct(v.strict_passed, v.total),
            f"{_frac(v.strict_passed, v.total)} samples", "headline"))
    w(_card("Official pass rate", _pct(v.passed, v.total),
            f"{_frac(v.passed, v.total)} samples · parity with the public harness"))
    ex = v.get("excluding_errata")
    if isinstance(ex, dict):
        detail = f"{_frac(ex.get('passed'), ex.get('total'))} official"
        if "strict_passed" in ex:
            detail += f" · {_frac(ex.get('strict_passed'), ex.get('total'))} strict"
        w(_card("Excluding errata", _pct(ex.get("passed"), ex.get("total")), detail))
    if v.prompt_tokens or v.completion_tokens or v.cost:
        w(_card("Cost", f"${v.cost:,.2f}",
                f"{v.prompt_tokens:,} prompt + {v.completion_tokens:,} completion tokens"))
    w("</div>")
    notes = []
    if v.rule_gap:
        notes.append(f"{v.rule_gap} sample{'s' if v.rule_gap != 1 else ''} pass the official rule but fail the "
                     "strict checks.")
    if v.errata:
        notes.append(f'{len(v.errata)} known-broken problem{"s" if len(v.errata) != 1 else ""} '
                     '(see <a href="#errata">errata</a>).')
    if notes:
        w(f'<p class="note">{" ".join(notes)}</p>')
    pak = _pass_at_k(v)
    if pak:
        w('<h2 style="margin-top:16px">pass@k</h2><table style="max-width:420px"><thead><tr><th>k</th>'
          '<th class="num">official</th><th class="num">strict</th></tr></thead><tbody>')
        for k, o, s in pak:
            w(f'<tr><td>{_h(k, 20)}</td><td class="num">{_rate(o)}</td><td class="num">{_rate(s)}</td></tr>')
        w("</tbody></table>")
    w("</section>\n")

    # failure classes
    w('<section><h2>Failure classes</h2><div class="grid2"><div>')
    w(_svg_chart(v))
    w("</div><div>")
    if v.by_class:
        w('<table><thead><tr><th>class</th><th>meaning</th><th class="num">samples</th>'
          '<th class="num">share</th></tr></thead><tbody>')
        for cls, n in v.by_class:
            w(f'<tr><td class="mono">{_h(cls, 8)}</td><td>{html.escape(_class_meaning(cls))}</td>'
              f'<td class="num">{n}</td><td class="num">{_pct(n, v.total)}</td></tr>')
        w("</tbody></table>")
    w("</div></div></section>\n")

    # agent
    if _show_agent(v):
        w("<section><h2>Self-verification (agent)</h2>")
        items = _agent_items(v.agent or {})
        if items:
            w('<p class="sub">The agent\'s verdict on its own design (its self-written tests) against the golden '
              'testbench.</p><table style="max-width:640px"><tbody>')
            for label, value in items:
                w(f'<tr><td>{html.escape(label)}</td><td class="num">{html.escape(value)}</td></tr>')
            w("</tbody></table>")
        else:
            w('<p class="sub">The run recorded no self-verification data.</p>')
        w("</section>\n")

    # errata
    w('<section id="errata"><h2>Errata (known-broken problems)</h2>')
    if v.errata:
        w('<p class="sub">Scored and counted like any other problem'
          + ("; the headline also gives the counts without them." if isinstance(ex, dict) else ".") + "</p>")
        w('<table><thead><tr><th>problem</th><th>kind</th><th>verdict</th><th class="num">strict passed</th>'
          "<th>reason</th></tr></thead><tbody>")
        for e in v.errata:
            verdict_cls = "ok" if e.verdict == "pass" else "bad" if e.verdict == "fail" else ""
            w(f'<tr><td class="mono">{_h(e.id, 120)}</td><td>{_h(e.kind, 60)}</td>'
              f'<td class="{verdict_cls}">{_h(e.verdict, 20)}</td><td class="num">{_h(e.passed, 20)}</td>'
              f"<td>{_h(e.reason, 300)}</td></tr>")
        w("</tbody></table>")
    else:
        w('<p class="sub">None.</p>')
    w("</section>\n")

    # per problem
    w("<section><h2>Per-problem results</h2>")
    if v.rows:
        failing = sum(1 for r in v.rows if r.status == "fail")
        w(f'<p class="sub">{len(v.rows)} problems, {failing} with at least one strict failure (listed first, '
          "then by id). Outcome: one failure-class character per sample, in groups of five.</p>")
        w('<table class="problems"><thead><tr><th>problem</th><th class="num">official</th>'
          '<th class="num">strict</th><th>outcome</th><th>first failure</th><th>log</th></tr></thead><tbody>\n')
        for row in v.rows:
            ff = row.first_failure
            reason = ""
            if ff is not None:
                reason = _h(ff.reason, REASON_WIDTH) or html.escape(_class_meaning(ff.failure_class))
            erratum = (f' <span class="tag" title="{_h(row.erratum, 300)}">erratum</span>' if row.erratum else "")
            strict_cls = "num diverge" if row.strict != row.official else "num"
            log = (f'<a href="{html.escape(_href(ff.log), quote=True)}">log</a>'
                   if ff is not None and ff.log else "")
            outcome = _h(row.outcome) if row.samples else "no samples"
            w(f'<tr class="{row.status}"><td class="id mono">{_h(row.id, 120)}{erratum}</td>'
              f'<td class="num">{row.official}/{row.total}</td><td class="{strict_cls}">{row.strict}/{row.total}</td>'
              f'<td class="outcome mono">{outcome}</td><td class="reason">{reason}</td><td>{log}</td></tr>\n')
        w("</tbody></table>")
    else:
        w('<p class="sub">No problems.</p>')
    w("</section>\n")
    w("<footer>Generated by rtlsmith.</footer>\n</main>\n</body>\n</html>\n")
    return "".join(out)


# --------------------------------------------------------------------------- entry point

def write_reports(out_dir: Path, summary: dict, records: list[SampleRecord],
                  problems: dict[str, dict] | None = None) -> tuple[Path, Path]:
    """Write out_dir/report.md and out_dir/report.html; return their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    view = _build(summary, records, problems)
    md_path, html_path = out_dir / "report.md", out_dir / "report.html"
    md_path.write_text(_markdown(view), encoding="utf-8", errors="replace")
    html_path.write_text(_html(view), encoding="utf-8", errors="replace")
    return md_path, html_path
