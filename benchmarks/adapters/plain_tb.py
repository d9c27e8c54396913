"""Shared scoring for plain Verilog testbenches (VerilogEval, RTLLM): compile + run in the
sandbox, one combined log like the official shell redirections produce, and the strict
checks that keep a completion from forging the verdict it shares a simulation with.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

from rtlsmith.eda_tools.base import EdaContext, Workspace
from rtlsmith.sandbox.command import Limits
from rtlsmith.sandbox.static_check import check_design
from rtlsmith.types import DesignFiles

#: combined-log budget kept per sample (the full streams stay capped by the supervisor)
LOG_KEEP = 512 * 1024


@dataclass
class TbRun:
    log: str
    compiled: bool
    returncode: int | None
    timed_out: bool
    seconds: float
    tool_versions: dict[str, str]
    gate_findings: list[str]
    infra_error: str | None = None


def _cap(text: str) -> str:
    if len(text) <= LOG_KEEP:
        return text
    half = LOG_KEEP // 2
    return text[:half] + f"\n[... {len(text) - LOG_KEEP} bytes elided by rtlsmith ...]\n" + text[-half:]


#: compile, then run under coreutils ``timeout`` -- one sandboxed process tree per sample
#: (one sandbox start instead of two: it halves the per-sample overhead). The script is a
#: constant; every variable part arrives as a positional argument, never as shell text.
#: ``exec 2>&1`` gives the one interleaved log the official ``&>``/``&>>`` redirections give.
_TB_SCRIPT = ('exec 2>&1; t="$1"; vvp="$2"; bin="$3"; ext="$4"; shift 4; '
              '"$@" || exit 97; exec timeout "$t" "$vvp" "$bin" $ext')
_COMPILE_FAILED = 97
_TIMEOUT_RC = 124


def run_plain_tb(*, label: str, sandbox: str | None, completion: dict[str, str], harness: dict[str, str],
                 compile_order: list[str], compile_flags: list[str], timeout_s: float,
                 allow_unsafe: frozenset[str] = frozenset(), binary: str = "sim.vvp",
                 compile_timeout_s: float = 120.0, no_waves: bool = False) -> TbRun:
    """``iverilog FLAGS -o binary FILES`` then ``timeout T vvp binary`` (as the official Makefiles
    run the compiled vvp script), in one sandboxed process tree; a run that hits the timeout
    gets ``TIMEOUT`` appended to the log exactly as VerilogEval's Makefile does. ``no_waves``
    runs vvp with ``-none``: ``$dumpvars`` writes nothing (no verdict reads the waveform; it
    saves 10-15% of simulation time on the long VerilogEval problems)."""
    t0 = time.monotonic()
    ctx = EdaContext(sandbox=sandbox, cache=False, allow_unsafe=allow_unsafe,
                     limits=Limits(timeout_s=timeout_s, memory_mb=4096, file_size_mb=64,
                                   output_keep_bytes=LOG_KEEP, output_kill_bytes=32 * 1024 * 1024))
    tv = ctx.toolchain.versions(("iverilog", "vvp"))
    findings = [str(f) for f in check_design(DesignFiles(completion), allow_unsafe)]
    if findings:
        return TbRun("", False, None, False, time.monotonic() - t0, tv, findings)
    ws = Workspace(ctx, label)
    try:
        DesignFiles({**harness, **completion}).write(ws.work)
        argv = ["/bin/sh", "-c", _TB_SCRIPT, "rtlsmith-tb", f"{timeout_s:g}", ctx.toolchain.exe("vvp"), binary,
                "-none" if no_waves else "", ctx.toolchain.exe("iverilog"), *compile_flags, "-o", binary, *compile_order]
        r = ws.step("tb", argv, timeout=compile_timeout_s + timeout_s + 5.0)
        log = r.stdout() + r.stderr()
        if r.timed_out:
            return TbRun(_cap(log), False, None, True, time.monotonic() - t0, tv, [],
                         infra_error=f"compile + run did not finish within {compile_timeout_s + timeout_s:g} s")
        if r.killed_reason == "interrupted":
            return TbRun(_cap(log), False, None, False, time.monotonic() - t0, tv, [], infra_error="interrupted")
        if r.returncode == _COMPILE_FAILED:
            return TbRun(_cap(log), False, r.returncode, False, time.monotonic() - t0, tv, [])
        timed_out = r.returncode == _TIMEOUT_RC
        if timed_out:
            log += "TIMEOUT\n"
        elif r.killed_reason == "output":
            log += f"\n[rtlsmith: simulation killed after {ctx.limits.output_kill_bytes} bytes of output]\n"
        return TbRun(_cap(log), True, r.returncode, timed_out, time.monotonic() - t0, tv, [])
    finally:
        ws.failed = False  # the log travels back in the result; the run dir is not needed
        ws.cleanup()


def strict_findings(completion: dict[str, str]) -> list[str]:
    """Ways a completion could reach past its ports into the harness that shares its simulation.

    The completion is elaborated on its own with pyslang: an upward hierarchical reference
    (``tb.stats1.errors = 0``, ``$root.tb...``) does not resolve, and a module it instantiates
    but does not define (``RefModule``: the reference solution) is unknown. Either is a finding.
    """
    from pyslang.ast import Compilation
    from pyslang.syntax import SyntaxTree
    comp = Compilation()
    texts = {}
    for name, text in sorted(completion.items()):
        if name.endswith((".v", ".sv", ".vh", ".svh")):
            comp.addSyntaxTree(SyntaxTree.fromText(text, name))
            texts[name] = text
    out = []
    sm = comp.sourceManager
    for d in comp.getAllDiagnostics():
        code = str(d.code).split("(")[-1].rstrip(")")
        args = [str(a) for a in d.args]
        where = "?"
        text = ""
        try:
            loc = d.location
            fname = sm.getFileName(loc)
            line = sm.getLineNumber(loc)
            where = f"{fname}:{line}"
            text = texts.get(fname, "")
            after = text[loc.offset:loc.offset + 200]
        except Exception:  # noqa: BLE001 - a location we cannot map still counts as a finding
            after = ""
        if code == "CouldNotResolveHierarchicalPath":
            out.append(f"{where}: hierarchical reference outside the design ({', '.join(args)})")
        elif code == "UndeclaredIdentifier" and re.match(r"\\?[\w$]+\s*\.", after):
            out.append(f"{where}: upward hierarchical reference to '{args[0] if args else '?'}' "
                       "(a name in the testbench, not the design)")
        elif code == "UnknownModule":
            out.append(f"{where}: instantiates module '{args[0] if args else '?'}' that the completion "
                       "does not define (e.g. the reference solution)")
    return out
