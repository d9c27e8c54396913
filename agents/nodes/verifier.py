"""Verifier: lint, then the test author's cocotb tests, in the sandbox. Lint errors go back
to the designer with source excerpts; failing tests go to the judge with evidence."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rtlsmith.agents.nodes import guarded
from rtlsmith.agents.nodes.common import Deps, check_budget, deps_of, event
from rtlsmith.agents.nodes.test_author import TEST_MODULE
from rtlsmith.errors import SandboxViolation
from rtlsmith.types import DesignFiles, Diagnostic, SimResult

MAX_DIAGS = 8


def format_diagnostics(diags: list[Diagnostic]) -> str:
    out = [f"{d.location()}: {d.severity}: {d.message}" + (f"\n{d.excerpt}" if d.excerpt else "")
           for d in diags[:MAX_DIAGS]]
    if len(diags) > MAX_DIAGS:
        out.append(f"... {len(diags) - MAX_DIAGS} more diagnostics elided")
    return "\n".join(out)


def format_failures(res: SimResult) -> str:
    failed = [t for t in res.tests if not t.passed]
    if not res.tests:
        return f"the simulation gave no test results: {res.error}\n{res.log_tail[-1500:]}"
    lines = [f"{len(failed)} of {len(res.tests)} tests failed ({res.simulator}):"]
    lines += [f"- {t.name}: {t.message.strip()[:600]}" for t in failed[:4]]
    return "\n".join(lines)


def run_tests(deps: Deps, state: dict, files: DesignFiles, sim: str = "icarus", waves: Path | None = None,
              test_filter: str | None = None) -> SimResult:
    from rtlsmith.eda_tools.simulate import simulate_cocotb
    test_dir = deps.run_dir / "tests" / f"v{state['tests_version']}"
    env = {"COCOTB_TEST_FILTER": test_filter} if test_filter else None
    t0 = time.monotonic()
    try:
        return simulate_cocotb(files, state["contract"]["module"], TEST_MODULE, test_dir, sim, seed=1,
                               timeout=120.0, ctx=deps.ctx, waves=waves, extra_env=env)
    finally:
        deps.tool_seconds += time.monotonic() - t0


@guarded("verifier")
def verifier(state: dict, config: Any) -> dict:
    from rtlsmith.eda_tools.lint import lint
    deps = deps_of(config)
    check_budget(state, deps)
    top = state["contract"]["module"]
    files = DesignFiles(state["rtl"])
    first = state.get("first_attempt_pass")
    t0 = time.monotonic()
    try:
        lr = lint(files, top=top, ctx=deps.ctx)
    except SandboxViolation as e:  # hostile or unsafe constructs: the model must remove them
        deps.progress(f"[verifier] rtl v{state['rtl_version']}: refused by the safety gate")
        return {"verdict": "lint_fail", "feedback": f"The design was refused before simulation: {e}",
                "first_attempt_pass": False if first is None else first,
                "events": event("verifier", verdict="lint_fail", gate=True, rtl=state["rtl_version"])}
    finally:
        deps.tool_seconds += time.monotonic() - t0
    if lr.errors:
        fb = "Lint errors:\n" + format_diagnostics(lr.errors)
        deps.progress(f"[verifier] rtl v{state['rtl_version']}: lint_fail ({len(lr.errors)} errors)")
        return {"verdict": "lint_fail", "feedback": fb, "lint": {"errors": len(lr.errors)},
                "first_attempt_pass": False if first is None else first,
                "events": event("verifier", verdict="lint_fail", errors=len(lr.errors), rtl=state["rtl_version"])}
    results = [run_tests(deps, state, files, s) for s in deps.sims]
    bad = next((r for r in results if not r.passed), None)
    summary = ", ".join(f"{r.simulator} {sum(t.passed for t in r.tests)}/{len(r.tests)}" for r in results)
    sim = {"passed": bad is None, "summary": summary, "tests": [t.model_dump() for r in results for t in r.tests],
           "cached": all(r.cached for r in results)}
    if bad is None:
        deps.progress(f"[verifier] rtl v{state['rtl_version']} tests v{state['tests_version']}: PASS ({summary})")
        return {"verdict": "sim_pass", "sim": sim, "feedback": "",
                "first_attempt_pass": (state["rtl_version"] == 1) if first is None else first,
                "events": event("verifier", verdict="sim_pass", rtl=state["rtl_version"], summary=summary)}
    deps.progress(f"[verifier] rtl v{state['rtl_version']}: sim_fail ({summary})")
    return {"verdict": "sim_fail", "sim": sim, "feedback": format_failures(bad),
            "first_attempt_pass": False if first is None else first,
            "events": event("verifier", verdict="sim_fail", rtl=state["rtl_version"], summary=summary)}
