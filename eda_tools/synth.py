"""Synthesis and PPA: Yosys generic synth -> cells/flops/depth; OSU 0.18 um mapping -> area;
OpenSTA -> critical path and Fmax estimate; optional iCE40 place-and-route -> FPGA Fmax.

The Yosys and STA scripts are generated here from validated names only: model-written
text never reaches them (Yosys ``!cmd`` runs a shell).
"""
from __future__ import annotations

import re
import time
from pathlib import Path

from rtlsmith.eda_tools.base import EdaContext, Workspace
from rtlsmith.eda_tools.parsers.yosys import (count_flops, parse_chip_area, parse_ltp, parse_nextpnr_report,
                                              parse_sta, parse_stat_json)
from rtlsmith.eda_tools.tools import OSU018_LIBERTY, Toolchain
from rtlsmith.errors import ConfigError, InputError, ToolFailedError
from rtlsmith.types import DesignFiles, Metric, PPAReport

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*$")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.+/-]+$")
CLOCK_NAMES = ("clk", "clock", "clk_i", "i_clk", "aclk", "CLK")


def _check_names(files: list[str], top: str) -> None:
    if not _IDENT.match(top):
        raise ConfigError(f"top module name {top!r} is not a plain Verilog identifier")
    for f in files:
        if not _SAFE_NAME.match(f):
            raise InputError(f"file name {f!r} has characters unsafe for a Yosys script "
                             "(allowed: letters, digits, _ . + / -)")


#: ABC's timing constraints: what drives the inputs and loads each output while it maps for
#: a delay target (``-D``); with them it buffers high-fanout nets and sizes gates, without
#: them one X1 cell drives a 1,000-flop enable and pre-layout STA reports tens of ns
ABC_CONSTR = "set_driving_cell INVX1\nset_load 0.02\n"


def yosys_script(files: list[str], top: str, liberty: Path | None, flatten: bool = False,
                 period_ns: float | None = None) -> str:
    """Pure: the Yosys script for ``files`` (names already validated).

    By default the hierarchy is kept: a module instantiated N times (a PE) is mapped
    once, and ``stat -top`` multiplies out the totals. Logic depth is measured on a
    flattened copy so paths crossing module boundaries count.
    """
    lines = [f"read_verilog -sv {' '.join(files)}",
             f"hierarchy -check -top {top}",
             f"synth -top {top}" + (" -flatten" if flatten else ""),
             f"tee -q -o stat.json stat -json -top {top}",
             "design -save generic",
             "flatten",
             "tee -q -o ltp.txt ltp -noff",
             "design -load generic"]
    if liberty:
        abc = f"abc -liberty {liberty}"
        if period_ns:
            abc += f" -D {int(period_ns * 1000)} -constr abc.constr"
        lines += [f"dfflibmap -liberty {liberty}",
                  abc,
                  "opt_clean",
                  f"tee -q -o stat_lib.txt stat -liberty {liberty} -top {top}",
                  "write_verilog -noattr -noexpr netlist.v"]
    return "\n".join(lines) + "\n"


def sta_script(top: str, liberty: Path, period_ns: float, clock: str | None) -> str:
    """Pure: OpenSTA Tcl; the clock is ``clock`` if given, else the first known clock port,
    else a virtual clock (input-to-output paths of a combinational block)."""
    names = [clock] if clock else list(CLOCK_NAMES)
    return f"""read_liberty {liberty}
read_verilog netlist.v
link_design {top}
set clk_port ""
foreach n {{{' '.join(names)}}} {{
  if {{[llength [get_ports -quiet $n]] > 0}} {{ set clk_port $n; break }}
}}
if {{$clk_port ne ""}} {{
  create_clock -name clk -period {period_ns:g} [get_ports $clk_port]
  set_input_delay 0 -clock clk [delete_from_list [all_inputs] [get_ports $clk_port]]
}} else {{
  create_clock -name clk -period {period_ns:g}
  set_input_delay 0 -clock clk [all_inputs]
}}
set_output_delay 0 -clock clk [all_outputs]
report_checks -path_delay max -digits 3
"""


def synth(files: DesignFiles, top: str, *, liberty: Path | None | str = "auto", period_ns: float = 10.0,
          clock: str | None = None, fpga: str | None = None, flatten: bool = False, timeout: float = 600.0,
          ctx: EdaContext | None = None) -> PPAReport:
    """Synthesise ``top`` and return its PPAReport (units and source tool on every metric)."""
    ctx = ctx or EdaContext()
    if liberty == "auto":
        liberty = OSU018_LIBERTY if OSU018_LIBERTY.is_file() else None
    liberty = Path(liberty) if liberty else None
    if liberty and not liberty.is_file():
        raise ConfigError(f"liberty file {liberty} not found (apt-get install qflow-tech-osu018)")
    if fpga not in (None, "ice40"):
        raise ConfigError(f"unknown FPGA target {fpga!r}; valid: ice40")
    if clock is not None and not _IDENT.match(clock):
        raise ConfigError(f"clock name {clock!r} is not a plain identifier")
    hdl = [n for n in files if n.endswith((".v", ".sv"))]
    if not hdl:
        raise InputError("no .v/.sv files to synthesise")
    _check_names(hdl, top)
    tools = ("yosys",) + (("sta",) if liberty else ()) + (("nextpnr-ice40",) if fpga else ())
    tc = ctx.toolchain
    if liberty and not tc.has("sta"):
        tools = tuple(t for t in tools if t != "sta")
    tv = tc.versions(tools)
    key = ctx.result_cache.key(kind="synth", files=files.digest(), top=top, liberty=str(liberty),
                               script=yosys_script(["F"], top, liberty, flatten, period_ns), constr=ABC_CONSTR,
                               lib_mtime=liberty.stat().st_mtime if liberty else None, period=period_ns,
                               clock=clock, fpga=fpga, flatten=flatten, tools=tv)
    hit = ctx.result_cache.get(key)
    if hit:
        return PPAReport(**{**hit, "cached": True})
    t0 = time.monotonic()
    ws = Workspace(ctx, "synth")
    try:
        ws.write(files)
        (ws.work / "synth.ys").write_text(yosys_script(hdl, top, liberty, flatten, period_ns))
        (ws.work / "abc.constr").write_text(ABC_CONSTR)
        r = ws.step("yosys", [tc.exe("yosys"), "-q", "-l", "yosys.log", "-s", "synth.ys"],
                    timeout=timeout, readable=(liberty.parent,) if liberty else ())
        if not r.ok:
            ws.failed = True
            log = (ws.work / "yosys.log")
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else r.tail(30)
            why = "timed out" if r.timed_out else "failed"
            raise ToolFailedError(f"yosys synthesis of '{top}' {why}:\n{_errors_only(tail)}",
                                  returncode=r.returncode, log=log)
        src = f"yosys {tv['yosys']}"
        cells, types = parse_stat_json((ws.work / "stat.json").read_text(), top)
        depth = parse_ltp((ws.work / "ltp.txt").read_text())
        rep = PPAReport(top=top, cells=Metric(value=cells, unit="cells", source=src), cell_types=types,
                        flops=Metric(value=count_flops(types), unit="flops", source=src),
                        logic_depth=Metric(value=depth, unit="levels", source=src + " ltp -noff"),
                        liberty=str(liberty) if liberty else None, tool_versions=tv)
        if liberty:  # the liberty is host data: the docker backend mounts it read-only
            area = parse_chip_area((ws.work / "stat_lib.txt").read_text())
            rep.area_est = Metric(value=area, unit="um2", source=f"{src} + {liberty.name}")
            (ws.work / "sta.tcl").write_text(sta_script(top, liberty, period_ns, clock))
            s = None if not tc.has("sta") else ws.step(
                "sta", [tc.exe("sta"), "-no_init", "-no_splash", "-exit", "sta.tcl"], timeout=timeout,
                readable=(liberty.parent,))
            _arrival, slack = parse_sta(s.stdout() + s.stderr()) if s is not None and s.ok else (None, None)
            if slack is not None:
                crit = period_ns - slack
                stasrc = f"OpenSTA {tv['sta']} + {liberty.name} (pre-layout)"
                rep.critical_path_ns = Metric(value=round(crit, 3), unit="ns", source=stasrc)
                rep.fmax_mhz_est = Metric(value=round(1000.0 / crit, 1) if crit > 0 else None, unit="MHz",
                                          source=stasrc)
        if fpga == "ice40":
            rep.fpga = _ice40(ws, tc, hdl, top, tv, timeout)
        rep.seconds = time.monotonic() - t0
    finally:
        ws.cleanup()
    ctx.result_cache.put(key, rep.model_dump(mode="json"))
    return rep


def _errors_only(log_tail: str) -> str:
    errs = [ln for ln in log_tail.splitlines() if "ERROR" in ln or "rror:" in ln]
    return "\n".join(errs[-10:]) or log_tail[-1500:]


def _ice40(ws: Workspace, tc: Toolchain, hdl: list[str], top: str, tv: dict[str, str], timeout: float) -> dict[str, Metric]:
    r = ws.step("yosys-ice40", [tc.exe("yosys"), "-q", "-p",
                                f"read_verilog -sv {' '.join(hdl)}; synth_ice40 -top {top} -json ice40.json"],
                timeout=timeout)
    if not r.ok:
        raise ToolFailedError("yosys synth_ice40 failed", returncode=r.returncode, log=r.stderr_path)
    p = ws.step("nextpnr-ice40", [tc.exe("nextpnr-ice40"), "--hx8k", "--package", "ct256",
                                  "--json", "ice40.json", "--report", "report.json",
                                  "--pcf-allow-unconstrained", "--freq", "12", "--seed", "1"],
                timeout=timeout)
    if not p.ok:
        raise ToolFailedError(f"nextpnr-ice40 failed (design too big for an HX8K, or too many IOs?):\n"
                              f"{p.tail(8)}", returncode=p.returncode, log=p.stderr_path)
    vals = parse_nextpnr_report((ws.work / "report.json").read_text())
    src = f"nextpnr-ice40 {tv.get('nextpnr-ice40')} hx8k"
    units = {"fmax_mhz": "MHz", "lut": "LC", "bram": "RAM4K", "dsp": "DSP"}
    return {k: Metric(value=v, unit=units[k], source=src) for k, v in vals.items()}
