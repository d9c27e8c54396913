"""What to run (Command) and what happened (CommandResult). Pure data."""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: the source tree holding the ``rtlsmith`` package (sandboxed template tests import it)
SOURCE_ROOT = Path(__file__).resolve().parent.parent


def ccache_dir() -> Path:
    """Verilator's object cache, shared by sandboxed builds. As root the sandbox runs as
    another uid, which cannot reach /root/.cache: use /var/cache/rtlsmith there."""
    default = (Path("/var/cache/rtlsmith/ccache") if os.geteuid() == 0
               else Path.home() / ".cache" / "rtlsmith" / "ccache")
    d = Path(os.environ.get("RTLSMITH_CCACHE_DIR", default))
    d.mkdir(parents=True, exist_ok=True)
    return d


@dataclass(frozen=True)
class Limits:
    """Resource limits for one command. Defaults suit a simulation of a small design."""

    timeout_s: float = 60.0
    #: address-space cap per process (RLIMIT_AS); Verilator builds need ~1-2 GB
    memory_mb: int = 4096
    cpu_s: int = 600
    #: largest file any process may write (RLIMIT_FSIZE): caps $fwrite/VCD spam
    file_size_mb: int = 256
    #: bytes of stdout/stderr kept on disk per stream (head + tail; the middle is elided)
    output_keep_bytes: int = 2 * 1024 * 1024
    #: total output after which the command is killed (a runaway $display loop)
    output_kill_bytes: int = 64 * 1024 * 1024
    #: max live processes/threads (pids cgroup when root, RLIMIT_NPROC otherwise)
    max_procs: int = 512


@dataclass(frozen=True)
class Command:
    """One process to run under supervision. argv is a list: never a shell string."""

    argv: list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    #: extra host dirs the command may write (e.g. a ccache dir); the work dir is always writable
    writable: tuple[Path, ...] = ()
    #: host dirs the command must read even where the backend masks them (e.g. a cocotb test dir)
    readable: tuple[Path, ...] = ()
    #: where stdout/stderr logs go (outside the writable work dir so untrusted code cannot edit them)
    log_dir: Path | None = None
    #: label used for log file names
    name: str = "cmd"

    def __post_init__(self) -> None:
        if isinstance(self.argv, str) or not self.argv or not all(isinstance(a, str) for a in self.argv):
            raise TypeError("Command.argv must be a non-empty list of str (no shell strings)")


@dataclass
class CommandResult:
    argv: list[str]
    returncode: int
    stdout_path: Path
    stderr_path: Path
    seconds: float
    peak_rss_mb: float
    timed_out: bool = False
    #: why the supervisor killed it: "timeout" | "output" | "interrupted" | None
    killed_reason: str | None = None
    #: bytes of output dropped from the kept logs (head+tail kept)
    elided_bytes: int = 0
    oom_killed: bool = False
    backend: str = "local"

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out and self.killed_reason is None

    def stdout(self) -> str:
        return self.stdout_path.read_text(errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def tail(self, lines: int = 40) -> str:
        """Last lines of stdout then stderr, for error messages and LLM feedback."""
        out = []
        for p in (self.stdout_path, self.stderr_path):
            txt = p.read_text(errors="replace").rstrip("\n")
            if txt:
                out.extend(txt.splitlines()[-lines:])
        return "\n".join(out[-lines:])

    def to_dict(self) -> dict:
        d = asdict(self)
        d["stdout_path"] = str(self.stdout_path)
        d["stderr_path"] = str(self.stderr_path)
        return d
