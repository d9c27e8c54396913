"""What every node shares: run-time dependencies (not checkpointed), the bounded
ask-and-re-ask helper, budget checks and the run directory's file versions."""
from __future__ import annotations

import ast
import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from rtlsmith.agents.llm import LLMClient, LLMError
from rtlsmith.agents.state import AgentState, Budgets
from rtlsmith.eda_tools.base import EdaContext
from rtlsmith.errors import RtlsmithError

PROMPTS = Path(__file__).resolve().parent.parent / "prompts"


@dataclass
class Deps:
    """Run-time objects the nodes use; passed in the graph config, never checkpointed."""

    llm: LLMClient
    ctx: EdaContext
    run_dir: Path
    budgets: Budgets = field(default_factory=Budgets)
    sims: tuple[str, ...] = ("icarus",)
    progress: Callable[[str], None] = lambda m: None
    #: seconds spent in tools (lint, sim, synth) and in HTTP, for the overhead figure
    tool_seconds: float = 0.0
    http_seconds: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def transcript(self, entry: dict) -> None:
        with self._lock, open(self.run_dir / "transcript.jsonl", "a") as f:
            f.write(json.dumps(entry) + "\n")


class FormatError(Exception):
    """The model's answer was unusable (no code, bad JSON): re-ask with this message."""


class BudgetExceeded(Exception):
    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def deps_of(config: Any) -> Deps:
    return config["configurable"]["deps"]


def prompt(role: str) -> str:
    return (PROMPTS / f"{role}.md").read_text()


def check_budget(state: AgentState, deps: Deps, stage: str | None = None) -> None:
    """Raise BudgetExceeded when a budget is spent (wall time, tokens, cost, iterations)."""
    b = deps.budgets
    el = time.time() - state.get("started_at", time.time())
    if el > b.max_wall_s:
        raise BudgetExceeded("exit_time", f"wall time {el:.0f} s over the {b.max_wall_s:g} s budget")
    tot = deps.llm.total()
    if tot.prompt_tokens + tot.completion_tokens > b.max_tokens:
        raise BudgetExceeded("exit_cost", f"{tot.prompt_tokens + tot.completion_tokens} tokens over the "
                             f"{b.max_tokens} token budget")
    if tot.cost_usd > b.max_cost_usd:
        raise BudgetExceeded("exit_cost", f"${tot.cost_usd:.4f} over the ${b.max_cost_usd:g} budget")
    if stage is not None:
        n = state.get("iterations", {}).get(stage, 0)
        if n >= b.max_iterations.get(stage, 1):
            raise BudgetExceeded("exit_max_iterations", f"{stage}: {n} iterations, the budget is "
                                 f"{b.max_iterations.get(stage)}")


def bump(state: AgentState, stage: str) -> dict[str, int]:
    it = dict(state.get("iterations", {}))
    it[stage] = it.get(stage, 0) + 1
    return it


def ask(deps: Deps, role: str, user: str, parse: Callable[[str], Any], state: AgentState) -> Any:
    """Ask ``role``; ``parse`` turns the answer into a value or raises FormatError, in which
    case the model is told what was wrong and asked again (bounded). LLMError propagates."""
    system = prompt(role)
    ctx = state.get("context", {}).get(role)
    if ctx:
        system += "\n\nRelevant knowledge:\n" + ctx
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    last_err = ""
    for attempt in range(deps.budgets.max_format_retries + 1):
        check_budget(state, deps)
        t0 = time.monotonic()
        reply = deps.llm.chat(role, messages)
        if not reply.cached:
            deps.http_seconds += time.monotonic() - t0
        deps.transcript({"t": time.time(), "role": role, "attempt": attempt, "request": messages[-1]["content"][-4000:],
                         "reply": reply.text, "tokens": [reply.prompt_tokens, reply.completion_tokens],
                         "cached": reply.cached, "finish": reply.finish_reason})
        try:
            return parse(reply.text)
        except FormatError as e:
            last_err = str(e)
            messages = messages + [{"role": "assistant", "content": reply.text},
                                   {"role": "user", "content": f"Your answer could not be used: {e}. "
                                    "Answer again, in the required format."}]
    raise BudgetExceeded("exit_max_iterations", f"{role}: {deps.budgets.max_format_retries + 1} unusable answers "
                         f"(last: {last_err})")


_FENCE = re.compile(r"```([A-Za-z0-9_+-]*)[ \t]*\n(.*?)(?:```|\Z)", re.S)


def fenced(text: str, langs: tuple[str, ...]) -> list[str]:
    return [m.group(2) for m in _FENCE.finditer(text.replace("\r\n", "\n")) if m.group(1).lower() in langs]


def parse_json_answer(text: str) -> dict:
    blocks = fenced(text, ("json", ""))
    cand = blocks[0] if blocks else text[text.find("{"): text.rfind("}") + 1]
    try:
        val = json.loads(cand)
    except ValueError as e:
        raise FormatError(f"no valid JSON object in the answer ({e})") from e
    if not isinstance(val, dict):
        raise FormatError("the JSON answer must be an object")
    return val


def parse_python_tests(text: str) -> str:
    blocks = fenced(text, ("python", "py", ""))
    code = max(blocks, key=len) if blocks else ""
    if not code.strip():
        raise FormatError("no ```python block in the answer")
    try:
        ast.parse(code)
    except SyntaxError as e:
        raise FormatError(f"the test module does not parse: line {e.lineno}: {e.msg}") from e
    if "cocotb.test" not in code:
        raise FormatError("the module has no @cocotb.test() function")
    return code


def save_version(deps: Deps, kind: str, version: int, files: dict[str, str]) -> Path:
    d = deps.run_dir / kind / f"v{version}"
    d.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (d / name).write_text(text)
    return d


def tool_error_exit(e: RtlsmithError) -> dict:
    return {"exit_status": "exit_tool_error", "exit_reason": f"{type(e).__name__}: {e}"}


def llm_error_exit(e: LLMError) -> dict:
    return {"exit_status": "exit_llm_error", "exit_reason": str(e)}


def event(stage: str, **kw: Any) -> list[dict]:
    return [{"t": round(time.time(), 3), "stage": stage, **kw}]
