"""PPA optimiser: synthesise the passing design; against the spec's targets, ask for a
rewrite; a rewrite is accepted only if it passes the same tests and its PPA improves."""
from __future__ import annotations

import time
from typing import Any

from rtlsmith.agents.nodes import guarded
from rtlsmith.agents.nodes.common import ask, bump, check_budget, deps_of, event, save_version
from rtlsmith.agents.nodes.designer import RTL_FILE, verilog_parser
from rtlsmith.agents.nodes.verifier import run_tests
from rtlsmith.types import DesignFiles


def _ppa(deps, files: DesignFiles, top: str) -> dict:
    from rtlsmith.eda_tools.synth import synth
    t0 = time.monotonic()
    try:
        rep = synth(files, top, ctx=deps.ctx)
    finally:
        deps.tool_seconds += time.monotonic() - t0
    val = lambda m: None if m is None else m.value  # noqa: E731
    return {"cells": val(rep.cells), "area_um2": val(rep.area_est), "fmax_mhz": val(rep.fmax_mhz_est),
            "flops": val(rep.flops), "tool_versions": rep.tool_versions}


def violations(ppa: dict, targets: dict) -> list[str]:
    v = []
    if targets.get("max_cells") and (ppa["cells"] or 0) > targets["max_cells"]:
        v.append(f"cells {ppa['cells']} > max_cells {targets['max_cells']}")
    if targets.get("max_area_um2") and (ppa["area_um2"] or 0) > targets["max_area_um2"]:
        v.append(f"area {ppa['area_um2']:.0f} um2 > max_area_um2 {targets['max_area_um2']}")
    if targets.get("min_fmax_mhz") and (ppa["fmax_mhz"] or 0) < targets["min_fmax_mhz"]:
        v.append(f"fmax {ppa['fmax_mhz']:.1f} MHz < min_fmax_mhz {targets['min_fmax_mhz']}")
    return v


def _better(new: dict, old: dict, targets: dict) -> bool:
    """Fewer violated targets, or the same ones with a better value of the first violated metric."""
    vn, vo = violations(new, targets), violations(old, targets)
    if len(vn) != len(vo):
        return len(vn) < len(vo)
    if targets.get("min_fmax_mhz") and (old["fmax_mhz"] or 0) < targets["min_fmax_mhz"]:
        return (new["fmax_mhz"] or 0) > (old["fmax_mhz"] or 0)
    return (new["cells"] or 0) < (old["cells"] or 0)


@guarded("ppa")
def ppa(state: dict, config: Any) -> dict:
    deps = deps_of(config)
    check_budget(state, deps)
    top = state["contract"]["module"]
    targets = state.get("targets") or {}
    cur = state.get("ppa") or _ppa(deps, DesignFiles(state["rtl"]), top)
    miss = violations(cur, targets)
    deps.progress(f"[ppa] cells {cur['cells']}, fmax {cur['fmax_mhz'] and round(cur['fmax_mhz'], 1)} MHz"
                  + (f": misses {'; '.join(miss)}" if miss else (": targets met" if targets else "")))
    if not miss:
        return {"ppa": cur, "exit_status": "passed", "exit_reason": "tests pass" + (", PPA targets met" if targets else ""),
                "events": event("ppa", met=True, cells=cur["cells"])}
    n = state.get("iterations", {}).get("ppa", 0)
    if n >= deps.budgets.max_iterations.get("ppa", 0):
        return {"ppa": cur, "exit_status": "passed_ppa_unmet", "exit_reason": "; ".join(miss),
                "events": event("ppa", met=False, cells=cur["cells"])}
    check_budget(state, deps, "ppa")
    user = (f"Spec:\n\n{state['spec']}\n\nDesign (passes its tests):\n```verilog\n{state['rtl'][RTL_FILE]}\n```\n"
            f"Synthesis (Yosys, OSU 0.18um): cells {cur['cells']}, area {cur['area_um2']} um2, "
            f"fmax {cur['fmax_mhz']} MHz. Missed targets: {'; '.join(miss)}.\n")
    code = ask(deps, "ppa", user, verilog_parser(top), state)
    cand = DesignFiles({RTL_FILE: code})
    it = bump(state, "ppa")
    v = state["rtl_version"] + 1
    save_version(deps, "rtl_ppa", it["ppa"], {RTL_FILE: code})  # every proposal is kept
    results = [run_tests(deps, state, cand, s) for s in deps.sims]
    if not all(r.passed for r in results):
        deps.progress(f"[ppa] rewrite v{v} rejected: it fails the tests")
        return {"ppa": cur, "iterations": it, "events": event("ppa", rewrite=v, accepted=False, why="tests")}
    new = _ppa(deps, cand, top)
    if not _better(new, cur, targets):
        deps.progress(f"[ppa] rewrite v{v} rejected: PPA not better (cells {new['cells']})")
        return {"ppa": cur, "iterations": it, "events": event("ppa", rewrite=v, accepted=False, why="ppa")}
    save_version(deps, "rtl", v, {RTL_FILE: code})
    deps.progress(f"[ppa] rewrite v{v} accepted: cells {cur['cells']} -> {new['cells']}")
    return {"ppa": new, "rtl": {RTL_FILE: code}, "rtl_version": v, "iterations": it,
            "events": event("ppa", rewrite=v, accepted=True, cells=new["cells"])}
