"""Known-broken benchmark problems: a versioned list, reported separately, never dropped.

The list lives in ``errata.toml`` beside this module. Each entry names the benchmark, the
problem, a kind (``broken-reference``: the dataset's own solution fails its testbench;
``broken-testbench``; ``broken-prompt``: the spec contradicts the testbench;
``simulator-limitation``: fine on the official simulator, not on
ours), which simulator versions it affects, the reason and the evidence. Records of an
erratum problem carry the erratum text; summaries count results with and without them.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

ERRATA_FILE = Path(__file__).with_name("errata.toml")


@dataclass(frozen=True)
class Erratum:
    benchmark: str
    id: str
    kind: str
    reason: str
    evidence: str = ""
    #: e.g. "iverilog<12"; empty = every version
    affects: str = ""
    #: the benchmark task it applies to; empty = every task
    task: str = ""

    def text(self) -> str:
        return f"{self.kind}: {self.reason}" + (f" (affects {self.affects})" if self.affects else "")


def load_errata(task: str | None = None, path: Path = ERRATA_FILE) -> tuple[int, dict[tuple[str, str], Erratum]]:
    """(errata version, {(benchmark, problem id): Erratum}) for ``task`` (None: every entry)."""
    data = tomllib.loads(path.read_text())
    out = {}
    for e in data.get("erratum", []):
        er = Erratum(**e)
        if task is None or not er.task or er.task == task:
            out[(er.benchmark, er.id)] = er
    return int(data.get("version", 0)), out


def cost_hints(benchmark: str, path: Path = ERRATA_FILE) -> dict[str, float]:
    """Measured scoring seconds of known-slow problems: the scheduler starts them first."""
    data = tomllib.loads(path.read_text())
    return {k: float(v) for k, v in data.get("slow", {}).get(benchmark, {}).items()}
