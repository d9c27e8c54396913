"""Core types: the language spoken between sandbox, eda_tools, agents and benchmarks."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from rtlsmith.errors import InputError

Severity = Literal["error", "warning", "info"]


def _check_relpath(name: str) -> str:
    """Reject absolute paths, '..', empty parts and NUL bytes in a design file name."""
    if not name or "\x00" in name or "\\" in name:
        raise InputError(f"invalid design file name {name!r}")
    p = PurePosixPath(name)
    if p.is_absolute() or any(part in ("..", "") for part in name.split("/")) or name.startswith("./"):
        raise InputError(f"design file name {name!r} must be a relative path inside the work dir "
                         "(no leading '/', no '..')")
    return str(p)


class DesignFiles:
    """In-memory design: {relative path: text}. Paths are validated on every insert."""

    def __init__(self, files: dict[str, str] | None = None) -> None:
        self._files: dict[str, str] = {}
        for k, v in (files or {}).items():
            self[k] = v

    def __setitem__(self, name: str, text: str) -> None:
        if not isinstance(text, str):
            raise InputError(f"design file {name!r}: content must be text, got {type(text).__name__}")
        self._files[_check_relpath(name)] = text

    def __getitem__(self, name: str) -> str:
        return self._files[name]

    def __iter__(self):
        return iter(sorted(self._files))

    def __len__(self) -> int:
        return len(self._files)

    def items(self) -> list[tuple[str, str]]:
        return sorted(self._files.items())

    def digest(self) -> str:
        h = hashlib.sha256()
        for name, text in self.items():
            h.update(name.encode() + b"\x00" + text.encode("utf-8", "surrogateescape") + b"\x00")
        return h.hexdigest()

    def write(self, root: Path) -> list[Path]:
        """Write every file under root; returns the absolute paths in name order."""
        out = []
        for name, text in self.items():
            p = root / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8", errors="surrogateescape")
            out.append(p)
        return out

    @classmethod
    def from_paths(cls, paths: list[Path]) -> "DesignFiles":
        """Load files by base name; non-UTF-8 bytes are kept (surrogateescape), never dropped."""
        files: dict[str, str] = {}
        for p in paths:
            p = Path(p)
            if not p.is_file():
                raise InputError("no such file", file=str(p))
            if p.name in files:
                raise InputError(f"two input files share the base name {p.name!r}", file=str(p))
            files[p.name] = p.read_bytes().decode("utf-8", "surrogateescape")
        return cls(files)


class Diagnostic(BaseModel):
    """One lint/compile message, pointing at source."""

    model_config = ConfigDict(extra="forbid")
    tool: str
    severity: Severity
    file: str | None = None
    line: int | None = None
    col: int | None = None
    code: str | None = None
    message: str
    excerpt: str | None = Field(default=None, description="source lines around the error, marked with '█'")

    def location(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}" + (f":{self.col}" if self.col else "")
        return self.file or "<unknown>"


class TestOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    passed: bool
    message: str = ""
    seconds: float = 0.0


class SimResult(BaseModel):
    """Verdict of one simulation run."""

    model_config = ConfigDict(extra="forbid")
    passed: bool
    simulator: str
    tests: list[TestOutcome] = []
    mismatches: int | None = None
    timed_out: bool = False
    error: str | None = Field(default=None, description="why the run could not give a verdict, if so")
    diagnostics: list[Diagnostic] = []
    log_path: str | None = None
    log_tail: str = ""
    seconds: float = 0.0
    cached: bool = False
    tool_versions: dict[str, str] = {}
    waves_path: str | None = Field(default=None, description="VCD written when waves were asked for")


class Metric(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: float | int | None
    unit: str
    source: str = Field(description="tool and version that measured it, e.g. 'yosys 0.23'")


class PPAReport(BaseModel):
    """Fixed keys (like edalize's report_summary); a key is None when not measured."""

    model_config = ConfigDict(extra="forbid")
    top: str
    cells: Metric
    cell_types: dict[str, int]
    flops: Metric
    area_est: Metric | None = None
    logic_depth: Metric | None = None
    critical_path_ns: Metric | None = None
    fmax_mhz_est: Metric | None = None
    fpga: dict[str, Metric] = {}
    liberty: str | None = None
    seconds: float = 0.0
    cached: bool = False
    tool_versions: dict[str, str] = {}

    def summary_rows(self) -> list[tuple[str, str]]:
        rows = []
        for key in ("cells", "flops", "area_est", "logic_depth", "critical_path_ns", "fmax_mhz_est"):
            m = getattr(self, key)
            if m is not None and m.value is not None:
                v = f"{m.value:,.1f}" if isinstance(m.value, float) else f"{m.value:,}"
                rows.append((key, f"{v} {m.unit}  ({m.source})"))
        for key, m in self.fpga.items():
            if m.value is not None:
                rows.append((f"fpga.{key}", f"{m.value:g} {m.unit}  ({m.source})"))
        return rows


def to_json(obj: BaseModel | list) -> str:
    if isinstance(obj, list):
        return json.dumps([o.model_dump(mode="json") for o in obj], indent=2)
    return obj.model_dump_json(indent=2)


class SpecTargets(BaseModel):
    """PPA and timing goals a design must meet (any subset)."""

    model_config = ConfigDict(extra="forbid")
    max_cells: int | None = Field(default=None, gt=0, description="Yosys generic cell count")
    max_area_um2: float | None = Field(default=None, gt=0, description="area on the OSU 0.18um cells")
    min_fmax_mhz: float | None = Field(default=None, gt=0, description="pre-layout Fmax estimate (OpenSTA)")
    max_latency_cycles: int | None = Field(default=None, ge=0, description="as the family README defines it")


class Spec(BaseModel):
    """A design spec: Markdown text plus optional YAML front matter (between ``---`` lines)."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(description="the Markdown body (what an LLM or an engineer reads)")
    source: str | None = Field(default=None, description="file it came from")
    id: str | None = Field(default=None, description="task id (benchmark specs)")
    title: str | None = None
    family: str | None = Field(default=None, description="template family (offline designer)")
    top: str | None = Field(default=None, description="required top module name")
    params: dict[str, int | float | str | bool] = Field(default={}, description="fixed parameter values")
    ranges: dict[str, list[int | float | str] | dict[str, int | float]] = Field(
        default={}, description="parameters left open: a list of values or {min, max, step}")
    targets: SpecTargets = SpecTargets()
    objective: Literal["min_cells", "min_area", "max_fmax", "min_latency"] = "min_cells"
    language: Literal["verilog", "chisel", "dslx"] = "verilog"
    max_points: int = Field(default=12, ge=1, le=64, description="DSE budget: points synthesised at most")


def load_spec(path: Path) -> Spec:
    """Parse a spec file; errors name file:line and what was expected."""
    import yaml
    from pydantic import ValidationError
    path = Path(path)
    if not path.is_file():
        raise InputError("spec file not found", file=str(path))
    raw = path.read_bytes().decode("utf-8", "replace")
    front: dict = {}
    body = raw
    lines = raw.splitlines()
    if lines and lines[0].strip() == "---":
        end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() in ("---", "...")), None)
        if end is None:
            raise InputError("front matter opened with '---' on line 1 is never closed with '---'",
                             file=f"{path}:1")
        try:
            front = yaml.safe_load("\n".join(lines[1:end])) or {}
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            line = (mark.line + 2) if mark is not None else 1
            raise InputError(f"front matter is not valid YAML: {getattr(e, 'problem', e)}",
                             file=f"{path}:{line}") from e
        if not isinstance(front, dict):
            raise InputError("front matter must be a YAML mapping (key: value lines)", file=f"{path}:2")
        body = "\n".join(lines[end + 1:])
    title = next((ln.lstrip("#").strip() for ln in body.splitlines() if ln.startswith("#")), None)
    try:
        return Spec(text=body.strip(), source=str(path), title=front.pop("title", title), **front)
    except ValidationError as e:
        first = e.errors()[0]
        key = ".".join(str(x) for x in first["loc"])
        line = next((i + 2 for i, ln in enumerate(lines[1:]) if ln.split(":")[0].strip() == str(first["loc"][0])), 1)
        raise InputError(f"front matter key '{key}': {first['msg']} (got {first.get('input')!r})",
                         file=f"{path}:{line}") from e
    except TypeError as e:
        raise InputError(f"front matter: {e}", file=f"{path}:1") from e


class RunRecord(BaseModel):
    """What one agent run did (OUT/run.json)."""

    model_config = ConfigDict(extra="forbid")
    run_id: str
    exit_status: str
    exit_reason: str = ""
    module: str | None = None
    iterations: dict[str, int] = {}
    rtl_versions: int = 0
    test_versions: int = 0
    #: the agent's own verdict: its final design passes its own tests
    self_verdict: bool = False
    first_attempt_pass: bool | None = None
    tokens: dict[str, dict[str, int]] = {}
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    model: str | None = None
    seconds: float = 0.0
    tool_seconds: float = 0.0
    llm_seconds: float = 0.0
    #: wall time minus tool and HTTP time: the loop's own cost
    overhead_seconds: float = 0.0
    ppa: dict | None = None
    tool_versions: dict[str, str] = {}
    run_dir: str | None = None
