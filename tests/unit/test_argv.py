"""Argv building is pure: assert exact command lines without running anything."""
from pathlib import Path

import pytest

from rtlsmith.eda_tools.lint import LINTERS, lint
from rtlsmith.eda_tools.simulate import SIMULATORS, get_simulator
from rtlsmith.eda_tools.synth import sta_script, synth, yosys_script
from rtlsmith.errors import ConfigError, InputError
from rtlsmith.sandbox import BwrapBackend, Command, DockerBackend, Limits, LocalBackend, get_backend
from rtlsmith.types import DesignFiles


def _cmd(tmp_path, **kw):
    return Command(argv=["vvp", "-n", "sim.vvp"], cwd=tmp_path, **kw)


def test_command_refuses_shell_strings(tmp_path):
    with pytest.raises(TypeError):
        Command(argv="vvp -n sim.vvp", cwd=tmp_path)
    with pytest.raises(TypeError):
        Command(argv=[], cwd=tmp_path)


def test_bwrap_argv(tmp_path):
    cache = tmp_path / "cc"
    b = BwrapBackend(exe="bwrap")
    b.run_uid = None
    argv = b.wrap(_cmd(tmp_path, writable=(cache,)))
    w = str(tmp_path.resolve())
    assert argv[:4] == ["bwrap", "--ro-bind", "/", "/"]
    # root-only secrets are masked even for a uid-0 sandbox
    i = argv.index("/etc/shadow")
    assert argv[i - 2:i] == ["--ro-bind", "/dev/null"]
    assert argv[-4:] == ["--", "vvp", "-n", "sim.vvp"]
    # the work dir and the declared cache are the only writable binds
    binds = [argv[i + 1] for i, a in enumerate(argv) if a == "--bind"]
    assert binds == [w, str(cache.resolve())]
    for flag in ("--unshare-all", "--die-with-parent", "--new-session"):
        assert flag in argv
    assert argv[argv.index("--cap-drop") + 1] == "ALL"
    assert argv[argv.index("--chdir") + 1] == w
    # a private /tmp, and home dirs hidden (tmpfs) before anything is re-exposed
    tmpfs = [argv[i + 1] for i, a in enumerate(argv) if a == "--tmpfs"]
    assert tmpfs[0] == "/tmp" and {"/root", "/run", "/var"} <= set(tmpfs)
    # as root, the sandbox drops to an unprivileged uid
    b.run_uid = 65534
    assert b.wrap(_cmd(tmp_path))[:5] == ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]


def test_docker_argv_hardening(tmp_path):
    b = DockerBackend(image="img:1", exe="docker", cpus=1.5)
    cmd = _cmd(tmp_path, env={"A": "1"}, limits=Limits(memory_mb=512, max_procs=64, file_size_mb=8))
    argv = b.wrap(cmd)
    w = str(tmp_path.resolve())
    assert argv[:3] == ["docker", "run", "--rm"]
    pairs = {argv[i]: argv[i + 1] for i in range(len(argv) - 1)}
    assert pairs["--network"] == "none" and "--read-only" in argv
    assert pairs["--memory"] == "512m" and pairs["--memory-swap"] == "512m"
    assert pairs["--pids-limit"] == "64" and pairs["--cpus"] == "1.5"
    assert pairs["--cap-drop"] == "ALL" and pairs["--security-opt"] == "no-new-privileges"
    assert pairs["--user"] == "65534:65534" and pairs["-w"] == w
    assert pairs["-v"] == f"{w}:{w}:rw" and pairs["-e"] == "A=1"
    assert pairs["--ulimit"] == f"fsize={8 * 1024 * 1024}"
    assert argv[-3:] == ["vvp", "-n", "sim.vvp"]
    inner = argv[argv.index("img:1") + 1:-3]
    assert inner[0] == "prlimit" and f"--as={512 * 1024 * 1024}" in inner and inner[-1] == "--"
    assert pairs["--name"] == b.container_name(cmd)  # the name `docker kill` uses on timeout


def test_local_argv_is_passthrough(tmp_path):
    assert LocalBackend().wrap(_cmd(tmp_path)) == ["vvp", "-n", "sim.vvp"]


def test_unknown_names_list_the_valid_ones():
    with pytest.raises(ConfigError, match="valid: auto, bwrap, docker, local"):
        get_backend("chroot")
    with pytest.raises(ConfigError, match="icarus, verilator"):
        get_simulator("xcelium")
    with pytest.raises(ConfigError, match="verilator, iverilog"):
        lint(DesignFiles({"a.v": ""}), linters=("spyglass",))


def test_simulator_argv():
    ic = SIMULATORS["icarus"]()
    assert ic.compile_argv(["a.v", "tb.v"], "tb")[1:] == ["-g2012", "-o", "sim.vvp", "-s", "tb", "a.v", "tb.v"]
    assert ic.run_argv("tb", ["+x=1"])[1:] == ["-n", "sim.vvp", "+x=1"]
    ve = SIMULATORS["verilator"]()
    a = ve.compile_argv(["tb.v"], "tb")
    assert "--binary" in a and a[a.index("--top-module") + 1] == "tb" and a[-1] == "tb.v"
    assert ve.run_argv("tb", []) == ["obj_dir/Vtb"]
    assert ve.env()["OBJCACHE"] == "ccache"
    b = ve.cocotb_build_argvs(["d.v"], "top", "sim_build")
    assert "--vpi" in b[0] and b[0][-1] == "d.v" and b[1][0] == "make"
    assert ic.cocotb_test_argv("top", "sim_build")[-2:] == ["sim_build/sim.vvp", "-none"]


def test_linter_argv():
    v = LINTERS["verilator"]().argv(["a.v"], "top")
    assert v[1:3] == ["--lint-only", "-Wall"] and v[-3:] == ["--top-module", "top", "a.v"]
    i = LINTERS["iverilog"]().argv(["a.v"], None)
    assert "-s" not in i and i[-1] == "a.v" and "-g2012" in i


def test_yosys_script_is_built_from_validated_names_only():
    s = yosys_script(["rtl/a.v"], "top", Path("/lib/x.lib"))
    assert s.splitlines()[0] == "read_verilog -sv rtl/a.v"
    assert "stat -json" in s and "ltp -noff" in s and "abc -liberty /lib/x.lib" in s
    assert "abc -liberty" not in yosys_script(["a.v"], "top", None)
    with pytest.raises(ConfigError):
        synth(DesignFiles({"a.v": "module t; endmodule"}), "t; !rm -rf /")
    with pytest.raises(InputError):
        synth(DesignFiles({"a;!sh.v": "module t; endmodule"}), "t")


def test_sta_script_clock_fallback():
    s = sta_script("top", Path("/l.lib"), 5.0, None)
    assert "create_clock -name clk -period 5 [get_ports $clk_port]" in s
    assert "create_clock -name clk -period 5\n" in s  # virtual clock for combinational blocks
    assert "foreach n {clk_en}" in sta_script("top", Path("/l.lib"), 5.0, "clk_en")


def test_abc_maps_for_the_clock_period_with_constraints():
    s = yosys_script(["a.v"], "top", Path("/lib/x.lib"), period_ns=5.0)
    assert "abc -liberty /lib/x.lib -D 5000 -constr abc.constr" in s
    assert "-D" not in yosys_script(["a.v"], "top", Path("/lib/x.lib"))
