"""Hostile-input corpus: untrusted HDL and cocotb tests against the REAL sandbox.

Cases feed a file from ``corpus/`` (each says in its header what it attacks; the 0-byte
file, the 5 MB design and the hostile file names are generated here) to the public EDA
entry points (run_testbench, simulate_cocotb, lint, synth, DesignFiles) and check
that the attack is refused by the static gate, contained by the sandbox, or bounded by
the supervisor; and, where the attack runs, that it really ran (evidence in the log or
in the hostile module's report), so a case cannot pass because nothing happened.

Isolation cases take ``isolating_backend`` (bwrap; docker once usable); resource-bound
cases take ``any_backend`` (also "local"). The weaknesses this corpus first found (gate
bypasses, a FIFO results.xml, a writable ccache, unix sockets, root-only files) are fixed
and their cases stay as regressions.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import sysconfig
import threading
import time
import uuid
from pathlib import Path

import pytest

from rtlsmith.eda_tools.base import EdaContext
from rtlsmith.eda_tools.lint import lint
from rtlsmith.eda_tools.simulate import run_testbench, simulate_cocotb
from rtlsmith.eda_tools.synth import synth
from rtlsmith.errors import InputError, SandboxViolation, ToolFailedError
from rtlsmith.sandbox import Limits
from rtlsmith.sandbox.static_check import enforce
from rtlsmith.types import DesignFiles, SimResult

from .conftest import (COCOTB, HDL, FifoRescuer, FifoTrap, assert_no_leftovers, hostile_env, marked_line,
                       procs_matching, render)

pytestmark = [pytest.mark.security, pytest.mark.timeout(60)]

MiB = 1024 * 1024


# ----------------------------------------------------------------------------- helpers

def _run_dirs(ctx: EdaContext) -> list[Path]:
    return sorted(ctx.run_root.glob("*/work"), key=lambda p: p.stat().st_mtime)


def _assert_nothing_written(ctx: EdaContext) -> None:
    """The gate refused before the design was written: every work dir is empty."""
    for w in _run_dirs(ctx):
        assert not any(w.iterdir()), f"refused design still reached {w}: {list(w.iterdir())}"


def _refused(exc: SandboxViolation, name: str, construct: str, line: int | None = None):
    hits = [f for f in exc.findings if f.file == name and f.construct == construct]
    assert hits, f"no {construct} finding for {name}: {exc}"
    if line is not None:
        assert line in [f.line for f in hits], f"{construct} reported at {[f.line for f in hits]}, not {line}"
        assert f"{name}:{line}: {construct}" in str(exc)
    return hits


def _cocotb(ctx: EdaContext, module: str, tag: str, *, timeout: float, **env: str) -> tuple[SimResult, float, dict]:
    """Run a hostile cocotb module against the harmless DUT; (result, seconds, its report)."""
    t0 = time.monotonic()
    res = simulate_cocotb(DesignFiles.from_paths([HDL / "cocotb_dut.v"]), "hostile_dut", module, COCOTB,
                          "icarus", timeout=timeout, ctx=ctx, extra_env=hostile_env(tag, **env))
    elapsed = time.monotonic() - t0
    report: dict = {}
    for w in _run_dirs(ctx):
        p = w / "hostile_report.json"
        if p.is_file():
            report.update(json.loads(p.read_text()))
    return res, elapsed, report


def _octal(path: str) -> str:
    return "".join(f"\\{ord(c):03o}" if c == "/" else c for c in path)


@pytest.fixture
def root_secret(tag):
    """A secret file in a hidden dir (/root, else the caller's home): never to be seen."""
    home = next((d for d in (Path("/root"), Path.home()) if os.access(d, os.W_OK)), None)
    if home is None:
        pytest.skip("no writable hidden dir for the secret")
    p = home / f".rtlsmith_secret_{tag}"
    value = f"TOPSECRET-{uuid.uuid4().hex}"
    p.write_text(value)
    try:
        yield p, value
    finally:
        p.unlink(missing_ok=True)


# ------------------------------------------------------- 1-5: the static gate refuses

def test_system_task_refused_with_file_and_line(isolating_backend, make_ctx, canaries):
    ctx = make_ctx(isolating_backend)
    files = render("system_task.v", CANARY=str(canaries.paths["tmp"]))
    with pytest.raises(SandboxViolation) as ei:
        run_testbench(files, "system_task", "icarus", timeout=5, ctx=ctx)
    _refused(ei.value, "system_task.v", "$system", marked_line("system_task.v"))
    _assert_nothing_written(ctx)
    canaries.assert_absent()


def test_system_behind_token_paste_macro_refused(isolating_backend, make_ctx, canaries):
    ctx = make_ctx(isolating_backend)
    files = render("system_macro.sv", CANARY=str(canaries.paths["tmp"]))
    code = [ln.split("//")[0] for ln in files["system_macro.sv"].splitlines()]
    assert not any("$system" in ln for ln in code)  # invisible to a text grep
    with pytest.raises(SandboxViolation) as ei:
        run_testbench(files, "system_macro", "icarus", timeout=5, ctx=ctx)
    _refused(ei.value, "system_macro.sv", "$system", marked_line("system_macro.sv"))
    _assert_nothing_written(ctx)
    canaries.assert_absent()


def test_verilator_c_refused(isolating_backend, make_ctx, canaries):
    ctx = make_ctx(isolating_backend)
    files = render("verilator_c.sv", CANARY=str(canaries.paths["tmp"]))
    with pytest.raises(SandboxViolation) as ei:
        run_testbench(files, "verilator_c", "verilator", timeout=5, ctx=ctx)
    _refused(ei.value, "verilator_c.sv", "$c", marked_line("verilator_c.sv"))
    _assert_nothing_written(ctx)
    canaries.assert_absent()


def test_dpi_import_refused(isolating_backend, make_ctx, canaries):
    ctx = make_ctx(isolating_backend)
    files = render("dpi_import.sv", CANARY=str(canaries.paths["tmp"]))
    with pytest.raises(SandboxViolation) as ei:
        run_testbench(files, "dpi_import", "verilator", timeout=5, ctx=ctx)
    _refused(ei.value, "dpi_import.sv", 'import "DPI-C"', marked_line("dpi_import.sv"))
    _assert_nothing_written(ctx)
    canaries.assert_absent()


@pytest.mark.parametrize("name, reason", [
    ("fopen_abs.v", "leaves the work dir"),
    ("fopen_dotdot.v", "leaves the work dir"),
    ("fopen_var.v", "not a string literal"),
])
def test_fopen_unsafe_path_refused(name, reason, isolating_backend, make_ctx, canaries):
    ctx = make_ctx(isolating_backend)
    files = render(name, CANARY=str(canaries.paths["tmp"]))
    with pytest.raises(SandboxViolation) as ei:
        run_testbench(files, name[:-2], "icarus", timeout=5, ctx=ctx)
    hits = _refused(ei.value, name, "$fopen", marked_line(name))
    assert any(reason in f.reason for f in hits), hits
    _assert_nothing_written(ctx)
    canaries.assert_absent()


# ------------------------------------- 6: allowed through the gate, contained by the sandbox

def test_allowed_fopen_of_host_paths_contained(isolating_backend, make_ctx, canaries):
    """--allow-unsafe $fopen: the real simulator opens absolute host paths for writing."""
    ctx = make_ctx(isolating_backend, allow_unsafe=frozenset({"$fopen"}))
    c = canaries.paths
    files = render("fopen_allowed_abs.v", CANARY_TMP=str(c["tmp"]), CANARY_VARTMP=str(c["vartmp"]),
                   CANARY_ROOT=str(c["root"]), CANARY_REPO=str(c["repo"]))
    res = run_testbench(files, "fopen_allowed_abs", "icarus", timeout=20, ctx=ctx)
    assert "HOSTILE-RAN" in res.log_tail, f"the simulation did not run: {res.error} {res.log_tail}"
    canaries.assert_absent()


@pytest.mark.slow
@pytest.mark.timeout(240)  # a cold ccache builds Verilator's runtime first
def test_allowed_system_under_verilator_contained(isolating_backend, make_ctx, canaries, root_secret):
    """--allow-unsafe $system, Verilator --binary: a shell runs; it must stay in its box."""
    ctx = make_ctx(isolating_backend, allow_unsafe=frozenset({"$system"}))
    c = canaries.paths
    secret, value = root_secret
    files = render("system_allowed.sv", CANARY_TMP=str(c["tmp"]), CANARY_VARTMP=str(c["vartmp"]),
                   CANARY_ROOT=str(c["root"]), CANARY_REPO=str(c["repo"]), SECRET=str(secret))
    res = run_testbench(files, "system_allowed", "verilator", timeout=30, ctx=ctx)
    assert "HOSTILE-RAN" in res.log_tail, f"the model did not run $system: {res.error} {res.log_tail}"
    canaries.assert_absent()
    work = _run_dirs(ctx)[-1]
    listing = (work / "root_listing.txt").read_text().split()
    secret_read = (work / "secret_read.txt").read_text()
    assert secret.name not in listing and value not in secret_read, "a file in /root was visible"
    if isolating_backend == "bwrap":
        # /root is an empty tmpfs; only the read-only Python install under it is re-exposed
        # (plus whatever the hostile shell itself created in the private tmpfs)
        leaked = set(listing) - {".pyenv", ".cache", c["root"].name}
        assert not leaked, f"host /root entries visible in the sandbox: {sorted(leaked)}"


# -------------------------------------------- 7: includes refused before any file is read

@pytest.mark.parametrize("name, target", [
    ("include_abs.v", "/etc/passwd"),
    ("include_abs.v", "fifo"),
    ("include_dotdot.v", "fifo"),
])
def test_include_outside_work_dir_refused_before_read(name, target, isolating_backend, make_ctx):
    ctx = make_ctx(isolating_backend)
    ctx.run_root.mkdir(parents=True)
    trap_path = ctx.run_root / f"trap_{uuid.uuid4().hex[:8]}.vh"  # = work/../../<name>
    with FifoTrap(trap_path) as trap:
        inc = target if target != "fifo" else (str(trap_path) if name == "include_abs.v" else trap_path.name)
        files = render(name, INCLUDE=inc)
        with pytest.raises(SandboxViolation) as ei:
            lint(files, ctx=ctx)
        time.sleep(0.1)
    _refused(ei.value, name, "`include", marked_line(name))
    assert trap.opened == 0, "the include target was opened before the refusal"
    _assert_nothing_written(ctx)


# ------------------------------------------------ 8-9: hangs bounded by the wall timeout

@pytest.mark.parametrize("name", ["hang_always.v", "hang_forever.v", "zero_delay_while.v", "zero_delay_osc.v"])
def test_endless_simulation_times_out(name, any_backend, make_ctx):
    ctx = make_ctx(any_backend)
    timeout = 2.0
    t0 = time.monotonic()
    res = run_testbench(DesignFiles.from_paths([HDL / name]), name[:-2], "icarus", timeout=timeout, ctx=ctx)
    elapsed = time.monotonic() - t0
    assert res.passed is False and res.timed_out is True, res
    assert "timeout" in (res.error or "")
    assert timeout <= elapsed < timeout + 8, f"took {elapsed:.1f} s for a {timeout} s timeout"
    assert_no_leftovers(str(ctx.run_root))


# ----------------------------------------------------- 10-11: output and disk flooding

def test_display_spam_killed_for_output(any_backend, make_ctx):
    ctx = make_ctx(any_backend, limits=Limits(output_kill_bytes=16 * MiB))
    t0 = time.monotonic()
    res = run_testbench(DesignFiles.from_paths([HDL / "display_spam.v"]), "display_spam", "icarus",
                        timeout=40, ctx=ctx)
    elapsed = time.monotonic() - t0
    assert res.passed is False and not res.timed_out, res.error
    assert "output" in (res.error or ""), res.error
    assert elapsed < 20, f"output kill took {elapsed:.1f} s"
    logs = list(ctx.run_root.glob("*/logs/*.log"))
    assert logs and all(p.stat().st_size < 3 * MiB for p in logs), [(p.name, p.stat().st_size) for p in logs]
    assert "bytes of output elided" in Path(res.log_path).read_text(errors="replace")
    assert_no_leftovers(str(ctx.run_root))


def test_fwrite_spam_bounded_by_file_size_limit(any_backend, make_ctx):
    ctx = make_ctx(any_backend, limits=Limits(file_size_mb=1))
    t0 = time.monotonic()
    res = run_testbench(DesignFiles.from_paths([HDL / "fwrite_spam.v"]), "fwrite_spam", "icarus",
                        timeout=20, ctx=ctx)
    elapsed = time.monotonic() - t0
    spam = _run_dirs(ctx)[-1] / "spam.txt"
    assert spam.is_file(), "the writer never ran"
    assert spam.stat().st_size <= 1 * MiB, f"spam.txt grew to {spam.stat().st_size} bytes"
    # Icarus 11 dies of SIGXFSZ; Icarus 12 (docker image) ignores the failed writes and exits 0,
    # so the harness must notice the truncated file and fail the run itself
    assert res.passed is False, res
    assert "wrote everything" not in res.log_tail or "file-size limit" in (res.error or ""), res
    assert elapsed < 30  # bounded (a 20 s run timeout); generous for a loaded 2-core machine
    assert_no_leftovers(str(ctx.run_root))


# ------------------------------------------- 12-17, 23-24: hostile cocotb test modules

def test_cocotb_filesystem_escape_contained(isolating_backend, make_ctx, canaries, tag, root_secret):
    site = Path(sysconfig.get_paths()["purelib"])
    canaries.add(site / f"rtlsmith_escape_{tag}.pth")        # a .pth runs at every Python start
    canaries.add(COCOTB / f"escape_{tag}")                    # the test dir (the repo)
    secret, value = root_secret
    ctx = make_ctx(isolating_backend)
    res, _, report = _cocotb(ctx, "hostile_fs_escape", tag, timeout=30,
                             HOSTILE_CANARIES=os.pathsep.join(str(p) for p in canaries.all()),
                             HOSTILE_SECRET=str(secret))
    fs = report.get("fs_escape")
    assert fs and len(fs) >= 3 * len(canaries.all()), f"the hostile test did not run: {res.error}"
    canaries.assert_absent()
    escaped_run_dir = list(ctx.run_root.glob(f"*/escape_{tag}"))  # via ~/.. (HOME = work dir)
    assert not escaped_run_dir, escaped_run_dir
    blob = json.dumps(report) + res.log_tail
    assert value not in blob, "the secret under /root was read from inside the sandbox"
    assert secret.name not in json.dumps(fs.get("root_listing")), fs.get("root_listing")


def test_cocotb_fork_bomb_bounded(any_backend, make_ctx, tag):
    ctx = make_ctx(any_backend, limits=Limits(max_procs=64))
    timeout = 10.0  # the bomb must get to start: cocotb's start-up alone can take seconds under load
    res, elapsed, report = _cocotb(ctx, "hostile_fork_bomb", tag, timeout=timeout)
    assert report.get("fork_bomb", {}).get("started"), f"the bomb never started: {res.error} {res.log_tail}"
    assert report["fork_bomb"]["confined"], "the guard saw no confinement: the bomb ran bounded"
    assert res.passed is False
    assert elapsed < timeout + 10, f"took {elapsed:.1f} s"
    assert_no_leftovers(f"rtlsmith-hostile-{tag}")
    # the machine still works: we can start processes
    assert subprocess.run(["true"], timeout=10).returncode == 0


class _HostServers:
    """TCP + UDP listeners on the host's 127.0.0.1; record anything that reaches them."""

    def __init__(self) -> None:
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.tcp.listen(8)
        self.tcp.settimeout(0.1)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp.settimeout(0.1)
        self.got: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, peer = self.tcp.accept()
                self.got.append(f"tcp from {peer}")
                conn.close()
            except OSError:
                pass
            try:
                data, peer = self.udp.recvfrom(1024)
                self.got.append(f"udp {data!r} from {peer}")
            except OSError:
                pass

    def close(self) -> None:
        time.sleep(0.3)
        self._stop.set()
        self._thread.join(5)
        self.tcp.close()
        self.udp.close()


def test_cocotb_network_isolated(isolating_backend, make_ctx, tag):
    servers = _HostServers()
    try:
        ctx = make_ctx(isolating_backend)
        res, _, report = _cocotb(ctx, "hostile_net_escape", tag, timeout=30,
                                 HOSTILE_TCP_PORT=str(servers.tcp.getsockname()[1]),
                                 HOSTILE_UDP_PORT=str(servers.udp.getsockname()[1]))
    finally:
        servers.close()
    net = report.get("net")
    assert net, f"the hostile test did not run: {res.error}"
    assert servers.got == [], f"sandboxed code reached the host network: {servers.got}"
    assert net["tcp"] != "ok" and net["dns"] != "ok", net
    assert res.passed is False  # the hostile test asserts that it escaped


@pytest.mark.parametrize("module", ["hostile_daemon", "hostile_cgroup_escape"])
def test_cocotb_daemon_does_not_survive(module, any_backend, make_ctx, tag):
    if module == "hostile_cgroup_escape" and any_backend == "local":
        pytest.skip("local backend: root can leave the pids cgroup (no isolation, by design)")
    ctx = make_ctx(any_backend)
    res, elapsed, report = _cocotb(ctx, module, tag, timeout=20)
    key = "daemon" if module == "hostile_daemon" else "cgroup_escape"
    assert report.get(key), f"the daemon was never spawned: {res.error} {res.log_tail}"
    assert res.passed, res.error  # returning with a daemon behind is a passing test...
    assert_no_leftovers(f"rtlsmith-hostile-{tag}")  # ...but the daemon must be gone
    assert elapsed < 20


def test_cocotb_python_busy_loop_times_out(any_backend, make_ctx, tag):
    ctx = make_ctx(any_backend)
    timeout = 8.0  # long enough for cocotb to start and reach the loop on a loaded machine
    res, elapsed, report = _cocotb(ctx, "hostile_py_hang", tag, timeout=timeout)
    assert report.get("py_hang", {}).get("started"), res.error
    assert res.passed is False and res.timed_out is True, res.error
    assert elapsed < timeout + 8, f"took {elapsed:.1f} s"
    assert_no_leftovers(f"rtlsmith-hostile-{tag}")


def test_cocotb_memory_hog_bounded(any_backend, make_ctx, tag):
    ctx = make_ctx(any_backend, limits=Limits(memory_mb=1024))
    res, elapsed, report = _cocotb(ctx, "hostile_mem_hog", tag, timeout=30)
    got = report.get("mem_hog", {}).get("allocated_mb")
    assert got is not None, f"the hog never reported: {res.error} {res.log_tail}"
    assert got < 1024, f"allocated {got} MiB past a 1024 MiB address-space limit"
    assert res.passed is False
    assert "MemoryError" in (json.dumps([t.message for t in res.tests]) + res.log_tail)
    assert elapsed < 25
    assert_no_leftovers(f"rtlsmith-hostile-{tag}")


def test_cocotb_cannot_tamper_with_logs(isolating_backend, make_ctx, tag):
    ctx = make_ctx(isolating_backend)
    res, _, report = _cocotb(ctx, "hostile_logs_tamper", tag, timeout=30)
    run = next(ctx.run_root.iterdir())
    assert (run / "work").is_dir() and not list(run.glob("moved_*")), "the work dir was moved from inside"
    assert report.get("logs_tamper"), f"the hostile test did not run: {res.error}"
    logs = run / "logs"
    assert not list(logs.glob("evil*")), "a file was created in the logs dir from inside"
    assert not (logs / "job.json").exists() or "tampered" not in (logs / "job.json").read_text()
    assert all(p.suffix == ".log" for p in logs.iterdir()), sorted(p.name for p in logs.iterdir())
    stdout_log = (logs / "cocotb.stdout.log").read_text(errors="replace")
    assert "tamper_logs" in stdout_log and "TESTS=1 PASS=1 FAIL=0 **" != stdout_log.strip()


def test_cocotb_host_processes_hidden(isolating_backend, make_ctx, tag):
    host_secret = f"host-secret-{uuid.uuid4().hex}"
    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", host_secret],
                              env={**os.environ, "HOST_SECRET": host_secret})
    try:
        assert procs_matching(host_secret)  # the helper is visible from the host
        ctx = make_ctx(isolating_backend)
        res, _, report = _cocotb(ctx, "hostile_host_procs", tag, timeout=30)
    finally:
        helper.kill()
        helper.wait()
    spy = report.get("host_procs")
    assert spy, f"the hostile test did not run: {res.error}"
    blob = json.dumps(spy)
    assert host_secret not in blob, "a host process (argv or environ) was visible from the sandbox"
    assert len(spy["pids"]) < 30, f"{len(spy['pids'])} pids visible: not a private pid namespace"
    me = Path("/proc/self/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    cmdlines = [v["cmdline"] for v in spy["seen"].values()]
    assert me not in cmdlines, "the host's pytest process is visible from the sandbox"
    host_init = Path("/proc/1/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    assert spy["seen"].get("1", {}).get("cmdline") != host_init, "pid 1 inside is the host's init"
    assert host_secret not in spy["proc1_environ"]


def test_cocotb_host_unix_socket_unreachable(isolating_backend, make_ctx, tag, request):
    sock_path = Path("/var/tmp") / f"rtlsmith_sec_{tag}.sock"
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(sock_path))
    srv.listen(4)
    srv.settimeout(0.1)
    got: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
                conn.settimeout(2)
                got.append(conn.recv(100))
                conn.close()
            except OSError:
                pass

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    try:
        ctx = make_ctx(isolating_backend)
        res, _, report = _cocotb(ctx, "hostile_unix_socket", tag, timeout=30, HOSTILE_UNIX_SOCK=str(sock_path))
    finally:
        time.sleep(0.2)
        stop.set()
        th.join(5)
        srv.close()
        sock_path.unlink(missing_ok=True)
    assert "unix_socket" in report, f"the hostile test did not run: {res.error}"
    assert got == [], f"sandboxed code talked to a host unix socket: {got}"


def test_cocotb_cannot_read_root_only_host_files(isolating_backend, make_ctx, tag, request):
    """A 0600 root-owned file outside the hidden dirs (like /etc/shadow or ssh host keys)."""
    if os.geteuid() != 0:
        pytest.skip("only meaningful when rtlsmith runs as root")
    if isolating_backend == "bwrap":
        from rtlsmith.sandbox import BwrapBackend
        if BwrapBackend().run_uid is None:
            pytest.skip("the venv is not world-readable, so the bwrap sandbox stays uid 0 "
                        "(documented limitation; `make` builds the venv from /usr/bin/python3)")
    secret = Path("/var/tmp") / f"rtlsmith_secret_{tag}"
    value = f"TOPSECRET-{uuid.uuid4().hex}"
    fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, value.encode())
        os.close(fd)
        ctx = make_ctx(isolating_backend)
        res, _, report = _cocotb(ctx, "hostile_fs_escape", tag, timeout=30, HOSTILE_SECRET=str(secret))
    finally:
        secret.unlink(missing_ok=True)
    assert report.get("fs_escape", {}).get("read_secret"), f"the hostile test did not run: {res.error}"
    assert value not in json.dumps(report), "a root-only host file was read from inside the sandbox"


def test_cocotb_results_file_cannot_block_host(isolating_backend, make_ctx, tag):
    ctx = make_ctx(isolating_backend)
    ctx.run_root.mkdir(parents=True)
    timeout = 3.0
    with FifoRescuer(str(ctx.run_root / "*" / "work" / "sim_build" / "results.xml"), after_s=timeout + 6):
        res, elapsed, report = _cocotb(ctx, "hostile_results_fifo", tag, timeout=timeout)
    assert report.get("results_fifo"), f"the hostile test did not run: {res.error}"
    assert res.passed is False
    assert elapsed < timeout + 4, f"the host blocked {elapsed:.0f} s on a FIFO planted by the sandbox"


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_cocotb_cannot_write_shared_ccache(isolating_backend, make_ctx, tag):
    from rtlsmith.sandbox.command import ccache_dir
    planted = ccache_dir() / f"rtlsmith_escape_{tag}"
    try:
        ctx = make_ctx(isolating_backend)
        res = simulate_cocotb(DesignFiles.from_paths([HDL / "cocotb_dut.v"]), "hostile_dut", "hostile_ccache_plant",
                              COCOTB, "verilator", timeout=180, ctx=ctx, extra_env=hostile_env(tag))
        report = json.loads((_run_dirs(ctx)[-1] / "hostile_report.json").read_text())
        assert "ccache" in report, res.error
        assert not planted.exists(), f"untrusted test wrote {planted} on the host"
    finally:
        planted.unlink(missing_ok=True)


# ------------------------------------------------------------ 18-22: malformed inputs

@pytest.mark.parametrize("name", ["../evil.v", "/etc/x.v", "a/../../b.v", "..", "./a.v", "a//b.v",
                                  "a\\..\\b.v", "x\x00.v", ""])
def test_design_file_name_traversal_rejected(name):
    with pytest.raises(InputError):
        DesignFiles({name: "module m; endmodule\n"})
    files = DesignFiles()
    with pytest.raises(InputError):
        files[name] = "module m; endmodule\n"
    assert len(files) == 0


def test_empty_file_gives_clean_failures(isolating_backend, make_ctx):
    ctx = make_ctx(isolating_backend)
    empty = DesignFiles({"empty.v": ""})
    enforce(empty)  # nothing to refuse
    lr = lint(empty, top="empty", ctx=ctx)
    assert lr.ok is False and lr.errors, lr
    sr = run_testbench(empty, "empty", "icarus", timeout=5, ctx=ctx)
    assert sr.passed is False and sr.error == "compile failed" and "empty" in sr.log_tail, sr
    with pytest.raises(ToolFailedError, match="empty"):
        synth(empty, "empty", ctx=ctx)


def test_non_utf8_source_handled(isolating_backend, make_ctx):
    ctx = make_ctx(isolating_backend)
    files = DesignFiles.from_paths([HDL / "nonutf8.v"])
    assert "\udcff" in files["nonutf8.v"]  # the raw bytes were kept, not dropped
    enforce(files)
    lr = lint(files, top="nonutf8", ctx=ctx)
    assert lr.ok or lr.errors
    sr = run_testbench(files, "nonutf8", "icarus", timeout=10, ctx=ctx)
    assert sr.passed, sr.error


def _big_design(n_stmt: int = 10_000, n_lines: int = 100_000, chained: bool = True) -> str:
    """~6 MB, 100k lines: ``n_stmt`` real statements (a chain of adders, so every wire is
    used and -Wall stays quiet) spread among padding comment lines."""
    step = n_lines // n_stmt
    out = ["module big (input wire [7:0] a, output wire [7:0] y);", "  wire [7:0] w_00000 = a;"]
    k = 1
    for i in range(n_lines):
        if i % step == 0 and k < n_stmt:
            src = f"w_{k - 1:05d}" if chained else "a"
            out.append(f"  wire [7:0] w_{k:05d} = {src} + 8'd{k % 251};  // statement {k}")
            k += 1
        else:
            out.append(f"  // filler line {i:06d}: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
    out += [f"  assign y = w_{k - 1:05d};", "endmodule", ""]
    return "\n".join(out)


def test_huge_generated_file_bounded(isolating_backend, make_ctx):
    text = _big_design()
    assert len(text) > 5 * 1000 * 1000 and text.count("\n") > 100_000
    files = DesignFiles({"big.v": text})
    ctx = make_ctx(isolating_backend)
    t0 = time.monotonic()
    enforce(files)
    lr = lint(files, top="big", ctx=ctx)
    elapsed = time.monotonic() - t0
    assert elapsed < 60, f"static check + lint of a 5 MB file took {elapsed:.1f} s"
    assert lr.ok is True and not lr.errors, lr.errors[:3]


_EXCERPTS_SCRIPT = """
import sys
from rtlsmith.eda_tools.parsers.hdl_logs import attach_excerpts
from rtlsmith.types import Diagnostic
text = sys.stdin.read()
diags = [Diagnostic(tool="verilator", severity="warning", file="big.v", line=10 * i + 3, message="UNUSED")
         for i in range(10_000)]
attach_excerpts(diags, {"big.v": text})
"""


def test_diagnostic_excerpts_scale_with_huge_files():
    text = _big_design(chained=False)  # unused wires: what verilator -Wall reports thousands of
    subprocess.run([sys.executable, "-c", _EXCERPTS_SCRIPT], input=text, text=True, check=True, timeout=5)


def test_parse_error_reported_not_crashed(isolating_backend, make_ctx):
    ctx = make_ctx(isolating_backend)
    files = DesignFiles.from_paths([HDL / "parse_error.v"])
    line = marked_line("parse_error.v")
    lr = lint(files, ctx=ctx)
    assert lr.ok is False
    located = [d for d in lr.errors if d.file == "parse_error.v" and d.line in (line, line + 1)]
    assert located, [d.location() for d in lr.errors]
    assert all(d.location().startswith("parse_error.v:") for d in located)
    with pytest.raises(ToolFailedError) as ei:
        synth(files, "parse_error", ctx=ctx)
    assert "syntax error" in str(ei.value) and "parse_error.v" in str(ei.value)


# ------------------------- static-gate bypasses found by this corpus (fixed; kept as regressions)

_BYPASS = {
    "bypass_c_width.sv": "Verilator $c32 is $c under another name",
    "bypass_systemc_block.sv": "`systemc_ctor pastes raw C++ with no system-task token",
    "bypass_fopenw.v": "Icarus $fopenw/$fopena/$fopenr are not in PATH_TASKS",
    "bypass_octal_path.v": "the gate checks the raw literal; \\057 decodes to '/'",
    "bypass_include_inline.v": "the include regex is anchored at line start; pyslang opens it on the host",
    "bypass_include_macro.v": "`include `MACRO is not matched; pyslang opens it on the host",
}


@pytest.mark.parametrize("name", sorted(_BYPASS))
def test_static_gate_bypass(name, tmp_path, request, canaries):
    trap_path = tmp_path / "trap.vh"
    with FifoTrap(trap_path) as trap:
        files = render(name, CANARY=str(canaries.paths["tmp"]), OCTAL_CANARY=_octal(str(canaries.paths["tmp"])),
                       INCLUDE=str(trap_path))
        try:
            enforce(files)
            refused = False
        except SandboxViolation:
            refused = True
        time.sleep(0.1)
    assert trap.opened == 0, "the static gate itself opened a host path named by untrusted HDL"
    assert refused, "the static gate let it through"


def test_static_gate_bypass_macro_from_header(canaries):
    """`define X $system in a .vh used as `X(...) from a .v: the header's macro body is refused
    (the .v alone never expands it, since includes are not resolved)."""
    header = (HDL / "bypass_header_macro.vh").read_text()
    files = render("bypass_header_macro.v", CANARY=str(canaries.paths["tmp"]))
    files["bypass_header_macro.vh"] = header
    with pytest.raises(SandboxViolation) as ei:
        enforce(files)
    assert any(f.file == "bypass_header_macro.vh" and f.construct == "$system" for f in ei.value.findings), \
        ei.value.findings


@pytest.mark.parametrize("name", ["bypass_fopenw.v", "bypass_octal_path.v"])
def test_static_gate_bypass_still_contained(name, isolating_backend, make_ctx, canaries):
    """Defence in depth: what slips past the gate still cannot write the host (the tasks are
    allowed explicitly so this keeps testing the sandbox once the gate refuses them)."""
    ctx = make_ctx(isolating_backend, allow_unsafe=frozenset({"$fopen", "$fopenw"}))
    tmp_canary = str(canaries.paths["tmp"])
    files = render(name, CANARY=tmp_canary, OCTAL_CANARY=_octal(tmp_canary))
    res = run_testbench(files, name.rsplit(".", 1)[0], "icarus", timeout=20, ctx=ctx)
    assert "HOSTILE-RAN" in res.log_tail, f"the simulation did not run: {res.error} {res.log_tail}"
    canaries.assert_absent()
