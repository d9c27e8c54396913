"""Typed errors with one root (pattern: SiliconCompiler's TaskError family).

Every error carries the data a caller needs to act on it; messages say what was
wrong, where, and how to fix it. Library code raises these; only the CLI turns
them into exit codes.
"""
from __future__ import annotations

from pathlib import Path


class RtlsmithError(Exception):
    """Root of every error rtlsmith raises on purpose."""

    exit_code = 2


class ConfigError(RtlsmithError):
    """Bad configuration or command-line input."""


class InputError(RtlsmithError):
    """A user- or model-supplied input (file, path, spec) is unusable."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
        super().__init__(f"{where}{message}")
        self.file = file
        self.line = line


class ToolError(RtlsmithError):
    """Something went wrong running an external tool."""

    exit_code = 3


class ToolNotFoundError(ToolError):
    """A required executable is missing; says how to install it and which env var overrides it."""

    def __init__(self, tool: str, *, install_hint: str, env_var: str | None = None) -> None:
        msg = f"required tool '{tool}' not found on PATH. Install: {install_hint}"
        if env_var:
            msg += f" (or set {env_var}=/path/to/{tool})"
        super().__init__(msg)
        self.tool = tool
        self.install_hint = install_hint
        self.env_var = env_var


class ToolVersionError(ToolError):
    """A tool is present but too old / unparseable."""


class ToolTimeoutError(ToolError):
    """A command exceeded its wall-clock timeout and was killed (whole process tree)."""

    def __init__(self, argv0: str, timeout: float, log: Path | None = None) -> None:
        super().__init__(f"'{argv0}' exceeded its {timeout:g} s wall timeout and was killed"
                         + (f"; log: {log}" if log else ""))
        self.argv0 = argv0
        self.timeout = timeout
        self.log = log


class ToolFailedError(ToolError):
    """A tool ran but failed in a way that is not a verdict on the design (crash, bad flags)."""

    def __init__(self, message: str, *, returncode: int | None = None, log: Path | None = None) -> None:
        super().__init__(message + (f" (exit {returncode})" if returncode is not None else "")
                         + (f"; log: {log}" if log else ""))
        self.returncode = returncode
        self.log = log


class SandboxError(RtlsmithError):
    """The sandbox itself is broken or unavailable (not the design's fault)."""

    exit_code = 4


class SandboxViolation(RtlsmithError):
    """Untrusted input tried something the sandbox policy forbids (static check or path)."""

    exit_code = 5

    def __init__(self, message: str, *, findings: list | None = None) -> None:
        super().__init__(message)
        self.findings = list(findings or [])
