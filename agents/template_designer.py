"""The offline designer (provider ``template``): spec -> parameters by design-space
exploration against Yosys/OpenSTA PPA -> verified RTL, with a report.

1. The spec names a template family and fixes some parameters; the rest are explored over
   the spec's ``ranges`` (or, when it gives none, the family's ``param_space``), at most
   ``max_points`` points, the family's defaults always among them.
2. Every point is generated and synthesised (in parallel, results cached by content);
   latency comes from the family's latency rule. A point is feasible when it meets every
   target; the chosen point is the best feasible one by the spec's objective.
3. The chosen point runs the family's cocotb tests (a point that fails is dropped and the
   next best tried), one passing test is re-run with a waveform dump.
4. OUT/ gets rtl/, tests/ (the family's tests + params.json), ppa.json, dse.json,
   design.json (exit_status, timings, versions), pareto.png, waveform.png and report.md.
"""
from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from rtlsmith.eda_tools.base import EdaContext
from rtlsmith.errors import ConfigError, InputError, RtlsmithError
from rtlsmith.types import PPAReport, SimResult, Spec

ExitStatus = str  # passed | passed_ppa_unmet | exit_tool_error | exit_verification_failed

#: one DSE point's synthesis budget: a point whose synthesis takes longer is dropped (noted in
#: the report) rather than stalling the exploration (Yosys 0.52's ABC can take minutes on a
#: wide unpipelined adder tree)
DSE_SYNTH_TIMEOUT_S = 180.0

#: objective -> (metric key, sign): smaller key value is better
_OBJECTIVES = {"min_cells": ("cells", 1), "min_area": ("area_um2", 1), "max_fmax": ("fmax_mhz", -1),
               "min_latency": ("latency", 1)}


@dataclass
class DsePoint:
    params: dict[str, Any]
    cells: int | None = None
    flops: int | None = None
    area_um2: float | None = None
    fmax_mhz: float | None = None
    latency: int | None = None
    feasible: bool = False
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None

    def label(self, varied: list[str]) -> str:
        return " ".join(f"{k}={self.params[k]}" for k in varied) or "default"


@dataclass
class DesignResult:
    exit_status: ExitStatus
    family: str
    chosen: DsePoint | None
    points: list[DsePoint]
    varied: list[str]
    out: Path
    sim: list[SimResult] = field(default_factory=list)
    ppa: PPAReport | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def unsupported_family_message(spec: Spec, families: list[str]) -> str:
    what = f"family '{spec.family}'" if spec.family else "no 'family' in its front matter"
    return (f"spec {spec.source or ''} has {what}: the offline template designer only builds these "
            f"families: {', '.join(families)}. Put `family: NAME` (and `params:`) in the spec's YAML front "
            "matter, or design it with an LLM: rtlsmith design SPEC --provider openai --model M "
            "[--base-url URL] (see `rtlsmith design --help`).")


def _expand(spec_range: list | dict) -> list:
    if isinstance(spec_range, list):
        return spec_range
    lo, hi = spec_range.get("min"), spec_range.get("max")
    step = spec_range.get("step", 1)
    if lo is None or hi is None or step <= 0:
        raise InputError(f"range {spec_range} needs min, max and a positive step")
    vals, v = [], lo
    while v <= hi and len(vals) < 1000:
        vals.append(v)
        v += step
    return vals


def candidate_points(tpl: Any, spec: Spec) -> tuple[list[dict], list[str]]:
    """Parameter sets to synthesise (defaults first) and the names of the varied parameters."""
    fixed = {k: v for k, v in spec.params.items()}
    unknown = sorted((set(fixed) | set(spec.ranges)) - set(tpl.default_params))
    if unknown:
        raise InputError(f"spec parameter(s) {unknown} are not parameters of {tpl.family}; "
                         f"valid: {sorted(tpl.default_params)}", file=spec.source)
    axes = {k: _expand(v) for k, v in spec.ranges.items()}
    if not axes:
        axes = {k: list(v) for k, v in tpl.param_space.items() if k not in fixed}
    varied = sorted(axes)
    base = {**tpl.default_params, **fixed}
    combos = [dict(zip(varied, vals)) for vals in itertools.product(*(axes[k] for k in varied))] if varied else [{}]
    if len(combos) > spec.max_points:  # even subsample over the product, ends included
        step = (len(combos) - 1) / (spec.max_points - 1) if spec.max_points > 1 else 0
        combos = [combos[round(i * step)] for i in range(spec.max_points)]
    points = [{**base, **c} for c in combos]
    if base not in points and all(base.get(k) in axes[k] for k in varied):
        points = [base] + points[: spec.max_points - 1]
    seen, uniq = set(), []
    for p in points:
        key = json.dumps(p, sort_keys=True)
        if key not in seen:
            seen.add(key)
            uniq.append(p)
    return uniq, varied


def _evaluate(tpl: Any, params: dict, ctx: EdaContext) -> DsePoint:
    from rtlsmith.eda_tools.synth import synth
    t0 = time.monotonic()
    pt = DsePoint(params=params)
    try:
        files = tpl.generate(params)
        rep = synth(files, tpl.top, ctx=ctx, timeout=DSE_SYNTH_TIMEOUT_S)
    except ConfigError as e:  # the family's validator refused this combination
        pt.error = f"invalid: {e}"
        return pt
    except RtlsmithError as e:
        pt.error = f"synthesis failed: {e}"
        return pt
    pt.cells = int(rep.cells.value) if rep.cells.value is not None else None
    pt.flops = int(rep.flops.value) if rep.flops.value is not None else None
    pt.area_um2 = float(rep.area_est.value) if rep.area_est and rep.area_est.value is not None else None
    pt.fmax_mhz = float(rep.fmax_mhz_est.value) if rep.fmax_mhz_est and rep.fmax_mhz_est.value is not None else None
    pt.latency = tpl.latency(params) if tpl.latency else None
    pt.seconds = round(time.monotonic() - t0, 2)
    return pt


def _check_targets(pt: DsePoint, spec: Spec) -> None:
    t, v = spec.targets, []
    if pt.error:
        pt.feasible = False
        return
    if t.max_cells is not None and (pt.cells is None or pt.cells > t.max_cells):
        v.append(f"cells {pt.cells} > {t.max_cells}")
    if t.max_area_um2 is not None and (pt.area_um2 is None or pt.area_um2 > t.max_area_um2):
        v.append(f"area {pt.area_um2} um2 > {t.max_area_um2}")
    if t.min_fmax_mhz is not None and (pt.fmax_mhz is None or pt.fmax_mhz < t.min_fmax_mhz):
        v.append(f"fmax {pt.fmax_mhz} MHz < {t.min_fmax_mhz}")
    if t.max_latency_cycles is not None and (pt.latency is None or pt.latency > t.max_latency_cycles):
        v.append(f"latency {pt.latency} > {t.max_latency_cycles} cycles")
    pt.violations, pt.feasible = v, not v


def _rank(points: list[DsePoint], objective: str) -> list[DsePoint]:
    key, sign = _OBJECTIVES[objective]

    def k(p: DsePoint) -> tuple:
        val = getattr(p, key)
        return (not p.feasible, len(p.violations), float("inf") if val is None else sign * val,
                p.cells or 0, p.latency or 0)
    return sorted([p for p in points if not p.error], key=k)


def _point_line(pt: DsePoint) -> str:
    return pt.error or (f"cells={pt.cells} area={pt.area_um2 and round(pt.area_um2)}um2 "
                        f"fmax={pt.fmax_mhz and round(pt.fmax_mhz, 1)}MHz latency={pt.latency}"
                        f"{'' if pt.feasible else '  (' + '; '.join(pt.violations) + ')'}")


def explore(tpl: Any, spec: Spec, params_list: list[dict], ctx: EdaContext, *, jobs: int | None = None,
            on_point: Callable[[DsePoint], None] | None = None) -> tuple[list[DsePoint], list[DsePoint]]:
    """Synthesise every parameter set (in parallel), check the spec's targets; returns (all
    points in order, the synthesisable ones best-first by the spec's objective)."""
    points: list[DsePoint] = []
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
        for pt in pool.map(lambda p: _evaluate(tpl, p, ctx), params_list):
            _check_targets(pt, spec)
            points.append(pt)
            if on_point:
                on_point(pt)
    return points, _rank(points, spec.objective)


def design_from_spec(spec: Spec, out: Path, *, ctx: EdaContext | None = None, sims: tuple[str, ...] = ("icarus",),
                     jobs: int | None = None, seed: int = 1, waveform: bool = True,
                     progress: Callable[[str], None] | None = None) -> DesignResult:
    """Run the template designer for ``spec``; writes OUT/ and returns what it did."""
    from rtlsmith.eda_tools.flow import template_tests
    from rtlsmith.rtl_templates import discover
    say = progress or (lambda m: None)
    ctx = ctx or EdaContext()
    t_start = time.monotonic()
    fams = discover()
    if spec.language != "verilog":
        raise ConfigError(f"the template designer emits Verilog; the spec asks for {spec.language}")
    if not spec.family or spec.family not in fams:
        raise InputError(unsupported_family_message(spec, list(fams)))
    tpl = fams[spec.family]
    if spec.top and spec.top != tpl.top:
        raise InputError(f"spec asks for top module '{spec.top}' but family {tpl.family} generates "
                         f"'{tpl.top}'", file=spec.source)
    params_list, varied = candidate_points(tpl, spec)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    say(f"{tpl.family}: exploring {len(params_list)} point(s) over {', '.join(varied) or 'no free parameter'} "
        f"(Yosys + OpenSTA on OSU 0.18um, {jobs or os.cpu_count() or 2} at a time)")
    points, ranked = explore(tpl, spec, params_list, ctx, jobs=jobs,
                             on_point=lambda pt: say(f"  {pt.label(varied):28s} " + _point_line(pt)))
    res = DesignResult(exit_status="exit_tool_error", family=tpl.family, chosen=None, points=points, varied=varied,
                       out=out)
    if not ranked:
        res.notes.append("no parameter set could be synthesised: " + "; ".join(p.error or "" for p in points[:3]))
        _write(res, spec, tpl, None, ctx)
        res.seconds = time.monotonic() - t_start
        return res
    for cand in ranked:
        say(f"verifying {cand.label(varied)} with the family's cocotb tests on {', '.join(sims)} ...")
        files = tpl.generate(cand.params)
        runs = [template_tests(tpl, cand.params, s, seed, ctx, files) for s in sims]
        for r in runs:
            say(f"  {r.simulator}: {'PASS' if r.passed else 'FAIL'} {sum(t.passed for t in r.tests)}/{len(r.tests)} "
                f"tests in {r.seconds:.1f} s" + ("" if r.passed else f" ({r.error})"))
        if all(r.passed for r in runs):
            res.chosen, res.sim = cand, runs
            break
        res.notes.append(f"{cand.label(varied)} failed its tests: " + "; ".join(r.error or "" for r in runs))
    if res.chosen is None:
        res.exit_status = "exit_verification_failed"
        _write(res, spec, tpl, None, ctx)
        res.seconds = time.monotonic() - t_start
        return res
    res.exit_status = "passed" if res.chosen.feasible else "passed_ppa_unmet"
    if not res.chosen.feasible:
        res.notes.append("no explored point meets every target; the closest one was verified: "
                         + "; ".join(res.chosen.violations))
    from rtlsmith.eda_tools.synth import synth
    res.ppa = synth(tpl.generate(res.chosen.params), tpl.top, ctx=ctx)  # cached: same content as the DSE run
    _write(res, spec, tpl, waveform, ctx, seed=seed, say=say)
    res.seconds = time.monotonic() - t_start
    _write_design_json(res, spec)
    return res


def _write(res: DesignResult, spec: Spec, tpl: Any, waveform: bool | None, ctx: EdaContext, seed: int = 1,
           say: Callable[[str], None] = lambda m: None) -> None:
    from rtlsmith.eda_tools.plots import render_pareto
    out = res.out
    (out / "dse.json").write_text(json.dumps({"family": res.family, "objective": spec.objective,
                                              "targets": spec.targets.model_dump(), "varied": res.varied,
                                              "points": [asdict(p) for p in res.points]}, indent=2))
    plot_pts = [{"cells": p.cells, "latency": p.latency, "fmax_mhz": p.fmax_mhz, "feasible": p.feasible,
                 "label": p.label(res.varied)} for p in res.points]
    chosen_idx = res.points.index(res.chosen) if res.chosen else None
    if any(p["cells"] is not None for p in plot_pts):
        spread_lat = len({p["latency"] for p in plot_pts if p["latency"] is not None}) > 1
        yk = "latency" if spread_lat or not any(p["fmax_mhz"] for p in plot_pts) else "fmax_mhz"
        if yk == "fmax_mhz":  # Fmax is maximised: plot the clock period so both axes are minimised
            for p in plot_pts:
                p["period_ns"] = 1000.0 / p["fmax_mhz"] if p["fmax_mhz"] else None
            yk = "period_ns"
        render_pareto(plot_pts, out / "pareto.png", x="cells", y=yk, chosen=chosen_idx,
                      title=f"{res.family}: design-space exploration ({len(res.points)} points)",
                      x_limit=spec.targets.max_cells,
                      y_limit=spec.targets.max_latency_cycles if yk == "latency" else
                      (1000.0 / spec.targets.min_fmax_mhz if spec.targets.min_fmax_mhz else None))
    if res.chosen is None:
        (out / "report.md").write_text(_report(res, spec, tpl, None))
        _write_design_json(res, spec)
        return
    files = tpl.generate(res.chosen.params)
    rtl = out / "rtl"
    if rtl.exists():
        shutil.rmtree(rtl)
    files.write(rtl)
    tests = out / "tests"
    tests.mkdir(exist_ok=True)
    for py in tpl.package_dir.glob("*.py"):
        if py.name != "__init__.py":
            shutil.copy(py, tests / py.name)
    shutil.copy(tpl.package_dir.parent / "common.py", tests / "common.py")  # the tests' shared helpers
    (tests / "params.json").write_text(json.dumps({**res.chosen.params, "seed": seed}, indent=2))
    if res.ppa is not None:
        (out / "ppa.json").write_text(res.ppa.model_dump_json(indent=2))
    wave_note = None
    if waveform:
        wave_note = _waveform(res, tpl, ctx, seed, say)
    (out / "report.md").write_text(_report(res, spec, tpl, wave_note))


def _waveform(res: DesignResult, tpl: Any, ctx: EdaContext, seed: int, say: Callable[[str], None]) -> str | None:
    """Re-run the first passing test with a VCD dump and plot the top's ports."""
    from rtlsmith.eda_tools.plots import render_waveform
    from rtlsmith.eda_tools.simulate import simulate_cocotb
    from rtlsmith.rtl_templates import PARAMS_ENV
    icarus = next((r for r in res.sim if r.simulator == "icarus"), None)
    passing = [t.name for t in (icarus.tests if icarus else []) if t.passed]
    if not passing:
        return None
    name = passing[0]
    say(f"waveform of {name} ...")
    vcd = res.out / "waves" / f"{name}.vcd"
    try:
        r = simulate_cocotb(tpl.generate(res.chosen.params), tpl.top, tpl.test_module, tpl.package_dir, "icarus",
                            extra_env={PARAMS_ENV: json.dumps({**res.chosen.params, "seed": seed}),
                                       # cocotb matches the filter against "module.test"
                                       "COCOTB_TEST_FILTER": rf"(^|\.){re.escape(name)}$"}, seed=seed, ctx=ctx,
                            waves=vcd)
        if not (r.passed and r.waves_path):
            return f"waveform run of {name} did not produce a VCD ({r.error})"
        render_waveform(vcd, res.out / "waveform.png", cycles=32,
                        title=f"{tpl.family} {res.chosen.label(res.varied)}: {name} (first 32 cycles)")
        if vcd.stat().st_size > 20 * 1024 * 1024:
            vcd.unlink()  # keep the PNG; a huge VCD is not worth the disk
            return f"{name} (VCD over 20 MB, not kept)"
        return name
    except (RtlsmithError, OSError, ValueError) as e:
        return f"waveform failed: {e}"


def _fmt(v: Any, nd: int = 1) -> str:
    if v is None:
        return "-"
    return f"{v:,.{nd}f}" if isinstance(v, float) else f"{v:,}"


def _report(res: DesignResult, spec: Spec, tpl: Any, wave: str | None) -> str:
    L = [f"# {spec.title or tpl.family}: template design report", ""]
    L += [f"- spec: `{spec.source}`", f"- family: `{tpl.family}` ({tpl.summary})", f"- top module: `{tpl.top}`",
          f"- exit status: **{res.exit_status}**", f"- objective: `{spec.objective}`; targets: "
          + (", ".join(f"{k}={v}" for k, v in spec.targets.model_dump().items() if v is not None) or "none"), ""]
    if res.chosen:
        c = res.chosen
        L += ["## Chosen design", "", "| parameter | value |", "|---|---|"]
        L += [f"| `{k}` | {v} |" for k, v in c.params.items()]
        L += ["", f"cells {_fmt(c.cells)}, flops {_fmt(c.flops)}, area {_fmt(c.area_um2)} µm² (OSU 0.18 µm), "
              f"Fmax ≈ {_fmt(c.fmax_mhz)} MHz (pre-layout), latency {c.latency} cycles.", ""]
        L += ["## Verification", ""]
        for r in res.sim:
            L.append(f"- {r.simulator}: {'PASS' if r.passed else 'FAIL'}, {sum(t.passed for t in r.tests)}/"
                     f"{len(r.tests)} cocotb tests in {r.seconds:.1f} s "
                     f"({', '.join(f'{k} {v}' for k, v in r.tool_versions.items())})")
            L += [f"  - {'pass' if t.passed else 'FAIL'} `{t.name}`" for t in r.tests]
        L += ["", "Tests: `tests/` holds the family's cocotb tests and golden model; `tests/params.json` the "
              f"parameters. Re-run: `rtlsmith flow {tpl.family} " + " ".join(f"-p {k}={v}" for k, v in c.params.items())
              + "`.", ""]
    L += ["## Design-space exploration", "",
          f"{len(res.points)} point(s), varied: {', '.join(res.varied) or 'none'}. "
          "Feasible = meets every target.", "",
          "| point | cells | flops | area µm² | Fmax MHz | latency | feasible | note |", "|---|---:|---:|---:|---:|---:|---|---|"]
    for p in res.points:
        mark = " **(chosen)**" if p is res.chosen else ""
        L.append(f"| {p.label(res.varied)}{mark} | {_fmt(p.cells)} | {_fmt(p.flops)} | {_fmt(p.area_um2, 0)} | "
                 f"{_fmt(p.fmax_mhz)} | {_fmt(p.latency)} | {'yes' if p.feasible else 'no'} | "
                 f"{p.error or '; '.join(p.violations)} |")
    L.append("")
    if (res.out / "pareto.png").is_file():
        L += ["![Pareto plot](pareto.png)", ""]
    if wave and (res.out / "waveform.png").is_file():
        L += ["## Waveform", "", f"One passing test, `{wave}`: ", "", "![waveform](waveform.png)", ""]
    if res.ppa is not None:
        L += ["## PPA of the chosen design", "", "| metric | value |", "|---|---|"]
        L += [f"| {k} | {v} |" for k, v in res.ppa.summary_rows()]
        L.append("")
    if res.notes:
        L += ["## Notes", ""] + [f"- {n}" for n in res.notes] + [""]
    return "\n".join(L)


def _write_design_json(res: DesignResult, spec: Spec) -> None:
    tv: dict[str, str] = {}
    for r in res.sim:
        tv.update(r.tool_versions)
    if res.ppa:
        tv.update(res.ppa.tool_versions)
    (res.out / "design.json").write_text(json.dumps({
        "exit_status": res.exit_status, "provider": "template", "family": res.family, "spec": spec.source,
        "chosen": asdict(res.chosen) if res.chosen else None, "points": len(res.points),
        "verification": [{"simulator": r.simulator, "passed": r.passed, "tests": len(r.tests),
                          "seconds": round(r.seconds, 2)} for r in res.sim],
        "seconds": round(res.seconds, 2), "tool_versions": tv, "notes": res.notes}, indent=2))


def exit_code(status: ExitStatus) -> int:
    return {"passed": 0, "passed_ppa_unmet": 1, "exit_verification_failed": 1}.get(status, 3)


def params_summary(params: Mapping[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in params.items())
