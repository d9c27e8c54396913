"""Test author: a cocotb test module with its own reference model, written from the spec and
the contract only (never from the design). Re-run when the judge blames the tests."""
from __future__ import annotations

import json
from typing import Any

from rtlsmith.agents.nodes import guarded
from rtlsmith.agents.nodes.common import ask, bump, check_budget, deps_of, event, parse_python_tests, save_version

TEST_MODULE = "test_dut"


@guarded("test_author")
def test_author(state: dict, config: Any) -> dict:
    deps = deps_of(config)
    check_budget(state, deps, "test_author")
    user = (f"Spec:\n\n{state['spec']}\n\nDesign contract:\n```json\n{json.dumps(state['contract'], indent=1)}\n```\n"
            f"The top module is `{state['contract']['module']}`; the module file will be named {TEST_MODULE}.py.\n")
    if state.get("tests"):
        user += (f"\nYour previous test module:\n```python\n{state['tests'][TEST_MODULE + '.py']}\n```\n"
                 f"The judge found it wrong: {state.get('test_feedback', '')}\nFix the test, not the design.\n")
    code = ask(deps, "test_author", user, parse_python_tests, state)
    v = state.get("tests_version", 0) + 1
    save_version(deps, "tests", v, {TEST_MODULE + ".py": code})
    deps.progress(f"[test_author] tests v{v} ({code.count('@cocotb.test')} tests)")
    return {"tests": {TEST_MODULE + ".py": code}, "tests_version": v, "iterations": bump(state, "test_author"),
            "test_feedback": "", "events": event("test_author", version=v)}
