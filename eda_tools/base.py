"""Shared plumbing for EDA steps: settings, the per-run workspace, and one step runner."""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rtlsmith.eda_tools.tools import ImageToolchain, Toolchain, tool_env_path
from rtlsmith.sandbox import Backend, Command, CommandResult, Limits, get_backend, run
from rtlsmith.sandbox.cache import ResultCache
from rtlsmith.sandbox.static_check import enforce
from rtlsmith.types import DesignFiles


@dataclass
class EdaContext:
    """Settings every EDA call takes; defaults are what the CLI uses."""

    sandbox: str | None = None  # auto | bwrap | docker | local (None = $RTLSMITH_SANDBOX or auto)
    cache: bool = True
    #: where run directories go; a temp dir per call when None
    run_root: Path | None = None
    #: system tasks permitted despite the static check (e.g. {"$fopen"})
    allow_unsafe: frozenset[str] = frozenset()
    #: keep the run directory after the call (always kept when run_root is given)
    keep: bool = False
    limits: Limits = field(default_factory=Limits)
    _backend: Backend | None = field(default=None, repr=False)
    _cache: ResultCache | None = field(default=None, repr=False)
    _toolchain: Toolchain | None = field(default=None, repr=False)

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = get_backend(self.sandbox)
        return self._backend

    @property
    def toolchain(self) -> Toolchain:
        """The tools as the chosen backend sees them (the docker image has its own)."""
        if self._toolchain is None:
            if self.backend.name == "docker":
                from rtlsmith.sandbox.image import image_toolchain_info
                tag, tool_versions, gpi = image_toolchain_info(self.backend.image)
                self._toolchain = ImageToolchain(tag, tool_versions, gpi)
            else:
                self._toolchain = Toolchain()
        return self._toolchain

    @property
    def result_cache(self) -> ResultCache:
        if self._cache is None:
            self._cache = ResultCache(enabled=self.cache)
        return self._cache


class Workspace:
    """``root/work`` is the only dir sandboxed code may write; ``root/logs`` holds our logs."""

    def __init__(self, ctx: EdaContext, label: str) -> None:
        if ctx.run_root is not None:
            ctx.run_root.mkdir(parents=True, exist_ok=True)
            self.root = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=ctx.run_root))
            self.ephemeral = False
        else:
            # the docker backend's warm containers see one mounted runs root
            base = ctx.backend.workspace_root()
            self.root = Path(tempfile.mkdtemp(prefix=f"rtlsmith-{label}-", dir=base))
            self.ephemeral = not ctx.keep
        self.work = self.root / "work"
        self.logs = self.root / "logs"
        self.work.mkdir()
        self.logs.mkdir(mode=0o700)  # ours: the sandbox (another uid when we are root) cannot read it
        self.root.chmod(0o711)  # traversable, not listable: the sandbox uid must reach work/
        self.ctx = ctx
        #: set by callers when the result failed: the run dir is then kept for inspection
        self.failed = False

    def write(self, files: DesignFiles) -> list[str]:
        """Static-check then write the design; returns the file names (relative to work)."""
        enforce(files, self.ctx.allow_unsafe)
        files.write(self.work)
        return list(files)

    def step(self, name: str, argv: list[str], *, timeout: float | None = None,
             env: dict[str, str] | None = None, writable: tuple[Path, ...] = (),
             readable: tuple[Path, ...] = (), limits: Limits | None = None) -> CommandResult:
        lim = limits or self.ctx.limits
        if timeout is not None:
            lim = Limits(**{**lim.__dict__, "timeout_s": timeout})
        host = self.ctx.backend.name != "docker"  # the image sets its own PATH
        full_env = {**({"PATH": tool_env_path()} if host else {}), **(env or {})}
        cmd = Command(argv=argv, cwd=self.work, env=full_env, limits=lim, writable=writable,
                      readable=readable, log_dir=self.logs, name=name)
        return run(cmd, self.ctx.backend)

    def cleanup(self) -> None:
        if self.ephemeral and not self.failed:
            shutil.rmtree(self.root, ignore_errors=True)
