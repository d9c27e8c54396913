"""Benchmark harness data: problems, completions, per-sample records.

The harness speaks these types between adapters (load + score a benchmark), providers
(produce completions) and executors (run scoring jobs). All are plain, picklable data so a
scoring job can travel to a Dask worker on another machine and come back.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

#: VerilogEval's failure taxonomy (scripts/sv-iv-analyze), plus '.' for pass and codes of
#: ours for what its harness cannot see: 'G' the provider gave no usable code, 'X' the
#: static gate refused the completion, 'I' infrastructure (sandbox/tool) error, 'K' skipped.
FAILURE_CLASSES: dict[str, str] = {
    ".": "pass",
    "S": "syntax error",
    "e": "explicit cast required",
    "0": "sized numeric constant must have size > 0",
    "n": "no sensitivities (always block never triggers)",
    "w": "assigned to a net declared as wire",
    "m": "unknown module type",
    "p": "unable to bind wire/reg",
    "c": "unable to bind wire/reg `clk`",
    "C": "other compile error",
    "T": "timeout",
    "r": "runtime mismatch, design uses an async reset",
    "R": "runtime mismatch / no pass line",
    "G": "provider returned no usable code",
    "X": "refused by the static safety gate",
    "I": "harness infrastructure error",
    "K": "skipped (needs a tool we do not have)",
}

Verdict = Literal["pass", "fail", "error", "skipped"]


@dataclass(frozen=True)
class Problem:
    """One benchmark problem: what the model sees, and what only the harness sees."""

    id: str
    benchmark: str
    task: str
    #: the text a provider is given (spec, description, or code-complete prompt)
    prompt: str
    #: module name the completion must define
    top: str
    #: reference solution, as the completion file(s) would be (module renamed to ``top``)
    reference: dict[str, str]
    #: harness files (testbenches, cocotb tests, data files): never shown to a model
    harness: dict[str, str]
    #: file name the completion is written to in the work dir
    completion_file: str = "sample.sv"
    #: the port list / module header when the benchmark gives one (code-complete)
    interface: str | None = None
    #: adapter-specific data (e.g. CVDP's env, RTLLM's folder)
    meta: dict = field(default_factory=dict)

    def digest(self) -> str:
        h = hashlib.sha256()
        for part in (self.id, self.top, self.prompt):
            h.update(part.encode() + b"\0")
        for d in (self.reference, self.harness):
            for k in sorted(d):
                h.update(k.encode() + b"\0" + d[k].encode("utf-8", "surrogateescape") + b"\0")
        return h.hexdigest()[:16]


class Usage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


class Completion(BaseModel):
    """What a provider produced for one (problem, sample)."""

    model_config = ConfigDict(extra="forbid")
    #: extracted code {file name: text}; None when the provider gave nothing usable
    files: dict[str, str] | None = None
    #: the raw model answer (transcript), when there is one
    raw: str | None = None
    #: why there is no usable code (provider error, no code block, ...)
    error: str | None = None
    usage: Usage = Usage()
    seconds: float = 0.0
    #: for the agent provider: the agent's own verdict on its design (self-written tests)
    self_verdict: bool | None = None
    #: for the agent provider: did the first attempt already pass its own tests
    first_attempt_self_verdict: bool | None = None


class SampleRecord(BaseModel):
    """The scored result of one sample; one JSON file per sample in the output dir."""

    model_config = ConfigDict(extra="forbid")
    problem: str
    sample: int
    verdict: Verdict
    #: the official rule's verdict (parity with the public harness)
    official_pass: bool
    #: the headline verdict: official rule plus checks that the completion could not forge it
    strict_pass: bool
    failure_class: str = Field(description="a key of FAILURE_CLASSES")
    reason: str = ""
    mismatches: int | None = None
    log: str | None = Field(default=None, description="log path relative to the output dir")
    seconds: float = 0.0
    score_seconds: float = 0.0
    usage: Usage = Usage()
    erratum: str | None = None
    self_verdict: bool | None = None
    first_attempt_self_verdict: bool | None = None
    tool_versions: dict[str, str] = {}
    completion_digest: str | None = None


@dataclass
class ScoreJob:
    """Everything a worker needs to score one sample (no references to driver state)."""

    adapter: str
    problem: Problem
    sample: int
    completion_files: dict[str, str]
    sandbox: str | None = None
    timeout_s: float = 30.0
    allow_unsafe: frozenset[str] = frozenset()


@dataclass
class ScoreResult:
    """A worker's answer: the verdict fields and the combined log text (the driver writes it)."""

    official_pass: bool
    strict_pass: bool
    failure_class: str
    reason: str
    log_text: str
    mismatches: int | None = None
    seconds: float = 0.0
    tool_versions: dict[str, str] = field(default_factory=dict)
    skipped: bool = False
