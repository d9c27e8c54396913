"""Benchmark adapters: load a dataset's problems and score one completion by its official rule.

Registered by name; modules import lazily so ``rtlsmith bench --help`` stays fast.
"""
from __future__ import annotations

import hashlib
import importlib
from abc import ABC, abstractmethod
from pathlib import Path

from rtlsmith.benchmarks.core import Problem, ScoreJob, ScoreResult
from rtlsmith.errors import ConfigError

ADAPTERS: dict[str, str] = {
    "verilog-eval": "rtlsmith.benchmarks.adapters.verilog_eval:VerilogEvalAdapter",
    "rtllm": "rtlsmith.benchmarks.adapters.rtllm:RtllmAdapter",
    "cvdp": "rtlsmith.benchmarks.adapters.cvdp:CvdpAdapter",
    "accelbench": "rtlsmith.benchmarks.adapters.accelbench:AccelBenchAdapter",
}


class Adapter(ABC):
    """One benchmark. ``load`` runs in the driver; ``score`` may run on a remote worker, so it
    must use only the job (no driver state) and return plain data."""

    name: str
    tasks: tuple[str, ...]
    default_task: str
    #: the official rule, one line, shown in reports
    rule: str

    @abstractmethod
    def load(self, dataset: Path, task: str) -> list[Problem]:
        """All problems of ``task`` under ``dataset``; raises InputError when it is not one."""

    @abstractmethod
    def score(self, job: ScoreJob) -> ScoreResult:
        """Score one completion in the sandbox (no cache here: the harness resumes by record)."""

    def dataset_digest(self, problems: list[Problem]) -> str:
        """Content digest of the loaded problems: records say exactly which data they scored."""
        h = hashlib.sha256()
        for p in sorted(problems, key=lambda p: p.id):
            h.update(p.id.encode() + b"\0" + p.digest().encode())
        return h.hexdigest()[:16]


def get_adapter(name: str) -> Adapter:
    """The adapter registered as ``name``; unknown names list the valid ones."""
    if name not in ADAPTERS:
        raise ConfigError(f"unknown benchmark {name!r}; known: {', '.join(sorted(ADAPTERS))}")
    mod, cls = ADAPTERS[name].split(":")
    return getattr(importlib.import_module(mod), cls)()
