"""Warm containers for the docker backend: each runs sandbox/docker_runner.py, which takes
jobs as JSON lines, so a command costs a few ms instead of `docker run`'s ~400 ms.

A container serves one job at a time; idle ones wait in a pool. It is recycled after
``max_jobs`` jobs and after anything unusual: a timeout or output kill (``docker kill``),
a protocol error or EOF from the runner (tampering or OOM). Every container gets the same
hardening as the one-shot path plus fixed mounts: the runs root (rw, a sized tmpfs when we
are root: the disk quota), the source tree (ro: templates' tests import rtlsmith), the
ccache dir (rw) and the liberty dir (ro).
"""
from __future__ import annotations

import base64
import json
import os
import selectors
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from rtlsmith.errors import SandboxError
from rtlsmith.sandbox.command import SOURCE_ROOT, Command

RUNNER = SOURCE_ROOT / "sandbox" / "docker_runner.py"
IMAGE_PATH = "/opt/rtlsmith/venv/bin:/usr/local/bin:/usr/bin:/bin"
#: every live container we started, so an interrupted run can kill them all
LIVE: set[str] = set()
_LIVE_LOCK = threading.Lock()


def runs_root() -> Path:
    """Where docker-backend workspaces live (mounted into every warm container)."""
    root = Path(os.environ.get("RTLSMITH_DOCKER_RUNS", "/var/tmp/rtlsmith-docker/runs"))
    root.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0 and not os.path.ismount(root) and not os.environ.get("RTLSMITH_DOCKER_NO_QUOTA"):
        size = os.environ.get("RTLSMITH_DOCKER_QUOTA", "4g")
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0711", "tmpfs", str(root)],
                       check=False, capture_output=True)
    return root


@dataclass
class Container:
    name: str
    proc: subprocess.Popen
    jobs: int = 0
    dead: bool = False
    buf: bytearray = field(default_factory=bytearray)


class DockerPool:
    def __init__(self, exe: str, image: str, hardening: list[str], mounts: list[tuple[str, str]],
                 max_jobs: int = 50) -> None:
        self.exe, self.image, self.hardening, self.mounts = exe, image, hardening, mounts
        self.max_jobs = max_jobs
        self.idle: list[Container] = []
        self.lock = threading.Lock()

    def covers(self, cmd: Command) -> bool:
        """Whether a warm container can run ``cmd`` (its paths are all mounted)."""
        rw = [Path(src) for src, mode in self.mounts if mode == "rw"]
        ro = [Path(src) for src, _ in self.mounts]
        inside = lambda p, roots: any(r == p or r in p.parents for r in roots)  # noqa: E731
        return (inside(Path(cmd.cwd).resolve(), rw)
                and all(inside(Path(w).resolve(), rw) for w in cmd.writable)
                and all(inside(Path(r).resolve(), ro) for r in cmd.readable))

    def _start(self) -> Container:
        name = f"rtlsmith-warm-{uuid.uuid4().hex[:10]}"
        argv = [self.exe, "run", "-i", "--rm", "--name", name, *self.hardening]
        for src, mode in self.mounts:
            argv += ["-v", f"{src}:{src}:{mode}"]
        argv += ["-v", f"{RUNNER}:/opt/rtlsmith/runner.py:ro", self.image,
                 "/opt/rtlsmith/venv/bin/python", "-u", "/opt/rtlsmith/runner.py"]
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        with _LIVE_LOCK:
            LIVE.add(name)
        c = Container(name, proc)
        msg = self._read_msg(c, time.monotonic() + 60)
        if not msg or "ready" not in msg:
            self._kill(c)
            raise SandboxError(f"warm container {name} did not start its runner (image {self.image})")
        return c

    def acquire(self) -> Container:
        with self.lock:
            while self.idle:
                c = self.idle.pop()
                if not c.dead and c.proc.poll() is None:
                    return c
        return self._start()

    def release(self, c: Container) -> None:
        if c.dead or c.jobs >= self.max_jobs:
            self._kill(c)
            return
        with self.lock:
            self.idle.append(c)

    def _kill(self, c: Container) -> None:
        c.dead = True
        subprocess.run([self.exe, "kill", c.name], capture_output=True, timeout=30)
        try:
            c.proc.kill()
            c.proc.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for f in (c.proc.stdin, c.proc.stdout):
            try:
                f.close()
            except OSError:
                pass
        with _LIVE_LOCK:
            LIVE.discard(c.name)

    def shutdown(self) -> None:
        with self.lock:
            idle, self.idle = self.idle, []
        for c in idle:
            self._kill(c)

    def _read_msg(self, c: Container, deadline: float) -> dict | None:
        """Next JSON line from the runner, or None on EOF/deadline/garbage."""
        fd = c.proc.stdout.fileno()
        while b"\n" not in c.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            sel = selectors.DefaultSelector()
            sel.register(fd, selectors.EVENT_READ)
            ready = sel.select(timeout=min(left, 0.5))
            sel.close()
            if not ready:
                continue
            data = os.read(fd, 1 << 16)
            if not data:
                return None
            c.buf += data
        line, _, rest = bytes(c.buf).partition(b"\n")
        c.buf = bytearray(rest)
        try:
            msg = json.loads(line)
        except ValueError:
            return None
        return msg if isinstance(msg, dict) else None

    def execute(self, cmd: Command, out_log, err_log, rlimits: dict[str, int]) -> tuple[int, float, str | None, bool]:
        """Run ``cmd`` in a warm container: (returncode, peak RSS MB, killed_reason, oom)."""
        c = self.acquire()
        c.jobs += 1
        env = {"PATH": IMAGE_PATH, "LANG": "C.UTF-8", "HOME": str(cmd.cwd), "TMPDIR": "/tmp", **cmd.env}
        job = {"argv": list(cmd.argv), "cwd": str(Path(cmd.cwd).resolve()), "env": env, "rlimits": rlimits}
        deadline = time.monotonic() + cmd.limits.timeout_s
        killed: str | None = None
        rc, rss = -1, 0.0
        try:
            c.proc.stdin.write((json.dumps(job) + "\n").encode())
            c.proc.stdin.flush()
            while True:
                msg = self._read_msg(c, deadline)
                if msg is None:
                    killed = "timeout" if time.monotonic() >= deadline else None
                    c.dead = True
                    if killed is None:  # EOF or garbage: the runner died (OOM?) or was tampered with
                        rc = -9
                    break
                if "o" in msg or "e" in msg:
                    (out_log if "o" in msg else err_log).write(base64.b64decode(msg.get("o") or msg.get("e")))
                    if out_log.total + err_log.total > cmd.limits.output_kill_bytes:
                        killed, c.dead = "output", True
                        break
                elif "rc" in msg:
                    rc, rss = int(msg["rc"]), msg.get("maxrss_kb", 0) / 1024.0
                    break
                elif "error" in msg:
                    err_log.write(msg["error"].encode())
                    rc = 127
                    break
                else:
                    c.dead = True
                    break
        except (OSError, ValueError):
            c.dead = True
        oom = False
        if c.dead and killed is None:
            r = subprocess.run([self.exe, "inspect", "-f", "{{.State.OOMKilled}}", c.name],
                               capture_output=True, text=True, timeout=30)
            oom = r.stdout.strip() == "true"
        self.release(c)
        return rc, rss, killed, oom


def kill_all_live(exe: str = "docker") -> None:
    """Kill every warm container this process started (Ctrl-C, exit)."""
    with _LIVE_LOCK:
        names = list(LIVE)
        LIVE.clear()
    if names:
        subprocess.run([exe, "kill", *names], capture_output=True, timeout=60)
