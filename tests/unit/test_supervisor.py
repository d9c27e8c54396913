"""The one supervisor, on real processes (sh/coreutils only; no EDA tools)."""
import os
import time
from pathlib import Path

import pytest

from rtlsmith.errors import SandboxError, ToolNotFoundError
from rtlsmith.sandbox import Command, Limits, run

BACKENDS = ["local", "bwrap"]


def sh(tmp_path, script, **lim):
    return Command(argv=["bash", "-c", script], cwd=tmp_path, limits=Limits(**lim), log_dir=tmp_path / "logs")


@pytest.mark.parametrize("backend", BACKENDS)
def test_exit_code_output_and_stdin_closed(tmp_path, backend):
    r = run(sh(tmp_path, "echo out; echo err >&2; read x || echo no-stdin; exit 3"), backend)
    assert r.returncode == 3 and not r.ok and not r.timed_out
    assert r.stdout().splitlines() == ["out", "no-stdin"] and r.stderr().strip() == "err"
    assert r.backend == backend and r.seconds > 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_timeout_kills_whole_tree(tmp_path, backend):
    marker = f"rtlsmith-sleeper-{os.getpid()}-{backend}"
    t0 = time.monotonic()
    r = run(sh(tmp_path, f"(exec -a {marker} sleep 300) & (exec -a {marker} sleep 300) & wait", timeout_s=1),
            backend)
    assert r.timed_out and r.killed_reason == "timeout"
    assert time.monotonic() - t0 < 5
    time.sleep(0.2)
    left = [p for p in Path("/proc").iterdir() if p.name.isdigit()
            and marker.encode() in (p / "cmdline").read_bytes()] if True else []
    assert left == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_background_leftovers_do_not_outlive_command(tmp_path, backend):
    marker = f"rtlsmith-daemon-{os.getpid()}-{backend}"
    r = run(sh(tmp_path, f"setsid bash -c '(exec -a {marker} sleep 300)' & echo started"), backend)
    assert r.returncode == 0
    time.sleep(0.3)
    alive = []
    for p in Path("/proc").iterdir():
        try:
            if p.name.isdigit() and marker.encode() in (p / "cmdline").read_bytes():
                alive.append(p.name)
        except OSError:
            pass
    assert alive == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_output_is_capped_and_runaway_output_killed(tmp_path, backend):
    r = run(sh(tmp_path, "yes spam-spam-spam", output_keep_bytes=64 * 1024, output_kill_bytes=8 * 1024 * 1024),
            backend)
    assert r.killed_reason == "output" and r.elided_bytes > 0
    size = r.stdout_path.stat().st_size
    assert size < 70 * 1024
    assert "bytes of output elided" in r.stdout()


@pytest.mark.parametrize("backend", BACKENDS)
def test_file_size_limit(tmp_path, backend):
    r = run(sh(tmp_path, "head -c 5000000 /dev/zero > big.bin", file_size_mb=1), backend)
    assert r.returncode != 0
    assert (tmp_path / "big.bin").stat().st_size <= 1024 * 1024


@pytest.mark.parametrize("backend", BACKENDS)
def test_env_allow_list(tmp_path, backend, monkeypatch):
    monkeypatch.setenv("RTLSMITH_SECRET_TOKEN", "s3cret")
    cmd = Command(argv=["env"], cwd=tmp_path, env={"EXTRA": "1"}, log_dir=tmp_path / "logs")
    out = run(cmd, backend).stdout()
    assert "s3cret" not in out and "EXTRA=1" in out and f"HOME={tmp_path.resolve()}" in out


def test_bwrap_isolation(tmp_path):
    outside = Path.cwd() / f"rtlsmith-escape-{os.getpid()}"
    r = run(sh(tmp_path, f"echo x > {outside}; echo ok > inside.txt; ls /root | wc -l; "
                         "cat /proc/1/cmdline | tr '\\0' ' '"), "bwrap")
    assert not outside.exists()
    assert (tmp_path / "inside.txt").read_text() == "ok\n"
    lines = r.stdout().splitlines()
    # /root is an empty tmpfs apart from what the tools need re-exposed read-only
    assert int(lines[0]) <= 2
    assert "bash -c" in lines[1] or "bwrap" in lines[1]  # pid 1 is ours: a fresh pid namespace


def test_missing_tool_and_workdir(tmp_path):
    with pytest.raises(ToolNotFoundError, match="no-such-tool-xyz"):
        run(Command(argv=["no-such-tool-xyz"], cwd=tmp_path), "local")
    with pytest.raises(SandboxError, match="does not exist"):
        run(Command(argv=["true"], cwd=tmp_path / "missing"), "local")


def test_memory_limit(tmp_path):
    r = run(Command(argv=["python3", "-c", "x = bytearray(600 * 1024 * 1024)"], cwd=tmp_path,
                    limits=Limits(memory_mb=256), log_dir=tmp_path / "logs"), "local")
    assert r.returncode != 0 and "MemoryError" in r.stderr()
