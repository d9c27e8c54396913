"""Spec analyst: spec -> design contract (module, ports, parameters, clock/reset, latency,
test plan), validated; an invalid contract is re-asked with the validation error."""
from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from rtlsmith.agents.nodes import guarded
from rtlsmith.agents.nodes.common import FormatError, ask, bump, check_budget, deps_of, event, parse_json_answer
from rtlsmith.agents.state import DesignContract


def _parse(text: str) -> dict:
    data = parse_json_answer(text)
    try:
        c = DesignContract.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        raise FormatError(f"contract field {'.'.join(map(str, first['loc']))}: {first['msg']}") from e
    names = [p.name for p in c.ports]
    if len(names) != len(set(names)):
        raise FormatError("two ports share a name")
    return c.model_dump()


@guarded("analyst")
def analyst(state: dict, config: Any) -> dict:
    deps = deps_of(config)
    check_budget(state, deps, "analyst")
    user = f"Spec:\n\n{state['spec']}\n"
    if state.get("golden_tb"):
        user += f"\nThe design will also be checked by this testbench:\n```verilog\n{state['golden_tb']}\n```\n"
    contract = ask(deps, "analyst", user, _parse, state)
    deps.progress(f"[analyst] contract: module {contract['module']}, {len(contract['ports'])} ports")
    (deps.run_dir / "contract.json").write_text(__import__("json").dumps(contract, indent=2))
    return {"contract": contract, "iterations": bump(state, "analyst"),
            "events": event("analyst", module=contract["module"], ports=len(contract["ports"]))}
