"""Graph state (what the checkpointer saves after every node) and the typed pieces in it.

State values are plain JSON data (dicts, lists, strings, numbers) so a run checkpointed to
SQLite resumes in another process; pydantic models validate them at the edges.
"""
from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

Stage = Literal["analyst", "test_author", "designer", "judge", "ppa"]
ExitStatus = Literal["passed", "passed_ppa_unmet", "exit_max_iterations", "exit_cost", "exit_time",
                     "exit_llm_error", "exit_tool_error"]
EXIT_STATUSES: tuple[str, ...] = ("passed", "passed_ppa_unmet", "exit_max_iterations", "exit_cost", "exit_time",
                                  "exit_llm_error", "exit_tool_error")


class Port(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_$]*$")
    direction: Literal["input", "output", "inout"]
    width: int = Field(ge=1, le=65536)
    description: str = ""


class DesignContract(BaseModel):
    """What the spec analyst extracts: the interface and behaviour every other role works to."""

    model_config = ConfigDict(extra="ignore")
    module: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_$]*$")
    ports: list[Port] = Field(min_length=1)
    parameters: dict[str, int] = {}
    clock: str | None = None
    reset: str | None = None
    reset_active_high: bool = True
    reset_synchronous: bool = True
    latency_cycles: int | None = None
    throughput: str | None = None
    behaviour: str = ""
    test_plan: list[str] = []


class Budgets(BaseModel):
    """Every loop is bounded: iterations per stage, tokens, cost, wall time."""

    model_config = ConfigDict(extra="forbid")
    max_iterations: dict[str, int] = Field(default_factory=lambda: {
        "analyst": 3, "test_author": 4, "designer": 6, "judge": 4, "ppa": 2})
    #: re-asks for an unusable answer (no code, bad JSON) within one iteration
    max_format_retries: int = 2
    max_tokens: int = 400_000
    max_cost_usd: float = 5.0
    max_wall_s: float = 1800.0


class AgentState(TypedDict, total=False):
    run_id: str
    spec: str
    targets: dict[str, Any]
    golden_tb: str | None
    context: dict[str, str]
    contract: dict[str, Any]
    tests: dict[str, str]
    tests_version: int
    rtl: dict[str, str]
    rtl_version: int
    iterations: dict[str, int]
    feedback: str
    test_feedback: str
    verdict: str
    first_attempt_pass: bool | None
    lint: dict[str, Any]
    sim: dict[str, Any]
    ppa: dict[str, Any]
    judge: dict[str, Any]
    exit_status: str | None
    exit_reason: str
    started_at: float
    events: Annotated[list[dict[str, Any]], operator.add]
