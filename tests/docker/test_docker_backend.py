"""The docker backend for real: warm containers from the offline-built toolchain image.

Runs when a docker engine answers and the image exists (`make test` starts dockerd and
builds the image); otherwise every case is skipped with the reason printed.
"""
import signal
import subprocess
import sys
import time

import pytest

from rtlsmith.eda_tools.base import EdaContext, Workspace
from rtlsmith.eda_tools.lint import lint
from rtlsmith.eda_tools.simulate import run_testbench, simulate_cocotb
from rtlsmith.eda_tools.synth import synth
from rtlsmith.sandbox import DockerBackend
from rtlsmith.types import DesignFiles
from tests.conftest import default_sigint

_ok, _why = DockerBackend().available()
pytestmark = [pytest.mark.docker, pytest.mark.skipif(not _ok, reason=f"docker backend unavailable: {_why}")]


def ctx(**kw):
    return EdaContext(sandbox="docker", cache=False, **kw)


def our_containers() -> list[str]:
    r = subprocess.run(["docker", "ps", "-a", "--format", "{{.Names}}"], capture_output=True, text=True)
    return [n for n in r.stdout.split() if n.startswith("rtlsmith-")]


def hdl(data_dir, name):
    return DesignFiles({name: (data_dir / "hdl" / name).read_text()})


def test_warm_container_runs_commands_as_nobody_without_network():
    c = ctx()
    ws = Workspace(c, "probe")
    r = ws.step("probe", ["sh", "-c", "id -u; cat /proc/net/dev | wc -l; touch /etc/x 2>/dev/null || echo ro"])
    assert r.ok, r.tail()
    uid, netdevs, ro = r.stdout().split()
    assert uid == "65534" and int(netdevs) <= 3 and ro == "ro"  # only lo; read-only root
    # warm: consecutive commands share one container instead of a `docker run` each
    hosts = {ws.step("host", ["cat", "/etc/hostname"]).stdout().strip() for _ in range(3)}
    assert len(hosts) == 1


def test_tool_versions_come_from_the_image(data_dir):
    res = run_testbench(hdl(data_dir, "adder_tb.v"), "tb", "icarus", ctx=ctx())
    assert res.passed and res.tool_versions["iverilog"].startswith("12.")
    assert res.tool_versions["image"].startswith("rtlsmith-toolchain:")


@pytest.mark.parametrize("sim", ["icarus", "verilator"])
def test_cocotb_in_the_container(data_dir, sim):
    ok = simulate_cocotb(hdl(data_dir, "counter.v"), "counter", "test_counter", data_dir / "cocotb", sim,
                         ctx=ctx(), timeout=300)
    assert ok.passed, ok.log_tail
    bad = simulate_cocotb(DesignFiles({"counter.v": (data_dir / "hdl/counter_bug.v").read_text()}), "counter",
                          "test_counter", data_dir / "cocotb", sim, ctx=ctx(), timeout=300)
    assert {t.name for t in bad.tests if not t.passed} == {"counts_when_enabled", "wraps_at_255"}


def test_lint_and_synth_in_the_container(data_dir):
    assert not lint(hdl(data_dir, "bad.v"), ctx=ctx()).ok
    rep = synth(hdl(data_dir, "mac.v"), "mac", ctx=ctx())
    assert rep.cells.value > 100 and rep.area_est.value > 1000
    assert rep.tool_versions["yosys"].startswith("0.5") and rep.fmax_mhz_est.value > 10


def test_timeout_kills_the_container_and_nothing_is_left():
    before = set(our_containers())
    t0 = time.monotonic()
    r = run_testbench(DesignFiles({"tb.v": "module tb; reg c = 0; always #1 c = ~c; endmodule\n"}), "tb",
                      "icarus", timeout=2, ctx=ctx())
    assert r.timed_out and time.monotonic() - t0 < 15
    time.sleep(1)
    assert not (set(our_containers()) - before - set(_warm_idle()))


def _warm_idle() -> list[str]:
    pools = DockerBackend._pools.values()
    return [c.name for p in pools for c in p.idle]


def test_sigint_leaves_no_containers(tmp_path):
    """A CLI run interrupted with Ctrl-C (SIGINT) kills every container it started."""
    tb = tmp_path / "tb.v"
    tb.write_text("module tb; reg c = 0; always #1 c = ~c; endmodule\n")
    before = set(our_containers())
    p = subprocess.Popen([sys.executable, "-m", "rtlsmith.cli", "sim", str(tb), "--top", "tb", "--sandbox",
                          "docker", "--timeout", "60", "--no-cache"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         preexec_fn=default_sigint)
    time.sleep(6)
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=60)
    assert p.returncode == 130
    time.sleep(1)
    assert set(our_containers()) - before == set()
