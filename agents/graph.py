"""The agent graph: spec -> contract -> tests + RTL -> verify -> (judge | PPA) -> END.

```
START -> retrieve -> analyst -> test_author -> designer -> verifier
verifier --lint_fail--> designer          verifier --sim_fail--> judge
verifier --sim_pass--> ppa                judge --rtl--> designer, --test--> test_author
test_author --(design exists)--> verifier ppa --(rewrite tried)--> ppa, --done--> END
```
Every node can end the run (budget, LLM or tool failure) by setting ``exit_status``; the
routers check it first. Routers are typed and raise on a state they do not expect.
"""
from __future__ import annotations

from typing import Literal

from langgraph.graph import END, START, StateGraph

from rtlsmith.agents.nodes.analyst import analyst
from rtlsmith.agents.nodes.designer import designer
from rtlsmith.agents.nodes.judge import judge
from rtlsmith.agents.nodes.ppa import ppa
from rtlsmith.agents.nodes.retriever import retrieve
from rtlsmith.agents.nodes.test_author import test_author
from rtlsmith.agents.nodes.verifier import verifier
from rtlsmith.agents.state import AgentState


class RoutingError(RuntimeError):
    """A router met a state it does not expect: a bug, never the model's fault."""


def _exited(state: AgentState) -> bool:
    return bool(state.get("exit_status"))


def after_simple(state: AgentState) -> Literal["continue", "end"]:
    return "end" if _exited(state) else "continue"


def after_test_author(state: AgentState) -> Literal["designer", "verifier", "end"]:
    if _exited(state):
        return "end"
    return "verifier" if state.get("rtl") else "designer"


def after_verifier(state: AgentState) -> Literal["designer", "judge", "ppa", "end"]:
    if _exited(state):
        return "end"
    v = state.get("verdict")
    if v == "lint_fail":
        return "designer"
    if v == "sim_fail":
        return "judge"
    if v == "sim_pass":
        return "ppa"
    raise RoutingError(f"verifier left verdict {v!r}")


def after_judge(state: AgentState) -> Literal["designer", "test_author", "end"]:
    if _exited(state):
        return "end"
    blame = (state.get("judge") or {}).get("blame")
    if blame == "rtl":
        return "designer"
    if blame == "test":
        return "test_author"
    raise RoutingError(f"judge left blame {blame!r}")


def after_ppa(state: AgentState) -> Literal["ppa", "end"]:
    return "end" if _exited(state) else "ppa"


def build_graph(checkpointer=None):
    g = StateGraph(AgentState)
    for name, fn in (("retrieve", retrieve), ("analyst", analyst), ("test_author", test_author),
                     ("designer", designer), ("verifier", verifier), ("judge", judge), ("ppa", ppa)):
        g.add_node(name, fn)
    g.add_edge(START, "retrieve")
    g.add_conditional_edges("retrieve", after_simple, {"continue": "analyst", "end": END})
    g.add_conditional_edges("analyst", after_simple, {"continue": "test_author", "end": END})
    g.add_conditional_edges("test_author", after_test_author,
                            {"designer": "designer", "verifier": "verifier", "end": END})
    g.add_conditional_edges("designer", after_simple, {"continue": "verifier", "end": END})
    g.add_conditional_edges("verifier", after_verifier,
                            {"designer": "designer", "judge": "judge", "ppa": "ppa", "end": END})
    g.add_conditional_edges("judge", after_judge, {"designer": "designer", "test_author": "test_author", "end": END})
    g.add_conditional_edges("ppa", after_ppa, {"ppa": "ppa", "end": END})
    return g.compile(checkpointer=checkpointer)
