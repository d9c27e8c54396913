"""Fixtures for the hostile-input corpus: backends, canaries, process scans, FIFO traps.

Backends: ``isolating_backend`` is "bwrap" (plus "docker" once DockerBackend is usable);
filesystem / network / pid-namespace cases take it. ``any_backend`` adds "local": the
resource-bound cases (timeouts, output spam, fork bomb, daemons) must hold there too,
since they rest on the supervisor (wall timeout, rlimits, pids cgroup), not on isolation.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from rtlsmith.eda_tools.base import EdaContext
from rtlsmith.sandbox import BwrapBackend, DockerBackend
from rtlsmith.types import DesignFiles

CORPUS = Path(__file__).resolve().parent / "corpus"
HDL = CORPUS / "hdl"
COCOTB = CORPUS / "cocotb"
REPO = Path(__file__).resolve().parents[2]

# the hostile cocotb modules are data, never pytest tests
collect_ignore_glob = ["corpus/*"]


@functools.lru_cache(maxsize=1)
def docker_usable() -> bool:
    return DockerBackend().available()[0]


ISOLATING = ["bwrap"] + (["docker"] if docker_usable() else [])
ALL_BACKENDS = [*ISOLATING, "local"]
# Negative control, by hand only: RTLSMITH_SECURITY_BACKENDS=local runs every case on the
# local backend, where the isolation cases MUST fail (proof that they test something).
if os.environ.get("RTLSMITH_SECURITY_BACKENDS"):
    ISOLATING = ALL_BACKENDS = os.environ["RTLSMITH_SECURITY_BACKENDS"].split(",")


def _require(backend: str) -> str:
    if backend == "bwrap":
        ok, why = BwrapBackend().available()
        if not ok:  # not a skip: without it the product would fall back to no isolation
            pytest.fail(f"bwrap backend unusable, the hostile corpus cannot run: {why}")
    for tool in ("iverilog", "vvp"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed (make sysdeps)")
    return backend


@pytest.fixture(params=ISOLATING)
def isolating_backend(request) -> str:
    return _require(request.param)


@pytest.fixture(params=ALL_BACKENDS)
def any_backend(request) -> str:
    return _require(request.param)


@pytest.fixture
def tag() -> str:
    """A fresh uuid fragment: canary names, markers and secrets of one case."""
    return uuid.uuid4().hex[:12]


@pytest.fixture
def make_ctx(tmp_path):
    """EdaContext factory: no result cache, run dirs kept under tmp_path/runs to inspect."""
    def make(backend: str, **kw) -> EdaContext:
        kw.setdefault("run_root", tmp_path / "runs")
        return EdaContext(sandbox=backend, cache=False, **kw)
    return make


def render(name: str, **subs: str) -> DesignFiles:
    """A corpus HDL file with its @PLACEHOLDER@s replaced (non-UTF-8 bytes kept)."""
    text = (HDL / name).read_bytes().decode("utf-8", "surrogateescape")
    for k, v in subs.items():
        text = text.replace(f"@{k}@", v)
    assert "@CANARY" not in text and "@INCLUDE@" not in text, f"unrendered placeholder in {name}"
    return DesignFiles({name: text})


def marked_line(name: str, marker: str = "LINE-UNDER-TEST") -> int:
    for i, line in enumerate((HDL / name).read_text(errors="replace").splitlines(), 1):
        if marker in line and not line.lstrip().startswith("//"):
            return i
    raise AssertionError(f"{name} has no {marker} line")


class Canaries:
    """uuid paths that hostile code tries to create; all must be absent afterwards."""

    ROOTS = {"tmp": Path("/tmp"), "vartmp": Path("/var/tmp"), "root": Path("/root"), "repo": REPO}

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.paths: dict[str, Path] = {k: d / f"rtlsmith_escape_{tag}" for k, d in self.ROOTS.items()
                                       if d.is_dir()}
        self.extra: list[Path] = []

    def add(self, p: Path) -> Path:
        self.extra.append(Path(p))
        return Path(p)

    def all(self) -> list[Path]:
        return [*self.paths.values(), *self.extra]

    def _variants(self) -> list[Path]:
        out = []
        for p in self.all():
            out += [p, p.with_name(p.name + ".py"), p.with_name(p.name + ".sh")]
        return out

    def present(self) -> list[str]:
        return [str(p) for p in self._variants() if os.path.lexists(p)]

    def assert_absent(self) -> None:
        found = self.present()
        assert not found, f"sandbox escape: canaries created on the host: {found}"

    def cleanup(self) -> None:
        for p in self._variants():
            try:
                os.unlink(p)
            except OSError:
                pass


@pytest.fixture
def canaries(tag):
    c = Canaries(tag)
    assert not c.present()
    yield c
    c.cleanup()


def procs_matching(marker: str) -> list[tuple[int, str]]:
    """Live host processes whose argv, environ or cwd mentions ``marker`` (zombies skipped)."""
    me = os.getpid()
    needle = marker.encode()
    hits = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == me:
            continue
        try:
            stat = (d / "stat").read_text()
            if stat[stat.rfind(")") + 2:].startswith(("Z", "X")):
                continue
            argv = (d / "cmdline").read_bytes()
            blob = argv + (d / "environ").read_bytes()
            try:
                blob += os.readlink(d / "cwd").encode()
            except OSError:
                pass
        except OSError:
            continue
        if needle in blob:
            hits.append((int(d.name), argv.replace(b"\0", b" ").decode(errors="replace")[:200]))
    return hits


def assert_no_leftovers(marker: str, grace: float = 2.0) -> None:
    """Nothing tied to ``marker`` may be alive once the call returned (short grace for the
    kernel to finish delivering SIGKILL to a dying pid namespace)."""
    deadline = time.monotonic() + grace
    while True:
        left = procs_matching(marker)
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    for pid, _ in left:  # do not let a failure leave junk running on the machine
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    assert not left, f"processes outlived their sandboxed command: {left}"


_TRAP_WATCHER = r"""
import errno, os, sys, time
path, out = sys.argv[1], sys.argv[2]
n = 0
while os.path.exists(path):  # the harness unlinks the FIFO to stop us
    try:
        fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as e:
        if e.errno not in (errno.ENXIO, errno.EAGAIN):
            break
        time.sleep(0.01)
        continue
    n += 1
    with open(out, "w") as f:
        f.write(str(n))
    try:
        os.write(fd, b"// fifo trap\n")
    finally:
        os.close(fd)
    time.sleep(0.05)
"""


class FifoTrap:
    """A FIFO that records whether anybody opened it for reading.

    A reader of a FIFO blocks in open() until a writer appears. A watcher PROCESS (not a
    thread: the reader may be C++ code holding the GIL) polls with a non-blocking writer
    open, which only succeeds while a reader is waiting, then feeds it a harmless line and
    EOF so nothing hangs. ``opened`` counts the reads.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._count = self.path.with_name(self.path.name + ".count")
        os.mkfifo(self.path)
        self.opened = 0
        self._proc: subprocess.Popen | None = None

    def __enter__(self) -> "FifoTrap":
        self._proc = subprocess.Popen([sys.executable, "-c", _TRAP_WATCHER, str(self.path), str(self._count)])
        return self

    def __exit__(self, *exc) -> None:
        try:
            os.unlink(self.path)
        except OSError:
            pass
        try:
            self._proc.wait(5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        try:
            self.opened = int(self._count.read_text())
            self._count.unlink()
        except (OSError, ValueError):
            self.opened = 0


_RESCUER = r"""
import glob, os, stat, sys, time
pattern, after = sys.argv[1], float(sys.argv[2])
t_fire = time.monotonic() + after
while True:
    time.sleep(0.05)
    if time.monotonic() < t_fire:
        continue
    for p in glob.glob(pattern):
        try:
            if stat.S_ISFIFO(os.stat(p).st_mode):
                os.close(os.open(p, os.O_WRONLY | os.O_NONBLOCK))  # a blocked reader now sees EOF
        except OSError:
            pass
"""


class FifoRescuer:
    """Unblocks, ``after_s`` seconds from now, whoever is stuck opening a FIFO matching
    ``pattern`` (so a case that shows a host hang costs seconds, not the suite)."""

    def __init__(self, pattern: str, after_s: float) -> None:
        self.pattern = pattern
        self.after_s = after_s

    def __enter__(self) -> "FifoRescuer":
        self._proc = subprocess.Popen([sys.executable, "-c", _RESCUER, self.pattern, str(self.after_s)])
        return self

    def __exit__(self, *exc) -> None:
        self._proc.kill()
        self._proc.wait()


def hostile_env(tag: str, **extra: str) -> dict[str, str]:
    """extra_env for the hostile cocotb modules: armed, no bytecode written into the repo."""
    return {"RTLSMITH_HOSTILE": "1", "PYTHONDONTWRITEBYTECODE": "1", "HOSTILE_TAG": tag,
            "HOSTILE_MARKER": f"rtlsmith-hostile-{tag}", **extra}
