"""Judge: when tests fail, is the design or the test wrong? The evidence: the failing
tests' messages, and a waveform table of the top's ports from a re-run of the first failing
test with a VCD dump (cycle, inputs, outputs as the design saw them)."""
from __future__ import annotations

import json
from typing import Any

from rtlsmith.agents.nodes import guarded
from rtlsmith.agents.nodes.common import FormatError, ask, bump, check_budget, deps_of, event, parse_json_answer
from rtlsmith.agents.nodes.test_author import TEST_MODULE
from rtlsmith.agents.nodes.verifier import run_tests
from rtlsmith.types import DesignFiles


def _parse(text: str) -> dict:
    d = parse_json_answer(text)
    if d.get("blame") not in ("rtl", "test"):
        raise FormatError('"blame" must be "rtl" or "test"')
    return {"blame": d["blame"], "reason": str(d.get("reason", ""))[:2000]}


def waveform_evidence(deps, state: dict) -> str:
    from rtlsmith.eda_tools.parsers.vcd import parse_vcd, waveform_table
    failing = [t["name"] for t in state.get("sim", {}).get("tests", []) if not t["passed"]]
    if not failing or "icarus" not in deps.sims:
        return ""
    vcd = deps.run_dir / "waves" / f"rtl{state['rtl_version']}_tests{state['tests_version']}.vcd"
    r = run_tests(deps, state, DesignFiles(state["rtl"]), "icarus", waves=vcd,
                  test_filter=rf"(^|\.){failing[0]}$")
    if not r.waves_path:
        return ""
    c = state["contract"]
    ports = [p["name"] for p in c["ports"]]
    v = parse_vcd(vcd, until_ps=None, max_bytes=4 * 1024 * 1024)
    return (f"Waveform of {failing[0]} (values just before each rising edge of {c.get('clock') or 'clk'}):\n"
            + waveform_table(v, ports, clock=c.get("clock") or "clk", cycles=24))


@guarded("judge")
def judge(state: dict, config: Any) -> dict:
    deps = deps_of(config)
    check_budget(state, deps, "judge")
    evidence = waveform_evidence(deps, state)
    user = (f"Spec:\n\n{state['spec']}\n\nContract:\n```json\n{json.dumps(state['contract'], indent=1)}\n```\n"
            f"Design:\n```verilog\n{state['rtl']['dut.v']}\n```\nTests:\n```python\n"
            f"{state['tests'][TEST_MODULE + '.py']}\n```\nFailures:\n{state['feedback']}\n\n{evidence}\n")
    verdict = ask(deps, "judge", user, _parse, state)
    deps.progress(f"[judge] blames the {'design' if verdict['blame'] == 'rtl' else 'tests'}: {verdict['reason'][:100]}")
    out = {"judge": {**verdict, "evidence": evidence[:4000]}, "iterations": bump(state, "judge"),
           "events": event("judge", blame=verdict["blame"])}
    if verdict["blame"] == "rtl":
        out["feedback"] = state["feedback"] + (f"\n\n{evidence}" if evidence else "") + \
            f"\nJudge: the design is wrong: {verdict['reason']}"
    else:
        out["test_feedback"] = verdict["reason"] + "\n" + state["feedback"]
    return out
