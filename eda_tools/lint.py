"""Lint: Verilator ``--lint-only -Wall`` and Icarus ``-g2012`` elaboration -> Diagnostics."""
from __future__ import annotations

import time
from abc import ABC, abstractmethod

from pydantic import BaseModel

from rtlsmith.eda_tools.base import EdaContext, Workspace
from rtlsmith.eda_tools.parsers.hdl_logs import attach_excerpts, parse_iverilog, parse_verilator
from rtlsmith.eda_tools.tools import Toolchain
from rtlsmith.errors import ConfigError, ToolFailedError
from rtlsmith.types import DesignFiles, Diagnostic


class Linter(ABC):
    name: str
    tool: str

    def __init__(self, tc: Toolchain | None = None) -> None:
        self.tc = tc or Toolchain()

    @abstractmethod
    def argv(self, files: list[str], top: str | None) -> list[str]:
        """Pure: the command line for these files (relative to the work dir)."""

    @abstractmethod
    def parse(self, text: str) -> list[Diagnostic]: ...


class VerilatorLint(Linter):
    name = tool = "verilator"

    def argv(self, files: list[str], top: str | None) -> list[str]:
        a = [self.tc.exe("verilator"), "--lint-only", "-Wall", "-Wno-DECLFILENAME", "-Wno-MULTITOP",
             "--timing"]
        if top:
            a += ["--top-module", top]
        return a + files

    def parse(self, text: str) -> list[Diagnostic]:
        return parse_verilator(text)


class IcarusLint(Linter):
    name = tool = "iverilog"

    def argv(self, files: list[str], top: str | None) -> list[str]:
        a = [self.tc.exe("iverilog"), "-g2012", "-Wall", "-Wno-timescale", "-o", ".lint.vvp"]
        if top:
            a += ["-s", top]
        return a + files

    def parse(self, text: str) -> list[Diagnostic]:
        return parse_iverilog(text)


LINTERS: dict[str, type[Linter]] = {"verilator": VerilatorLint, "iverilog": IcarusLint}


class LintResult(BaseModel):
    ok: bool
    diagnostics: list[Diagnostic]
    seconds: float
    cached: bool = False
    tool_versions: dict[str, str] = {}

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


def lint(files: DesignFiles, top: str | None = None, linters: tuple[str, ...] = ("verilator", "iverilog"),
         ctx: EdaContext | None = None) -> LintResult:
    """Run each linter in the sandbox; ``ok`` is False when any reports an error."""
    ctx = ctx or EdaContext()
    for n in linters:
        if n not in LINTERS:
            raise ConfigError(f"unknown linter '{n}'; valid: {', '.join(LINTERS)}")
    tc = ctx.toolchain
    tv = tc.versions(tuple(LINTERS[n].tool for n in linters))
    key = ctx.result_cache.key(kind="lint", files=files.digest(), top=top, linters=linters, tools=tv)
    hit = ctx.result_cache.get(key)
    if hit:
        return LintResult(**{**hit, "cached": True})
    t0 = time.monotonic()
    ws = Workspace(ctx, "lint")
    try:
        names = ws.write(files)
        hdl = [n for n in names if n.endswith((".v", ".sv"))]
        diags: list[Diagnostic] = []
        for n in linters:
            linter = LINTERS[n](tc)
            res = ws.step(f"lint-{n}", linter.argv(hdl, top), timeout=60)
            if res.timed_out:
                raise ToolFailedError(f"{n} lint timed out", log=res.stderr_path)
            found = linter.parse(res.stdout() + "\n" + res.stderr())
            if res.returncode != 0 and not any(d.severity == "error" for d in found) and n == "iverilog":
                found.append(Diagnostic(tool=n, severity="error", message=res.tail(10) or f"{n} exited {res.returncode}"))
            diags.extend(found)
        diags = attach_excerpts(diags, dict(files.items()))
        out = LintResult(ok=not any(d.severity == "error" for d in diags), diagnostics=diags,
                         seconds=time.monotonic() - t0, tool_versions=tv)
    finally:
        ws.cleanup()
    ctx.result_cache.put(key, out.model_dump(mode="json"))
    return out
