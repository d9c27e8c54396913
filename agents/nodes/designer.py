"""RTL designer: Verilog from the spec and the contract; on later iterations, from the
verifier's or judge's feedback (lint diagnostics with source excerpts, failing tests)."""
from __future__ import annotations

import json
from typing import Any

from rtlsmith.agents.extract import extract_verilog
from rtlsmith.agents.nodes import guarded
from rtlsmith.agents.nodes.common import FormatError, ask, bump, check_budget, deps_of, event, save_version

RTL_FILE = "dut.v"


def verilog_parser(top: str):
    def parse(text: str) -> str:
        code, err = extract_verilog(text, top)
        if err is not None:
            raise FormatError(err)
        return code
    return parse


@guarded("designer")
def designer(state: dict, config: Any) -> dict:
    deps = deps_of(config)
    check_budget(state, deps, "designer")
    c = state["contract"]
    user = f"Spec:\n\n{state['spec']}\n\nDesign contract:\n```json\n{json.dumps(c, indent=1)}\n```\n"
    if state.get("rtl") and state.get("feedback"):
        user += (f"\nYour previous design:\n```verilog\n{state['rtl'][RTL_FILE]}\n```\n"
                 f"It failed:\n{state['feedback']}\nFix it.\n")
    code = ask(deps, "designer", user, verilog_parser(c["module"]), state)
    v = state.get("rtl_version", 0) + 1
    save_version(deps, "rtl", v, {RTL_FILE: code})
    deps.progress(f"[designer] rtl v{v} ({code.count(chr(10)) + 1} lines)")
    return {"rtl": {RTL_FILE: code}, "rtl_version": v, "iterations": bump(state, "designer"), "feedback": "",
            "events": event("designer", version=v)}
