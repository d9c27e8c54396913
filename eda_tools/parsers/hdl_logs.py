"""Diagnostics from Verilator and Icarus logs (regexes only classify messages; see STYLE §4)."""
from __future__ import annotations

import re

from rtlsmith.types import Diagnostic

_VERILATOR = re.compile(
    r"^%(?P<sev>Error|Warning)(?:-(?P<code>[A-Z0-9_]+))?:\s+(?P<file>[^:\s][^:]*):(?P<line>\d+):(?:(?P<col>\d+):)?\s*(?P<msg>.*)$")
_IVERILOG = re.compile(
    r"^(?P<file>[^:\s][^:]*):(?P<line>\d+):\s*(?:(?P<sev>error|warning|sorry):\s*)?(?P<msg>.*)$")


def parse_verilator(text: str) -> list[Diagnostic]:
    """``%Warning-WIDTH: f.v:3:12: msg`` lines; summary lines without a location are skipped."""
    out: list[Diagnostic] = []
    for line in text.splitlines():
        m = _VERILATOR.match(line)
        if not m:
            continue
        out.append(Diagnostic(tool="verilator", severity="error" if m["sev"] == "Error" else "warning",
                              file=m["file"], line=int(m["line"]), col=int(m["col"]) if m["col"] else None,
                              code=m["code"], message=m["msg"].strip()))
    return out


def parse_iverilog(text: str, tool: str = "iverilog") -> list[Diagnostic]:
    """``f.v:4: error: msg`` / ``f.v:7: syntax error`` / ``f.v:2: warning: msg``."""
    out: list[Diagnostic] = []
    for line in text.splitlines():
        m = _IVERILOG.match(line)
        if not m:
            continue
        msg = m["msg"].strip()
        sev = m["sev"] or ("error" if "error" in msg.lower() else "warning")
        out.append(Diagnostic(tool=tool, severity="warning" if sev == "warning" else "error",
                              file=m["file"], line=int(m["line"]),
                              code="syntax" if msg.startswith("syntax error") else (m["sev"] if m["sev"] == "sorry" else None),
                              message=msg))
    return out


def excerpt(text: str | list[str], line: int, context: int = 2) -> str:
    """Source lines around ``line`` with the offending one marked '█' (aider's idea)."""
    lines = text.splitlines() if isinstance(text, str) else text
    lo, hi = max(1, line - context), min(len(lines), line + context)
    return "\n".join(f"{'█' if n == line else ' '} {n:4d} | {lines[n - 1]}" for n in range(lo, hi + 1))


def attach_excerpts(diags: list[Diagnostic], sources: dict[str, str]) -> list[Diagnostic]:
    """Add excerpts where the file is one of ours (matched by path suffix)."""
    out = []
    split: dict[str, list[str]] = {}  # each file split once: a big file can have 10k diagnostics
    for d in diags:
        name = None
        if d.file:
            name = next((n for n in sources if d.file == n or d.file.endswith("/" + n)), None)
        if name is not None:
            d = d.model_copy(update={"file": name})
            if d.line:
                if name not in split:
                    split[name] = sources[name].splitlines()
                d = d.model_copy(update={"excerpt": excerpt(split[name], d.line)})
        out.append(d)
    return out


def format_for_llm(diags: list[Diagnostic], max_items: int = 10) -> str:
    """Bounded report: at most ``max_items`` diagnostics, errors first, with a count of the rest."""
    ordered = sorted(diags, key=lambda d: (d.severity != "error", d.file or "", d.line or 0))
    parts = []
    for d in ordered[:max_items]:
        head = f"{d.location()}: {d.severity}" + (f" [{d.code}]" if d.code else "") + f" ({d.tool}): {d.message}"
        parts.append(head + ("\n" + d.excerpt if d.excerpt else ""))
    if len(ordered) > max_items:
        parts.append(f"... {len(ordered) - max_items} more diagnostic(s) elided; full log on disk")
    return "\n\n".join(parts)
