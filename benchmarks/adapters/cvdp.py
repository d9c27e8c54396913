"""CVDP (NVlabs/cvdp_benchmark): cocotb-scored RTL problems, run locally with Icarus.

Data format (JSONL, one datapoint a line; both shapes exist in the public v1.1 files):

- non-agentic (``cvdp_copilot_*``): ``id``, ``categories`` (``["cid003", "easy"]``),
  ``input`` {``prompt``, ``context`` {path: text}}, ``output`` {``response``, ``context``
  {path: reference text}}, ``harness`` {``files`` {path: text}}.
- agentic (``cvdp_agentic_*``): ``id``, ``categories``, ``system_message``, ``prompt``,
  ``context`` {path: text}, ``patch`` {path: unified-diff hunks against ``context[path]``
  (or against nothing: a new file)}, ``harness`` {path: text} (sometimes under ``files``).

The task is decided by that shape, not by the id: ``agentic`` loads the datapoints with a
top-level ``prompt``/``context``/``patch``, ``non-agentic`` those with ``input``/``output``.

The official harness mounts the problem's files at ``/code`` and runs the harness's
docker-compose service: ``pytest /src/test_runner.py`` with ``src/.env`` as environment;
``test_runner.py`` calls ``cocotb_tools.runner`` (build with ``VERILOG_SOURCES`` and a
``("1ns", "1ns")`` timescale, then test ``MODULE`` against ``TOPLEVEL``). The verdict is
pytest's exit code: every runner call's cocotb tests pass.

Here no docker is needed. ``test_runner.py`` is *replayed* in the sandbox with
``cocotb_tools.runner`` stubbed out: its test functions run (pytest's ``parametrize``
expanded the way pytest does) and every ``build``/``test`` call is written down
(sources, parameters, defines, timescale, plusargs, extra_env, seed, testcase). Each
recorded run is then executed by rtlsmith's own sandboxed cocotb flow
(:func:`rtlsmith.eda_tools.simulate.simulate_cocotb`) with Icarus (or Verilator), the
``/code/...`` paths mapped onto the work tree (context files + the completion). A harness
with no ``test_runner.py`` runs ``MODULE`` from ``.env`` once.

Verdicts: official = every recorded run built and all its cocotb tests passed, at least
one test ran; strict = official, and in every run the set of test names in results.xml
equals the ``@cocotb.test()`` functions found statically (``ast``) in the test module(s)
(a design that ends the simulation early, or a forged results.xml, fails it); when the set
cannot be known statically (a TestFactory) strict keeps the official verdict and the log says so.
Each run gets a seed derived from (problem, sample, run) unless the runner passes one, so a
rescore gives the same verdict (the official harness seeds from the clock). Runner options
this flow does not apply (``includes``, ``build_args``, ``test_args``...) are named in the log.
Problems needing a commercial simulator (xcelium, vcs, ...: SIM in ``.env``, the
``__VERIF_EDA_IMAGE__`` compose image, categories cid012-014) are ``skipped: needs <sim>``,
as are comprehension categories (scored by BLEU/LLM, not simulation) and harnesses that run
other commands than the cocotb runner.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from rtlsmith.benchmarks.adapters import Adapter
from rtlsmith.benchmarks.adapters.cocotb_verdict import LOG_KEEP_PER_FILE, judge_cocotb
from rtlsmith.benchmarks.core import Problem, ScoreJob, ScoreResult
from rtlsmith.errors import InputError, RtlsmithError, SandboxViolation

#: cocotb_tools.runner names we can run here; any other SIM is reported as skipped
SUPPORTED_SIMS = ("icarus", "verilator")
#: the timescale every CVDP test_runner.py passes (used when there is no runner to replay)
OFFICIAL_TIMESCALE = ("1ns", "1ns")
#: categories scored by BLEU / an LLM judge on text, not by a harness (CVDP's constants)
COMPREHENSION_CATEGORIES = frozenset({6, 8, 9, 10})
#: categories whose harness needs Cadence tools (xrun, imc coverage) per the CVDP README
COMMERCIAL_CATEGORIES = frozenset({12, 13, 14})
#: env the cocotb GPI set-up and the sandbox own: a harness .env value must not override it
_RESERVED_ENV = re.compile(r"^(?:COCOTB_(?:TOPLEVEL|TEST_MODULES|RESULTS_FILE|LIBS)|GPI_USERS|PYGPI_\w+|"
                           r"LIBPYTHON_LOC|PYTHON\w*|LD_\w+|PATH|HOME)$")
#: build/test options of cocotb's runner that this flow does not apply (said in the log)
_IGNORED_OPTIONS = ("build_args", "includes", "test_args", "elab_args", "pre_cmd", "vhdl_sources")


# ---------------------------------------------------------------------------- data helpers

def parse_env(text: str) -> dict[str, str]:
    """A docker-compose ``env_file``: ``KEY = value`` lines; ``#`` comments; quotes stripped."""
    env: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key, value = key.strip(), value.strip()
        if key.startswith("export "):
            key = key[len("export "):].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if key:
            env[key] = value
    return env


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


def apply_patch(original: str, diff: str) -> str:
    """Apply unified-diff hunks (``@@ -a,b +c,d @@`` ...; file headers optional) to ``original``.

    Context and removed lines must match; a hunk whose line numbers are off is searched for
    nearby (as ``patch`` does with an offset). Raises ValueError when a hunk does not apply.
    """
    src = original.splitlines()
    lines = diff.splitlines()
    i = 0
    while i < len(lines) and not lines[i].startswith("@@"):
        i += 1  # ---/+++/diff --git/index headers
    if i == len(lines):
        raise ValueError("no '@@' hunk in the patch")
    out: list[str] = []
    pos = 0
    while i < len(lines):
        m = _HUNK.match(lines[i])
        if not m:
            raise ValueError(f"patch line {i + 1}: expected a hunk header, got {lines[i][:60]!r}")
        old_start = int(m.group(1))
        i += 1
        old: list[str] = []
        new: list[str] = []
        while i < len(lines) and not lines[i].startswith("@@"):
            ln = lines[i]
            i += 1
            if ln.startswith("\\"):  # "\ No newline at end of file"
                continue
            tag, body = (ln[0], ln[1:]) if ln else (" ", "")  # editors strip a blank context line's space
            if tag == " ":
                old.append(body)
                new.append(body)
            elif tag == "-":
                old.append(body)
            elif tag == "+":
                new.append(body)
            else:
                raise ValueError(f"patch line {i}: not a context/+/- line: {ln[:60]!r}")
        want = old_start - 1 if old else old_start  # "-N,0": insert after line N
        at = _locate(src, old, max(want, pos), pos)
        if at is None:
            raise ValueError(f"hunk at line {old_start} does not match the original file")
        out.extend(src[pos:at])
        out.extend(new)
        pos = at + len(old)
    out.extend(src[pos:])
    return "\n".join(out) + "\n" if out else ""


def _locate(src: list[str], old: list[str], want: int, lo: int) -> int | None:
    """Where ``old`` matches ``src`` at or after ``lo``, nearest to ``want`` first."""
    def ok(at: int) -> bool:
        return at + len(old) <= len(src) and src[at:at + len(old)] == old
    if not old:
        return min(want, len(src))
    for delta in range(len(src) + 1):
        for at in (want - delta, want + delta):
            if at >= lo and ok(at):
                return at
    return None


def _category(categories: list) -> int | None:
    for c in categories:
        if isinstance(c, str) and c.startswith("cid") and c[3:].isdigit():
            return int(c[3:])
    return None


def _code_relative(path: str) -> str | None:
    """``/code/rtl/x.sv`` -> ``rtl/x.sv``; ``/src/x.sv`` -> ``src/x.sv`` (a harness file);
    relative paths stay; any other absolute path -> None."""
    if path.startswith("/code/"):
        return path[len("/code/"):]
    if path.startswith("/src/"):
        return path[1:]
    if path.startswith("/"):
        return None
    return path[2:] if path.startswith("./") else path


# ---------------------------------------------------------------------------- the replay

#: runs inside the sandbox (stdlib + pytest if present); harness code only, never the completion
_REPLAY_DRIVER = Path(__file__).with_name("cvdp_replay.py")


@dataclass
class RunSpec:
    """One cocotb build + test, as the official runner would have done it."""

    sim: str
    sources: list[str]
    top: str
    module: str
    parameters: dict[str, object] = field(default_factory=dict)
    defines: dict[str, object] = field(default_factory=dict)
    plusargs: list[str] = field(default_factory=list)
    timescale: tuple[str, str] | None = OFFICIAL_TIMESCALE
    extra_env: dict[str, str] = field(default_factory=dict)
    seed: int | None = None
    label: str = ""
    ignored: list[str] = field(default_factory=list)


def _test_env(env: dict[str, str]) -> dict[str, str]:
    """The .env values the tests see (docker-compose's env_file puts them all in the environment;
    cocotb 2 reads only COCOTB_* names, so TOPLEVEL/MODULE/SIM are inert), minus the reserved."""
    return {k: v for k, v in env.items() if not _RESERVED_ENV.match(k)}


def _filter_env(test: dict) -> dict[str, str]:
    """COCOTB_TEST_FILTER as cocotb_tools.runner derives it from ``testcase``/``test_filter``."""
    tc = test.get("testcase")
    out = {}
    if tc:
        names = [s.strip() for s in tc.split(",") if s.strip()] if isinstance(tc, str) else list(tc)
        out["COCOTB_TEST_FILTER"] = r"\.(" + "|".join(rf".*{re.escape(str(n))}" for n in names) + ")$"
    if test.get("test_filter"):
        out["COCOTB_TEST_FILTER"] = str(test["test_filter"])
    return out


def runs_from_records(records: list[dict], env: dict[str, str]) -> list[RunSpec]:
    """Replay records -> RunSpecs (values defaulted from .env where the call left them out)."""
    out = []
    for rec in records:
        b, t = rec.get("build") or {}, rec.get("test") or {}
        srcs = b.get("sources") or b.get("verilog_sources") or env.get("VERILOG_SOURCES", "")
        srcs = srcs.split() if isinstance(srcs, str) else [str(s) for s in srcs]
        module = t.get("test_module") or env.get("MODULE", "")
        module = ",".join(str(m) for m in module) if isinstance(module, list) else str(module)
        ts = t.get("timescale") or b.get("timescale")
        extra = {**_test_env(env), **{str(k): str(v) for k, v in (t.get("extra_env") or {}).items()},
                 **_filter_env(t)}
        out.append(RunSpec(
            sim=str(rec.get("sim") or "icarus"), sources=srcs,
            top=str(t.get("hdl_toplevel") or b.get("hdl_toplevel") or env.get("TOPLEVEL", "")), module=module,
            parameters={**(b.get("parameters") or {}), **(t.get("parameters") or {})},
            defines=dict(b.get("defines") or {}), plusargs=[str(p) for p in t.get("plusargs") or []],
            timescale=(str(ts[0]), str(ts[1])) if ts else None, extra_env=extra,
            seed=int(t["seed"]) if str(t.get("seed", "")).lstrip("-").isdigit() else None,
            label=str(rec.get("caller", "")),
            ignored=[k for k in _IGNORED_OPTIONS if b.get(k) or t.get(k)]))
    return out


def runs_from_env(env: dict[str, str]) -> list[RunSpec]:
    """No test_runner.py: the one run the standard CVDP runner makes from .env."""
    return [RunSpec(sim=env.get("SIM", "icarus"), sources=env.get("VERILOG_SOURCES", "").split(),
                    top=env.get("TOPLEVEL", ""), module=env.get("MODULE", ""), extra_env=_test_env(env),
                    label=".env")]


# ---------------------------------------------------------------------------- the adapter

class CvdpAdapter(Adapter):
    name = "cvdp"
    tasks = ("non-agentic", "agentic")
    default_task = "non-agentic"
    rule = ("docker-compose `pytest /src/test_runner.py` with src/.env (cocotb_tools.runner, SIM=icarus, "
            "timescale 1ns/1ns); pass iff every cocotb test of every runner call passes; run here in the "
            "sandbox with Icarus, commercial-simulator problems skipped")

    # ------------------------------------------------------------------ load

    def load(self, dataset: Path, task: str) -> list[Problem]:
        if task not in self.tasks:
            raise InputError(f"cvdp has no task {task!r}; tasks: {', '.join(self.tasks)}")
        dataset = Path(dataset)
        if dataset.is_dir():
            files = sorted(dataset.glob("*.jsonl"))
            if not files:
                raise InputError("no CVDP .jsonl files in this directory", file=str(dataset))
        elif dataset.is_file():
            files = [dataset]
        else:
            raise InputError("no such CVDP dataset (a .jsonl file or a directory of them)", file=str(dataset))
        out: list[Problem] = []
        seen: dict[str, str] = {}
        other = 0
        for f in files:
            for n, line in enumerate(f.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    d = json.loads(line)
                except json.JSONDecodeError as e:
                    raise InputError(f"not a JSON line ({e.msg} at column {e.colno})", file=str(f), line=n) from e
                if not isinstance(d, dict) or not isinstance(d.get("id"), str):
                    raise InputError("a CVDP datapoint is a JSON object with a string 'id'", file=str(f), line=n)
                fmt = _format_of(d)
                if fmt is None:
                    raise InputError(f"datapoint {d['id']} has neither 'input'/'output' (non-agentic) nor "
                                     "'prompt'/'context'/'patch' (agentic)", file=str(f), line=n)
                if fmt != task:
                    other += 1
                    continue
                if d["id"] in seen:
                    raise InputError(f"duplicate datapoint id {d['id']} (first in {seen[d['id']]})",
                                     file=str(f), line=n)
                seen[d["id"]] = f"{f}:{n}"
                try:
                    out.append(self._problem(d, task))
                except (TypeError, AttributeError, KeyError) as e:
                    raise InputError(f"datapoint {d['id']} is malformed: {e!r}", file=str(f), line=n) from e
        if not out:
            hint = f" ({other} datapoint(s) of the other task: pass --task " \
                   f"{'agentic' if task == 'non-agentic' else 'non-agentic'})" if other else ""
            raise InputError(f"no {task} CVDP datapoints{hint}", file=str(dataset))
        return out

    def _problem(self, d: dict, task: str) -> Problem:
        cats = [str(c) for c in d.get("categories") or []]
        harness_raw = d.get("harness") or {}
        harness = harness_raw.get("files", harness_raw) if isinstance(harness_raw, dict) else {}
        harness = {str(k): str(v) for k, v in (harness or {}).items()}
        env = parse_env(harness.get("src/.env", ""))
        meta: dict = {"env": env, "categories": cats, "category": _category(cats), "format": task}
        if task == "non-agentic":
            prompt, context = d["input"]["prompt"], dict(d["input"].get("context") or {})
            reference = {str(k): str(v) for k, v in (d.get("output") or {}).get("context", {}).items()}
            outputs = list(reference)
        else:
            prompt, context = d["prompt"], dict(d.get("context") or {})
            patch = {str(k): str(v) for k, v in (d.get("patch") or {}).items()}
            outputs = list(patch)
            reference = {}
            try:
                for path, diff in patch.items():
                    reference[path] = apply_patch(context.get(path, ""), diff)
            except ValueError as e:
                reference = {}
                meta["reference_error"] = f"the golden patch for {path} does not apply: {e}"
            if d.get("system_message"):
                meta["system_message"] = d["system_message"]
        context = {str(k): str(v) for k, v in context.items()}
        meta["context"] = context
        sources = [s for s in (_code_relative(p) for p in env.get("VERILOG_SOURCES", "").split()) if s]
        completion = next((s for s in sources if s in outputs), outputs[0] if outputs else
                          (sources[0] if sources else "sample.sv"))
        return Problem(id=d["id"], benchmark=self.name, task=task, prompt=_prompt(prompt, context, outputs),
                       top=env.get("TOPLEVEL", ""), reference=reference, harness=harness,
                       completion_file=completion, meta=meta)

    # ------------------------------------------------------------------ score

    def score(self, job: ScoreJob) -> ScoreResult:
        t0 = time.monotonic()
        p = job.problem
        skip = skip_reason(p)
        if skip:
            return ScoreResult(False, False, "K", skip, skip + "\n", seconds=time.monotonic() - t0, skipped=True)
        if not job.completion_files:
            return ScoreResult(False, False, "G", "no completion files", "", seconds=time.monotonic() - t0)
        try:
            tree = work_tree(p, job.completion_files)
        except InputError as e:
            return ScoreResult(False, False, "G", str(e), str(e) + "\n", seconds=time.monotonic() - t0)
        from rtlsmith.eda_tools.base import EdaContext  # heavy imports stay out of `rtlsmith bench --help`
        ctx = EdaContext(sandbox=job.sandbox, cache=False, allow_unsafe=job.allow_unsafe)
        scratch = None
        try:
            scratch = Path(tempfile.mkdtemp(prefix="rtlsmith-cvdp-", dir=ctx.backend.workspace_root()))
            scratch.chmod(0o711)  # the sandbox uid must traverse to the work dirs below
            return _score_runs(job, tree, ctx, scratch, t0)
        except SandboxViolation as e:
            return ScoreResult(False, False, "X", "refused by the static gate: " + _first_line(str(e), 2),
                               str(e) + "\n", seconds=time.monotonic() - t0)
        except (RtlsmithError, OSError) as e:  # the sandbox or a tool, not the completion
            return ScoreResult(False, False, "I", f"{type(e).__name__}: {_first_line(str(e))}", str(e) + "\n",
                               seconds=time.monotonic() - t0)
        finally:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)


def _format_of(d: dict) -> str | None:
    if isinstance(d.get("input"), dict):
        return "non-agentic"
    if "patch" in d or ("prompt" in d and "context" in d):
        return "agentic"
    return None


def _prompt(prompt: str, context: dict[str, str], outputs: list[str]) -> str:
    parts = [prompt.rstrip()]
    if context:
        parts.append("## Files provided")
        for path, text in context.items():
            body = text if path.endswith(".md") else f"```\n{text.rstrip()}\n```"
            parts.append(f"### {path}\n{body}")
    if outputs:
        parts.append("## Expected output\nWrite the complete file(s): " + ", ".join(outputs))
    return "\n\n".join(parts) + "\n"


def skip_reason(p: Problem) -> str | None:
    """Why this problem cannot be scored here (a tool or a scoring kind we do not have), or None."""
    env, h = p.meta.get("env", {}), p.harness
    cat = p.meta.get("category")
    if cat in COMPREHENSION_CATEGORIES:
        return f"skipped: category cid{cat:03d} is scored on text (BLEU / LLM judge), not by simulation"
    sim = env.get("SIM", "").strip().lower()
    compose = h.get("docker-compose.yml", "")
    if sim and sim not in SUPPORTED_SIMS:
        return f"skipped: needs {sim}"
    if "__VERIF_EDA_IMAGE__" in compose or cat in COMMERCIAL_CATEGORIES or re.search(r"\b(xrun|imc)\b", compose):
        return "skipped: needs xcelium (commercial verification harness)"
    if env.get("TOPLEVEL_LANG", "verilog").lower() not in ("verilog", "systemverilog", "sv"):
        return f"skipped: needs a {env['TOPLEVEL_LANG']} simulator"
    for cmd in _compose_commands(compose):
        if "test_runner.py" not in cmd:
            return f"skipped: the harness runs `{cmd[:120]}`, not the cocotb test runner"
    if "src/.env" not in h or (not env.get("MODULE") and "src/test_runner.py" not in h):
        return "skipped: no cocotb harness (src/.env with MODULE, or src/test_runner.py)"
    runner = h.get("src/test_runner.py", "")
    if re.search(r"\bsubprocess\b|\bos\.system\b|\bos\.popen\b", runner):
        return ("skipped: test_runner.py runs external commands (synthesis/lint checks); "
                "only cocotb runs are replayed")
    return None


def _compose_commands(compose: str) -> list[str]:
    import yaml
    try:
        doc = yaml.safe_load(compose) if compose.strip() else None
    except yaml.YAMLError:
        return []
    out = []
    for svc in ((doc or {}).get("services") or {}).values() if isinstance(doc, dict) else []:
        cmd = svc.get("command") if isinstance(svc, dict) else None
        if cmd:
            out.append(" ".join(map(str, cmd)) if isinstance(cmd, list) else str(cmd))
    return out


def work_tree(p: Problem, completion: dict[str, str]) -> dict[str, str]:
    """The tree mounted at /code: the context files overlaid with the completion's files.

    A completion of one file under a name the problem does not know (``sample.sv``) is the
    completion file. Raises InputError for names outside the work dir."""
    tree = dict(p.meta.get("context", {}))
    files = {}
    for name, text in completion.items():
        rel = _code_relative(name)
        if rel is None:
            raise InputError(f"completion file {name!r} is outside /code")
        files[rel] = text
    known = set(p.reference) | set(tree) | {p.completion_file}
    if len(files) == 1 and not set(files) & known:
        files = {p.completion_file: next(iter(files.values()))}
    tree.update(files)
    from rtlsmith.types import DesignFiles
    DesignFiles(tree)  # validates every name (no absolute paths, no '..')
    return tree


def _replay(p: Problem, ctx, scratch: Path, timeout: float) -> tuple[list[RunSpec], list[str], str | None]:
    """(runs, notes, error): the harness's test_runner.py replayed in the sandbox."""
    from rtlsmith.eda_tools.base import Workspace
    ctx.run_root = scratch / "replay"
    ws = Workspace(ctx, "cvdp-replay")
    for name, text in p.harness.items():
        if name.startswith("src/") and name.endswith(".py") and "/" not in name[4:]:
            (ws.work / "src").mkdir(exist_ok=True)
            (ws.work / name).write_text(text)
    (ws.work / "_rtlsmith_replay.py").write_text(_REPLAY_DRIVER.read_text())
    out = ws.work / "replay.json"
    env = {k: v for k, v in p.meta.get("env", {}).items() if not _RESERVED_ENV.match(k)}
    env.update({"PYTHONPATH": str(ws.work / "src"), "PYTHONDONTWRITEBYTECODE": "1",
                "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
    r = ws.step("replay", [ctx.toolchain.python(), "_rtlsmith_replay.py", "src/test_runner.py", str(out)],
                timeout=timeout, env=env)
    log = (r.stdout() + r.stderr()).strip()
    if r.timed_out:
        return [], [], f"replaying test_runner.py exceeded {timeout:g} s"
    try:
        if out.is_symlink() or out.stat().st_size > 4 * 1024 * 1024:
            raise ValueError("replay.json is not a plain file of sane size")
        data = json.loads(out.read_text())
    except (OSError, ValueError) as e:
        return [], [], f"replaying test_runner.py gave no record ({e}); exit {r.returncode}\n{log[-3000:]}"
    if data.get("errors"):
        return [], data.get("notes", []), "replaying test_runner.py failed: " + "\n".join(data["errors"])[-4000:]
    runs = runs_from_records(data.get("runs", []), p.meta.get("env", {}))
    if not runs:
        return [], data.get("notes", []), "test_runner.py ran no cocotb test (functions: " \
            f"{', '.join(data.get('functions', [])) or 'none'})"
    return runs, data.get("notes", []), None


def _seed(p: Problem, sample: int, i: int) -> int:
    """A reproducible seed per (problem, sample, run): reruns give the same verdict."""
    return int(hashlib.sha256(f"{p.id}:{sample}:{i}".encode()).hexdigest()[:7], 16)


@dataclass
class _RunOutcome:
    spec: RunSpec
    cls: str  # '.' or a failure class
    reason: str
    log: str
    strict_note: str | None = None


def _score_runs(job: ScoreJob, tree: dict[str, str], ctx, scratch: Path, t0: float) -> ScoreResult:
    from rtlsmith.eda_tools.simulate import simulate_cocotb
    from rtlsmith.types import DesignFiles
    p = job.problem
    env = p.meta.get("env", {})
    notes: list[str] = []
    if "src/test_runner.py" in p.harness:
        runs, notes, err = _replay(p, ctx, scratch, max(30.0, job.timeout_s))
        if err:
            return ScoreResult(False, False, "I", _first_line(err), err + "\n", seconds=time.monotonic() - t0)
    else:
        runs = runs_from_env(env)
    for r in runs:
        if r.sim.lower() not in SUPPORTED_SIMS:
            why = f"skipped: needs {r.sim.lower()}"
            return ScoreResult(False, False, "K", why, why + "\n", seconds=time.monotonic() - t0, skipped=True)
    tests_dir = scratch / "tests"
    tests_dir.mkdir()
    modules = {}
    for name, text in p.harness.items():
        if name.startswith("src/") and name.endswith(".py") and "/" not in name[4:]:
            (tests_dir / name[4:]).write_text(text)
            modules[name[4:-3]] = text
    outcomes: list[_RunOutcome] = []
    tool_versions: dict[str, str] = {}
    for i, spec in enumerate(runs):
        if spec.seed is None:
            spec.seed = _seed(p, job.sample, i)
        head = (f"== run {i + 1}/{len(runs)} {spec.label}: sim={spec.sim} top={spec.top} module={spec.module} "
                f"parameters={spec.parameters or {}} timescale={spec.timescale} seed={spec.seed}")
        if spec.ignored:
            head += f"\n   (not applied here: {', '.join(spec.ignored)})"
        problem = _check_spec(spec, tree, p.harness, modules)
        if problem:
            outcomes.append(_RunOutcome(spec, problem[0], problem[1], head + "\n" + problem[1] + "\n"))
            break
        files = {s: (tree[s] if s in tree else p.harness[s]) for s in _sources(spec)}
        # headers and data files ride along; other .v/.sv context files are not compiled (VERILOG_SOURCES is)
        files.update({k: v for k, v in tree.items() if not k.endswith((".v", ".sv", ".md"))})
        ctx.run_root = scratch / f"run{i}"
        res = simulate_cocotb(DesignFiles(files), spec.top, spec.module, tests_dir, spec.sim.lower(),
                              extra_env=spec.extra_env, seed=spec.seed, timeout=job.timeout_s, ctx=ctx,
                              parameters=spec.parameters or None, defines=spec.defines or None,
                              plusargs=spec.plusargs or None, timescale=spec.timescale, sources=_sources(spec))
        tool_versions.update(res.tool_versions)
        out = _judge(spec, res, modules)
        out.log = head + "\n" + _run_log(res, ctx.run_root) + out.log
        outcomes.append(out)
        if out.cls != ".":
            break  # pytest would go on, but the verdict is already fail; save the time
    return _verdict(outcomes, notes, tool_versions, time.monotonic() - t0)


def _sources(spec: RunSpec) -> list[str]:
    return [s for s in (_code_relative(x) for x in spec.sources) if s]


def _check_spec(spec: RunSpec, tree: dict[str, str], harness: dict[str, str],
                modules: dict[str, str]) -> tuple[str, str] | None:
    """(class, reason) when this run cannot start; None when it can."""
    if not spec.top:
        return "I", "no toplevel (TOPLEVEL / hdl_toplevel) for the run"
    if not spec.module or "," in spec.module:
        return "I", f"test module {spec.module!r}: one cocotb test module per run is supported"
    if spec.module not in modules:
        return "I", f"test module {spec.module}.py is not among the harness's src/*.py files"
    bad = [x for x in spec.sources if _code_relative(x) is None]
    if bad or not spec.sources:
        return "I", f"sources outside /code and /src: {bad}" if bad else "no VERILOG_SOURCES"
    missing = [s for s in _sources(spec) if s not in tree and s not in harness]
    if missing:
        return "C", f"the completion does not provide {', '.join(missing)} (a VERILOG_SOURCES file)"
    return None


def _judge(spec: RunSpec, res, modules: dict[str, str]) -> _RunOutcome:
    """Official and strict verdict of one run, from its SimResult."""
    cls, reason, note = judge_cocotb(res, spec.module, modules, spec.extra_env.get("COCOTB_TEST_FILTER"))
    if cls != ".":
        return _RunOutcome(spec, cls, reason, "")
    if note and note.startswith("strict: test set not known"):
        return _RunOutcome(spec, ".", "", note + "\n")
    return _RunOutcome(spec, ".", "", (note + "\n") if note else "", strict_note=note)


def _run_log(res, run_root: Path) -> str:
    """Build diagnostics, test outcomes, then every log of the run (each capped)."""
    parts = []
    for d in res.diagnostics[:20]:
        parts.append(f"{d.file}:{d.line}: {d.severity}: {d.message}")
    if len(res.diagnostics) > 20:
        parts.append(f"... and {len(res.diagnostics) - 20} more diagnostics")
    for t in res.tests:
        parts.append(f"{'pass' if t.passed else 'FAIL'}  {t.name}" + (f": {t.message[:500]}" if t.message else ""))
    if res.error:
        parts.append(f"error: {res.error}")
    logs = sorted(run_root.glob("*/logs/*.log"), key=lambda f: f.stat().st_mtime)
    for f in logs:
        text = f.read_text(errors="replace")
        if len(text) > LOG_KEEP_PER_FILE:
            text = f"[... {len(text) - LOG_KEEP_PER_FILE} bytes elided by rtlsmith ...]\n" + text[-LOG_KEEP_PER_FILE:]
        if text.strip():
            parts.append(f"--- {f.name}\n{text.rstrip()}")
    if not logs and res.log_tail:
        parts.append(f"--- log tail\n{res.log_tail}")
    return "\n".join(parts) + "\n"


def _verdict(outcomes: list[_RunOutcome], notes: list[str], tool_versions: dict[str, str],
             seconds: float) -> ScoreResult:
    log = "".join(o.log for o in outcomes)
    if notes:
        log = "replay notes:\n  " + "\n  ".join(notes) + "\n" + log
    bad = next((o for o in outcomes if o.cls != "."), None)
    if bad:
        return ScoreResult(False, False, bad.cls, bad.reason, log, seconds=seconds, tool_versions=tool_versions)
    strict_bad = next((o for o in outcomes if o.strict_note), None)
    reason = strict_bad.strict_note if strict_bad else ""
    return ScoreResult(True, strict_bad is None, ".", reason or "", log, seconds=seconds, tool_versions=tool_versions)


def _first_line(text: str, n: int = 1) -> str:
    return " ".join(text.strip().splitlines()[:n])[:300]
