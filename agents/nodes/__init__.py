"""Graph nodes, one role each. Every node is wrapped by :func:`guarded`, which maps the
three kinds of error (STYLE.md §6): interrupts and broken sandboxes raise; unusable model
answers are re-asked inside the node (bounded); budget, LLM and tool failures end the run
with an exit_status."""
from __future__ import annotations

from typing import Callable

from langchain_core.runnables import RunnableConfig

from rtlsmith.agents.llm import LLMError
from rtlsmith.agents.nodes.common import BudgetExceeded, deps_of, event, llm_error_exit, tool_error_exit
from rtlsmith.errors import RtlsmithError, SandboxError


def _status(deps, stage: str, state: dict, out: dict) -> None:
    """The live progress line: stage, iteration, last verdict, tokens, cost."""
    t = deps.llm.total()
    it = (out.get("iterations") or state.get("iterations") or {}).get(stage)
    verdict = out.get("exit_status") or out.get("verdict") or (out.get("judge") or {}).get("blame") or "ok"
    deps.progress(f"  {stage}{f' #{it}' if it else ''}: {verdict} | {t.prompt_tokens + t.completion_tokens} tokens"
                  f" | ${t.cost_usd:.4f} | {t.calls} LLM calls ({t.cached_calls} cached)")


def guarded(stage: str) -> Callable:
    def wrap(fn: Callable) -> Callable:
        def node(state: dict, config: RunnableConfig) -> dict:
            deps = deps_of(config)
            try:
                out = fn(state, config)
                _status(deps, stage, state, out)
                return out
            except BudgetExceeded as e:
                return {"exit_status": e.status, "exit_reason": e.reason, "events": event(stage, exit=e.status)}
            except LLMError as e:
                return {**llm_error_exit(e), "events": event(stage, exit="exit_llm_error")}
            except SandboxError:
                raise  # a broken sandbox is not the model's fault: stop everything
            except RtlsmithError as e:
                return {**tool_error_exit(e), "events": event(stage, exit="exit_tool_error")}
        # no functools.wraps: LangGraph reads the signature (config: RunnableConfig) to pass the config
        node.__name__, node.__doc__, node.__qualname__ = fn.__name__, fn.__doc__, fn.__qualname__
        return node
    return wrap
