"""The ONE function that runs a subprocess (pattern: SiliconCompiler's Task.run_task).

stdin closed; argv list only; env built from an allow-list; output streamed to capped
log files (head + tail kept, the middle elided with a note); wall timeout; rlimits on
address space, CPU, file size and core dumps; a pids cgroup per command when we are
root (RLIMIT_NPROC does not bind root); the whole process tree killed on timeout, on
runaway output, and after exit (nothing outlives its command).
"""
from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from functools import lru_cache
from pathlib import Path

from rtlsmith.errors import SandboxError, ToolNotFoundError
from rtlsmith.sandbox.backends import Backend, get_backend
from rtlsmith.sandbox.command import Command, CommandResult, Limits

#: Host environment variables passed through to sandboxed commands; everything else is dropped.
ENV_ALLOW = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SOURCE_DATE_EPOCH")


def build_env(cmd: Command) -> dict[str, str]:
    env = {k: os.environ[k] for k in ENV_ALLOW if k in os.environ}
    env.setdefault("PATH", "/usr/bin:/bin")
    env.setdefault("LANG", "C.UTF-8")
    env["HOME"] = str(cmd.cwd)
    env["TMPDIR"] = "/tmp"
    env.update(cmd.env)
    return env


class _CappedLog:
    """Keeps the first 3/4 of ``keep`` bytes and the last 1/4; counts what it drops."""

    def __init__(self, path: Path, keep: int) -> None:
        self.path = path
        self.fh = open(path, "wb")
        self.head_left = keep - keep // 4
        self.tail_cap = keep // 4
        self.tail = bytearray()
        self.total = 0
        self.elided = 0

    def write(self, data: bytes) -> None:
        self.total += len(data)
        if self.head_left > 0:
            n = min(self.head_left, len(data))
            self.fh.write(data[:n])
            self.head_left -= n
            data = data[n:]
        if data:
            self.tail += data
            if len(self.tail) > self.tail_cap:
                drop = len(self.tail) - self.tail_cap
                self.elided += drop
                del self.tail[:drop]

    def close(self) -> None:
        if self.elided:
            self.fh.write(f"\n[... rtlsmith: {self.elided} bytes of output elided ...]\n".encode())
        self.fh.write(bytes(self.tail))
        self.fh.close()


@lru_cache(maxsize=1)
@lru_cache(maxsize=1)
def _pids_cgroup_root() -> Path | None:
    """A writable pids-controller cgroup directory, or None (not root / no cgroupfs)."""
    if os.geteuid() != 0 or os.environ.get("RTLSMITH_NO_CGROUP"):
        return None
    for cand in (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup/unified"), Path("/sys/fs/cgroup")):
        if not (cand / "cgroup.procs").exists():
            continue
        # a child cgroup with a pids.max file proves the pids controller is usable here
        probe = cand / f"rtlsmith-probe-{os.getpid()}"
        try:
            probe.mkdir()
            ok = (probe / "pids.max").exists()
            probe.rmdir()
        except OSError:
            continue
        if ok:
            return cand
    return None


class _PidsCgroup:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def create(cls, max_procs: int) -> "_PidsCgroup | None":
        root = _pids_cgroup_root()
        if root is None:
            return None
        path = root / f"rtlsmith-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        try:
            path.mkdir()
            (path / "pids.max").write_text(str(max_procs))
        except OSError:
            return None
        return cls(path)

    def join_prefix(self) -> list[str]:
        """argv prefix: a shell that moves itself into the cgroup, then execs the command,
        so not even the first fork of the command can happen outside it."""
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(self.path / "cgroup.procs")]

    def pids(self) -> list[int]:
        try:
            return [int(x) for x in (self.path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def kill_all(self) -> None:
        for _ in range(50):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.01)

    def remove(self) -> None:
        self.kill_all()
        for _ in range(100):
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.01)


def rlimit_prefix(limits: Limits, nproc: bool | None = None) -> list[str]:
    """``prlimit`` argv prefix that applies the resource limits to the command (pure).

    prlimit (util-linux, on every Debian) instead of a ``preexec_fn``: running Python
    between fork and exec is unsafe once the caller has threads (a process-pool
    executor, a progress bar), and prlimit costs ~1 ms.
    """
    mb = 1024 * 1024
    argv = [_PRLIMIT, f"--as={limits.memory_mb * mb}", f"--cpu={limits.cpu_s}:{limits.cpu_s + 5}",
            f"--fsize={limits.file_size_mb * mb}", "--core=0"]
    if nproc if nproc is not None else os.geteuid() != 0:
        # RLIMIT_NPROC does not bind root; root gets the pids cgroup instead
        argv.append(f"--nproc={limits.max_procs}")
    return argv + ["--"]


_PRLIMIT = shutil.which("prlimit") or "/usr/bin/prlimit"


def _killpg(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _check_reachable(path: Path, uid: int) -> None:
    for parent in path.parents:
        st = parent.stat()
        if not (st.st_mode & 0o001 or (st.st_uid == uid and st.st_mode & 0o100)):
            raise SandboxError(f"work dir {path} is not reachable by the sandbox uid {uid}: {parent} has mode "
                               f"{st.st_mode & 0o777:o}; use a work dir whose parents are world-traversable "
                               "(chmod o+x) or RTLSMITH_SANDBOX_AS_ROOT=1")


def _hand_over(path: Path, uid: int, once: bool = False) -> None:
    """chown ``path`` and what we put in it to the sandbox ``uid``. ``once``: a dir already
    owned by it was handed over before (a big shared cache: do not walk it every time)."""
    if once and path.stat().st_uid == uid:
        return
    for root, dirs, files in os.walk(path):
        for p in [root, *(os.path.join(root, n) for n in dirs + files)]:
            if os.lstat(p).st_uid != uid:
                os.lchown(p, uid, uid)


def _exe_exists(argv0: str, cwd: Path, path: str) -> bool:
    if "/" in argv0:
        p = Path(argv0) if os.path.isabs(argv0) else cwd / argv0
        return p.is_file() and os.access(p, os.X_OK)
    return shutil.which(argv0, path=path) is not None


def _run_warm(cmd: Command, pool, out_log: _CappedLog, err_log: _CappedLog) -> CommandResult:
    """A job in a warm container: the pool enforces the timeout (docker kill) and output cap."""
    lim = cmd.limits
    mb = 1024 * 1024
    rlimits = {"AS": lim.memory_mb * mb, "CPU": lim.cpu_s, "FSIZE": lim.file_size_mb * mb, "CORE": 0}
    t0 = time.monotonic()
    try:
        rc, rss, killed, oom = pool.execute(cmd, out_log, err_log, rlimits)
    finally:
        out_log.close()
        err_log.close()
    return CommandResult(argv=list(cmd.argv), returncode=rc, stdout_path=out_log.path, stderr_path=err_log.path,
                         seconds=time.monotonic() - t0, peak_rss_mb=rss, timed_out=killed == "timeout",
                         killed_reason=killed, elided_bytes=out_log.elided + err_log.elided, oom_killed=oom,
                         backend="docker")


_STOP = threading.Event()


def interrupt_all() -> None:
    """Kill every supervised command now running in any thread, and refuse new ones until
    :func:`allow_runs` (Ctrl-C in a batch whose commands run in worker threads)."""
    _STOP.set()


def allow_runs() -> None:
    _STOP.clear()


def run(cmd: Command, backend: Backend | str | None = None) -> CommandResult:
    """Run ``cmd`` under supervision and return what happened.

    Raises ToolNotFoundError when the executable is missing and SandboxError when the
    sandbox cannot start; a timeout or a non-zero exit is NOT an exception: it is data
    on the result (callers turn it into a verdict or a typed error).
    """
    if _STOP.is_set():
        raise SandboxError("interrupted: no new commands are started")
    if not isinstance(backend, Backend):
        backend = get_backend(backend)
    cwd = Path(cmd.cwd).resolve()
    if not cwd.is_dir():
        raise SandboxError(f"work dir {cwd} does not exist")
    env = build_env(cmd)
    if backend.run_uid is not None:
        if backend.uid_opens_host_paths:
            _check_reachable(cwd, backend.run_uid)
        _hand_over(cwd, backend.run_uid)
        for w in cmd.writable:
            _hand_over(Path(w), backend.run_uid, once=True)
    if backend.name != "docker" and not _exe_exists(cmd.argv[0], cwd, env["PATH"]):
        raise ToolNotFoundError(cmd.argv[0], install_hint="see `rtlsmith doctor`")
    pool = backend.warm_pool(cmd)
    wrapped = backend.wrap(cmd)
    log_dir = Path(cmd.log_dir) if cmd.log_dir else Path(tempfile.mkdtemp(prefix="rtlsmith-logs-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    out_log = _CappedLog(log_dir / f"{cmd.name}.stdout.log", cmd.limits.output_keep_bytes)
    err_log = _CappedLog(log_dir / f"{cmd.name}.stderr.log", cmd.limits.output_keep_bytes)
    if pool is not None:
        return _run_warm(cmd, pool, out_log, err_log)
    cgroup = _PidsCgroup.create(cmd.limits.max_procs)
    lim = cmd.limits
    t0 = time.monotonic()
    try:
        argv = rlimit_prefix(lim, nproc=os.geteuid() != 0 or backend.run_uid is not None) + wrapped
        if cgroup is not None:
            argv = cgroup.join_prefix() + argv
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=cwd, env=env, start_new_session=True, close_fds=True)
    except FileNotFoundError as e:
        out_log.close(), err_log.close()
        if cgroup:
            cgroup.remove()
        raise ToolNotFoundError(wrapped[0], install_hint="see `rtlsmith doctor`") from e
    except OSError as e:
        out_log.close(), err_log.close()
        if cgroup:
            cgroup.remove()
        raise SandboxError(f"could not start {wrapped[0]}: {e}") from e

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, out_log)
    sel.register(proc.stderr, selectors.EVENT_READ, err_log)
    deadline = t0 + lim.timeout_s
    killed_reason: str | None = None
    status = rusage = None
    drain_until: float | None = None

    def kill_tree() -> None:
        _killpg(proc.pid)
        if cgroup:
            cgroup.kill_all()
        backend.kill(cmd, wrapped)

    try:
        while sel.get_map():
            now = time.monotonic()
            if status is None and now >= deadline:
                killed_reason = "timeout"
                kill_tree()
                drain_until = now + 1.0
            if killed_reason is None and _STOP.is_set():
                killed_reason = "interrupted"
                kill_tree()
                drain_until = now + 1.0
            if drain_until is not None and now >= drain_until:
                break
            for key, _ in sel.select(timeout=0.05):
                data = os.read(key.fd, 1 << 16)
                if not data:
                    sel.unregister(key.fileobj)
                    continue
                key.data.write(data)
                if killed_reason is None and out_log.total + err_log.total > lim.output_kill_bytes:
                    killed_reason = "output"
                    kill_tree()
                    drain_until = time.monotonic() + 1.0
            if status is None:
                pid, st, ru = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    status, rusage = st, ru
                    # leftovers (daemonised children) must not outlive the command
                    _killpg(proc.pid)
                    if cgroup:
                        cgroup.kill_all()
                    drain_until = drain_until or time.monotonic() + 1.0
        if status is None:
            if killed_reason is None and time.monotonic() >= deadline:
                killed_reason = "timeout"
            kill_tree()
            _, status, rusage = os.wait4(proc.pid, 0)
    except BaseException:
        kill_tree()  # Ctrl-C or a bug: never leave the tree running
        raise
    finally:
        sel.close()
        proc.stdout.close()
        proc.stderr.close()
        out_log.close()
        err_log.close()
        if cgroup:
            cgroup.remove()
        if status is None:
            try:
                os.wait4(proc.pid, 0)
            except ChildProcessError:
                pass
    seconds = time.monotonic() - t0
    rc = os.waitstatus_to_exitcode(status)
    proc.returncode = rc  # we reaped it ourselves
    return CommandResult(
        argv=list(cmd.argv), returncode=rc, stdout_path=out_log.path, stderr_path=err_log.path,
        seconds=seconds, peak_rss_mb=(rusage.ru_maxrss / 1024.0) if rusage else 0.0,
        timed_out=killed_reason == "timeout", killed_reason=killed_reason,
        elided_bytes=out_log.elided + err_log.elided, backend=backend.name)
