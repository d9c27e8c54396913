"""The dataset's own reference solution as the completion: a harness self-check."""
from __future__ import annotations

from rtlsmith.benchmarks.core import Completion, Problem
from rtlsmith.benchmarks.providers import Provider


class ReferenceProvider(Provider):
    name = "reference"
    concurrency = 1  # instant: no threads needed

    def complete(self, problem: Problem, sample: int) -> Completion:
        if not problem.reference:
            return Completion(error=f"{problem.id} has no reference solution in the dataset")
        return Completion(files=dict(problem.reference))
