"""Completions produced elsewhere: a JSONL file or a directory of sample files.

JSONL: one object a line, ``{"problem": ID, "sample": N, "completion": TEXT}``
(``task_id`` is accepted for ``problem``, as VerilogEval v1 files name it; ``sample``
defaults to the order of that problem's lines, 1-based). A line that is not JSON is an
error naming file:line.

Directory: VerilogEval's layout ``DIR/ID/ID_sampleNN.sv`` or a flat ``DIR/ID_sampleNN.sv``
(``.v`` too). A missing sample is reported as that sample's failure, not as a crash.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from rtlsmith.benchmarks.core import Completion, Problem
from rtlsmith.benchmarks.providers import Provider, ProviderOptions
from rtlsmith.errors import ConfigError, InputError

_SAMPLE_FILE = re.compile(r"^(?P<pid>.+)_sample(?P<n>\d+)\.s?v$")


class SamplesProvider(Provider):
    name = "samples"
    concurrency = 1

    def __init__(self, opts: ProviderOptions) -> None:
        super().__init__(opts)
        if opts.samples_path is None:
            raise ConfigError("the samples provider needs --samples-from PATH (a JSONL file or a directory)")
        path = Path(opts.samples_path)
        if not path.exists():
            raise InputError("samples path does not exist", file=str(path))
        self.table: dict[tuple[str, int], str] = self._load_dir(path) if path.is_dir() else self._load_jsonl(path)
        if not self.table:
            raise InputError("no samples found (expected ID_sampleNN.sv files or JSONL lines)", file=str(path))

    @staticmethod
    def _load_jsonl(path: Path) -> dict[tuple[str, int], str]:
        table: dict[tuple[str, int], str] = {}
        counts: dict[str, int] = {}
        for lineno, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                pid = obj.get("problem") or obj["task_id"]
                text = obj["completion"]
                if not isinstance(pid, str) or not isinstance(text, str):
                    raise TypeError("'problem' and 'completion' must be strings")
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
                raise InputError(f"not a sample record ({e}); expected "
                                 '{"problem": ID, "sample": N, "completion": TEXT}', file=f"{path}:{lineno}") from e
            counts[pid] = counts.get(pid, 0) + 1
            n = obj.get("sample", counts[pid])
            if not isinstance(n, int) or n < 1:
                raise InputError(f"'sample' must be an integer >= 1, got {n!r}", file=f"{path}:{lineno}")
            table[(pid, n)] = text
        return table

    @staticmethod
    def _load_dir(path: Path) -> dict[tuple[str, int], str]:
        table: dict[tuple[str, int], str] = {}
        for f in sorted([*path.glob("*_sample*.*v"), *path.glob("*/*_sample*.*v")]):
            m = _SAMPLE_FILE.match(f.name)
            if m:
                table[(m["pid"], int(m["n"]))] = f.read_bytes().decode("utf-8", "surrogateescape")
        return table

    def available(self, problem_id: str) -> int:
        """How many samples the source has for a problem (the harness warns on a shortfall)."""
        return sum(1 for (pid, _n) in self.table if pid == problem_id)

    def complete(self, problem: Problem, sample: int) -> Completion:
        text = self.table.get((problem.id, sample))
        if text is None:
            return Completion(error=f"no sample {sample} for {problem.id} in {self.opts.samples_path}")
        return Completion(files={problem.completion_file: text}, raw=text)
