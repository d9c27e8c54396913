"""Sandbox backends. Each one only BUILDS argv (pure, unit-tested); the supervisor runs it.

- ``bwrap``: read-only host root, only the work dir (and explicit cache dirs) writable,
  private /tmp, home directories hidden, no network, new pid/ipc/uts namespaces,
  all capabilities dropped, dies with its parent.
- ``docker``: a container per command from a pinned toolchain image, hardened
  (see :class:`DockerBackend`); killed with ``docker kill`` on timeout.
- ``local``: no isolation beyond rlimits and the pids cgroup. Loudly warned.
"""
from __future__ import annotations

import atexit
import os
import shutil
import stat
import subprocess
import sys
import threading
import uuid
import warnings
from abc import ABC, abstractmethod
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

from rtlsmith.errors import ConfigError, SandboxError
from rtlsmith.sandbox.command import SOURCE_ROOT, Command, Limits, ccache_dir

#: Directories that may hold secrets or sockets (/run/docker.sock is host root); the bwrap
#: backend replaces them with an empty tmpfs, re-exposing read-only only what the tools
#: need (e.g. a pyenv Python under /root).
HIDDEN_DIRS = ("/root", "/home", "/run", "/var")
#: Files replaced by /dev/null in the bwrap sandbox (readable by a root-mapped sandbox).
HIDDEN_FILES = ("/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-")
#: uid/gid the bwrap backend runs commands as when rtlsmith itself runs as root.
SANDBOX_UID = 65534


class Backend(ABC):
    name: str = "?"
    #: uid the sandboxed command runs as when it differs from ours (the work dir is chowned to it)
    run_uid: int | None = None
    #: whether that uid itself must reach the work dir on the host (not so for docker's bind mounts)
    uid_opens_host_paths: bool = True

    @abstractmethod
    def wrap(self, cmd: Command) -> list[str]:
        """The argv that runs ``cmd.argv`` inside this backend."""

    def available(self) -> tuple[bool, str]:
        return True, "ok"

    def kill(self, cmd: Command, wrapped: list[str]) -> None:  # noqa: B027 - optional hook
        """Extra clean-up after the supervisor killed the process group (docker kill)."""

    def warm_pool(self, cmd: Command):
        """A pool of warm environments that can run ``cmd`` instead of a new process, or None."""
        return None

    def workspace_root(self) -> Path | None:
        """Where workspaces must live for this backend (None: anywhere, a temp dir)."""
        return None


class LocalBackend(Backend):
    """No isolation: rlimits, process-group and pids-cgroup only."""

    name = "local"
    _warned = False

    def wrap(self, cmd: Command) -> list[str]:
        if not LocalBackend._warned and not os.environ.get("RTLSMITH_QUIET_LOCAL"):
            warnings.warn("sandbox backend 'local' gives NO filesystem or network isolation: "
                          "generated RTL and tests run with your privileges. Install bubblewrap "
                          "(apt-get install bubblewrap) or use --sandbox docker.",
                          RuntimeWarning, stacklevel=3)
            LocalBackend._warned = True
        return list(cmd.argv)


def _needed_paths() -> list[Path]:
    """Host paths the tools need to read even when they sit under a hidden dir."""
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent.parent,
             SOURCE_ROOT}
    for extra in os.environ.get("RTLSMITH_SANDBOX_RO", "").split(os.pathsep):
        if extra:
            paths.add(Path(extra))
    return sorted(p for p in paths if p.exists())


def _world_readable(p: Path) -> bool:
    """Every ancestor dir o+x and the path itself o+r: what a uid with no rights can reach."""
    try:
        if not p.stat().st_mode & stat.S_IROTH:
            return False
        return all(a.stat().st_mode & stat.S_IXOTH for a in p.resolve().parents)
    except OSError:
        return False


@lru_cache(maxsize=1)
def _can_drop_root() -> bool:
    return all(_world_readable(p) for p in _needed_paths()) and shutil.which("setpriv") is not None


class BwrapBackend(Backend):
    name = "bwrap"
    _warned_root = False

    def __init__(self, exe: str | None = None, hidden: tuple[str, ...] = HIDDEN_DIRS) -> None:
        self.exe = exe or os.environ.get("RTLSMITH_BWRAP") or shutil.which("bwrap") or "bwrap"
        self.hidden = hidden
        #: when we are root, run the sandbox as SANDBOX_UID so root-only host files stay
        #: unreadable and RLIMIT_NPROC binds; needs the Python/tools to be world-readable
        self.run_uid: int | None = None
        if os.geteuid() == 0 and not os.environ.get("RTLSMITH_SANDBOX_AS_ROOT"):
            if _can_drop_root() and _bwrap_probe(self.exe, SANDBOX_UID)[0]:
                self.run_uid = SANDBOX_UID
            elif not BwrapBackend._warned_root:
                warnings.warn("running as root and the Python environment is not world-readable "
                              f"({sys.prefix}): the bwrap sandbox stays uid 0 (capabilities dropped). "
                              "Create the venv from /usr/bin/python3 (as `make` does) to run it "
                              f"as uid {SANDBOX_UID}.", RuntimeWarning, stacklevel=2)
                BwrapBackend._warned_root = True

    def wrap(self, cmd: Command) -> list[str]:
        work = str(Path(cmd.cwd).resolve())
        argv = []
        if self.run_uid is not None:
            argv = ["setpriv", f"--reuid={self.run_uid}", f"--regid={self.run_uid}", "--clear-groups", "--"]
        argv += [self.exe, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        for f in HIDDEN_FILES:
            if os.path.exists(f):
                argv += ["--ro-bind", "/dev/null", f]
        masked = [Path(d) for d in ("/tmp", *self.hidden) if os.path.isdir(d)]
        for d in masked:
            argv += ["--tmpfs", str(d)]
        # what the tools must read but sits under a masked dir (a venv in /tmp, pyenv in /root)
        for p in sorted({*_needed_paths(), *(Path(r).resolve() for r in cmd.readable)}):
            if any(d == p or d in p.parents for d in masked):
                argv += ["--ro-bind", str(p), str(p)]
        for w in (work, *[str(Path(p).resolve()) for p in cmd.writable]):
            argv += ["--bind", w, w]
        argv += ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                 "--chdir", work, "--"]
        return argv + list(cmd.argv)

    def available(self) -> tuple[bool, str]:
        ok, why = _bwrap_probe(self.exe, None)
        if ok and self.run_uid is not None:
            why = f"ok (runs as uid {self.run_uid})"
        elif ok and os.geteuid() == 0:
            why = "ok (runs as uid 0 with no capabilities: the venv is not world-readable)"
        return ok, why


@lru_cache(maxsize=4)
def _bwrap_probe(exe: str, uid: int | None) -> tuple[bool, str]:
    if not shutil.which(exe):
        return False, "bwrap not installed (apt-get install bubblewrap)"
    pre = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"] if uid is not None else []
    try:
        r = subprocess.run(pre + [exe, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                                  "--unshare-all", "--die-with-parent", "--cap-drop", "ALL", "--", "true"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, f"bwrap failed to start: {e}"
    if r.returncode != 0:
        return False, f"bwrap cannot create namespaces here: {r.stderr.decode(errors='replace').strip()}"
    return True, "ok"




class DockerBackend(Backend):
    """One hardened ``docker run`` per command; the work dir is bind-mounted at the same path.

    The image must hold the toolchain and this Python environment at the same paths
    (see README: Docker). Warm containers are the docker-sandbox issue's job.
    """

    name = "docker"

    run_uid = 65534  # the container user: the work dir is handed to it
    uid_opens_host_paths = False

    def __init__(self, image: str | None = None, exe: str | None = None, user: str = "65534:65534",
                 cpus: float = 1.0) -> None:
        if image is None and not os.environ.get("RTLSMITH_DOCKER_IMAGE"):
            from rtlsmith.sandbox.image import image_tag  # the tag is a digest of the recipe
            image = image_tag()
        self.image = image or os.environ["RTLSMITH_DOCKER_IMAGE"]
        self.exe = exe or os.environ.get("RTLSMITH_DOCKER") or shutil.which("docker") or "docker"
        self.user = user
        self.cpus = cpus
        self._names: OrderedDict[int, str] = OrderedDict()  # wrap() and kill() agree on a name

    def container_name(self, cmd: Command) -> str:
        key = id(cmd)
        if key not in self._names:
            self._names[key] = f"rtlsmith-{uuid.uuid4().hex[:12]}"
            while len(self._names) > 64:  # bounded: only in-flight commands need their name
                self._names.popitem(last=False)
        return self._names[key]

    def hardening(self, lim: Limits) -> list[str]:
        """Flags every container gets (one-shot and warm)."""
        return ["--network", "none", "--read-only",
                "--memory", f"{lim.memory_mb}m", "--memory-swap", f"{lim.memory_mb}m",
                "--cpus", f"{self.cpus:g}", "--pids-limit", str(lim.max_procs),
                "--user", self.user, "--cap-drop", "ALL",
                "--security-opt", "no-new-privileges",
                "--tmpfs", "/tmp:rw,size=256m,mode=1777",
                "--log-driver", "json-file", "--log-opt", "max-size=1m",
                "--ulimit", f"fsize={lim.file_size_mb * 1024 * 1024}"]

    def wrap(self, cmd: Command) -> list[str]:
        """One-shot ``docker run`` (used when a warm container cannot see the command's paths)."""
        work = str(Path(cmd.cwd).resolve())
        argv = [self.exe, "run", "--rm", "-i", "--name", self.container_name(cmd), *self.hardening(cmd.limits),
                "-v", f"{work}:{work}:rw", "-w", work, "-e", f"HOME={work}"]
        for w in cmd.writable:
            w = str(Path(w).resolve())
            argv += ["-v", f"{w}:{w}:rw"]
        for r in sorted({str(Path(p).resolve()) for p in cmd.readable}):
            argv += ["-v", f"{r}:{r}:ro"]
        for k, v in sorted(cmd.env.items()):
            argv += ["-e", f"{k}={v}"]
        # docker has no address-space ulimit: apply the rlimits inside with util-linux prlimit
        mb = 1024 * 1024
        lim = cmd.limits
        inner = ["prlimit", f"--as={lim.memory_mb * mb}", f"--cpu={lim.cpu_s}", f"--fsize={lim.file_size_mb * mb}",
                 "--core=0", "--"]
        return argv + [self.image] + inner + list(cmd.argv)

    def available(self) -> tuple[bool, str]:
        if not shutil.which(self.exe):
            return False, "docker CLI not installed (apt-get install docker.io)"
        try:
            r = subprocess.run([self.exe, "image", "inspect", self.image], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired) as e:
            return False, f"docker engine does not answer: {e}"
        if r.returncode != 0:
            err = r.stderr.decode(errors="replace").strip()
            if "Cannot connect" in err or "daemon" in err:
                return False, "docker engine not running (start dockerd)"
            return False, f"image {self.image} not found"
        return True, "ok"

    # ---- warm containers
    _pools: dict[tuple[str, str], "object"] = {}
    _pools_lock = threading.Lock()

    def pool(self):
        """The process-wide warm pool for this image (created on first use)."""
        from rtlsmith.sandbox import docker_pool as dp
        key = (self.exe, self.image)
        with DockerBackend._pools_lock:
            if key not in DockerBackend._pools:
                mounts = [(str(dp.runs_root()), "rw"), (str(SOURCE_ROOT), "ro")]
                for extra, mode in ((str(ccache_dir()), "rw"), ("/usr/share/qflow/tech/osu018", "ro")):
                    if os.path.isdir(extra):
                        mounts.append((extra, mode))
                pool = dp.DockerPool(self.exe, self.image, self.hardening(Limits(memory_mb=4096, max_procs=1024)),
                                     mounts)
                DockerBackend._pools[key] = pool
                atexit.register(pool.shutdown)
                atexit.register(dp.kill_all_live, self.exe)
            return DockerBackend._pools[key]

    def warm_pool(self, cmd: Command):
        if os.environ.get("RTLSMITH_DOCKER_COLD"):
            return None
        pool = self.pool()
        return pool if pool.covers(cmd) else None

    def workspace_root(self) -> Path:
        from rtlsmith.sandbox.docker_pool import runs_root
        return runs_root()

    def kill(self, cmd: Command, wrapped: list[str]) -> None:
        # the CLI's own death does not stop the container: kill it by name
        subprocess.run([self.exe, "kill", self.container_name(cmd)], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=30)


BACKENDS: dict[str, type[Backend]] = {"bwrap": BwrapBackend, "docker": DockerBackend, "local": LocalBackend}


@lru_cache(maxsize=1)
def _auto_choice() -> str:
    """Probed once per process: each probe starts a subprocess."""
    for cand in ("docker", "bwrap"):
        if BACKENDS[cand]().available()[0]:
            return cand
    return "local"


def get_backend(name: str | None = None) -> Backend:
    """Backend by name; ``auto`` (default, or $RTLSMITH_SANDBOX) = docker > bwrap > local."""
    name = name or os.environ.get("RTLSMITH_SANDBOX", "auto")
    if name == "auto":
        return BACKENDS[_auto_choice()]()
    if name not in BACKENDS:
        raise ConfigError(f"unknown sandbox backend '{name}'; valid: auto, {', '.join(BACKENDS)}")
    b = BACKENDS[name]()
    ok, why = b.available()
    if not ok:
        raise SandboxError(f"sandbox backend '{name}' is not usable: {why}")
    return b
