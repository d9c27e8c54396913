"""Static pre-check of untrusted HDL (pyslang): refuse escapes before any tool runs.

Refused unless the caller allows them: ``$system``, Verilator's ``$c``/``$cpure``...,
DPI imports, and file-touching system tasks whose path is absolute, contains ``..``,
or is not a string literal (cannot be checked). Includes with absolute or ``..`` paths
are refused before pyslang reads them. Findings point at file:line (macro uses are
reported at the line that expanded the macro).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rtlsmith.errors import SandboxViolation
from rtlsmith.types import DesignFiles

#: Always refused (arbitrary command / C++ execution).
DENY_TASKS = frozenset({"$system", "$c", "$cpure", "$cimport", "$pyeval"})
#: Verilator accepts width-suffixed spellings ($c32, $cpure64, ...) of the same C++ escape
_DENY_RE = re.compile(r"^\$(?:system|c\d*|cpure\d*|cimport|pyeval)$")
#: Verilator directives that paste raw C++ into the generated model
_VLT_CPP_RE = re.compile(r"`systemc_\w+")
#: Refused when their first argument is not a safe relative string literal.
PATH_TASKS = frozenset({"$fopen", "$readmemh", "$readmemb", "$writememh", "$writememb",
                        "$dumpfile", "$sdf_annotate", "$fread",
                        "$fopenr", "$fopenw", "$fopena"})  # the last three: Icarus extensions
HDL_SUFFIXES = (".v", ".sv", ".vh", ".svh", ".vams")

#: a `define with its backslash-continued lines
_DEFINE_RE = re.compile(r"`define\b(?:[^\n\\]|\\.|\\\n)*")
# anywhere on a line (not only at its start), quoted/bracketed or from a macro
_INCLUDE_RE = re.compile(r'`include\s*(?:["<]([^">]*)[">]|(`\w+))')


@dataclass(frozen=True)
class Finding:
    file: str
    line: int
    construct: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.construct}: {self.reason}"


def _unsafe_path(p: str) -> bool:
    # a backslash may be an escape (\057 is "/") the simulator decodes: refuse it outright
    return p.startswith("/") or p.startswith("~") or "\\" in p or ".." in p.split("/")


def check_text(name: str, text: str, allow: frozenset[str] = frozenset()) -> list[Finding]:
    from pyslang import parsing
    from pyslang.syntax import SyntaxKind, SyntaxTree

    findings: list[Finding] = []
    # pyslang's binding takes valid UTF-8 only: bytes DesignFiles kept as lone surrogates become
    # U+FFFD (no newline is touched, so line numbers hold)
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    # neutralise includes (keeping line numbers) so pyslang never opens host files
    def blank_include(m: re.Match) -> str:
        line = text.count("\n", 0, m.start()) + 1
        if "`include" not in allow:
            if m.group(2):
                findings.append(Finding(name, line, "`include", f"path from macro {m.group(2)} cannot be checked"))
            elif _unsafe_path(m.group(1)):
                findings.append(Finding(name, line, "`include", f"path {m.group(1)!r} leaves the work dir"))
        # every include is blanked, safe or not: pyslang never opens a file (each design
        # file is checked on its own by check_design)
        return " " * len(m.group(0))

    for m in _VLT_CPP_RE.finditer(text):
        if "$c" not in allow:
            findings.append(Finding(name, text.count("\n", 0, m.start()) + 1, m.group(0),
                                    "pastes raw C++ into the Verilator model; refused in generated designs"))

    # a macro defined in one file (a header) and used in another is never expanded here:
    # refuse denied tasks in every `define body instead
    for m in _DEFINE_RE.finditer(text):
        for tok in re.findall(r"\$\w+", m.group(0).replace("``", "")):
            if _DENY_RE.match(tok) and tok not in allow:
                findings.append(Finding(name, text.count("\n", 0, m.start()) + 1, tok,
                                        "denied task inside a `define body; refused in generated designs"))

    cleaned = _INCLUDE_RE.sub(blank_include, text)
    tree = SyntaxTree.fromText(cleaned, name)
    sm = tree.sourceManager

    def line_of(loc) -> int:
        return sm.getLineNumber(loc)

    def visit(node) -> bool:
        if isinstance(node, parsing.Token):
            if node.kind == parsing.TokenKind.SystemIdentifier and _DENY_RE.match(node.valueText) \
                    and node.valueText not in allow:
                findings.append(Finding(name, line_of(node.location), node.valueText,
                                        "runs host commands/code; refused in generated designs"))
            return True
        kind = getattr(node, "kind", None)
        if kind == SyntaxKind.DPIImport and "dpi" not in allow:
            findings.append(Finding(name, line_of(node.sourceRange.start), 'import "DPI-C"',
                                    "links foreign C code; refused in generated designs"))
        elif kind == SyntaxKind.InvocationExpression:
            task = str(node.left).strip()
            if task in PATH_TASKS and task not in allow:
                args = [a for a in (node.arguments.parameters if node.arguments else [])
                        if getattr(a, "kind", None) == SyntaxKind.OrderedArgument]
                first = str(args[0]).strip() if args else ""
                if task == "$fopen" and first and not first.startswith('"'):
                    reason = "path is not a string literal (cannot be checked)"
                elif first.startswith('"'):
                    reason = f"path {first} leaves the work dir" if _unsafe_path(first.strip('"')) else ""
                elif task == "$fread":
                    reason = ""  # $fread(var, fd): reads an already opened (checked) descriptor
                else:
                    reason = "path is not a string literal (cannot be checked)"
                if reason:
                    findings.append(Finding(name, line_of(node.sourceRange.start), task, reason))
        return True

    tree.root.visit(visit)
    return findings


def check_design(files: DesignFiles, allow: frozenset[str] | set[str] = frozenset()) -> list[Finding]:
    """Findings over every HDL file of the design (other files are not HDL and are skipped)."""
    out: list[Finding] = []
    for name, text in files.items():
        if name.lower().endswith(HDL_SUFFIXES):
            out.extend(check_text(name, text, frozenset(allow)))
    return out


def enforce(files: DesignFiles, allow: frozenset[str] | set[str] = frozenset()) -> None:
    """Raise SandboxViolation listing every finding (file:line), or return quietly."""
    findings = check_design(files, allow)
    if findings:
        lines = "\n  ".join(str(f) for f in findings[:20])
        more = f"\n  ... and {len(findings) - 20} more" if len(findings) > 20 else ""
        raise SandboxViolation(
            f"refused {len(findings)} unsafe construct(s) in generated HDL:\n  {lines}{more}\n"
            "(pass --allow-unsafe TASK to permit one deliberately)", findings=findings)
