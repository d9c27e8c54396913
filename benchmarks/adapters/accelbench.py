"""AccelBench: accelerator-block tasks (``benchmarks/accelbench/tasks/*.md``) whose hidden
tests are the template families' cocotb tests run with the task's parameters.

The dataset is the task folder (the built-in one by default). A task's prompt is the whole
spec file (front matter + text, as an engineer would receive it); the reference is the
family generator's RTL for the task's parameters; the harness is the family's test module
and golden model. Verdicts come from :mod:`cocotb_verdict` (official: every test passes on
Icarus; strict: the tests that ran are exactly the module's tests).
"""
from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

from rtlsmith.benchmarks.adapters import Adapter
from rtlsmith.benchmarks.adapters.cocotb_verdict import judge_cocotb
from rtlsmith.benchmarks.core import Problem, ScoreJob, ScoreResult
from rtlsmith.errors import InputError, RtlsmithError

BUILTIN_TASKS = Path(__file__).resolve().parent.parent / "accelbench" / "tasks"
#: the seed every hidden test run uses (a task's result must not depend on the run)
SEED = 20261123


class AccelBenchAdapter(Adapter):
    name = "accelbench"
    tasks = ("spec-to-rtl",)
    default_task = "spec-to-rtl"
    rule = ("the task family's cocotb tests (golden-model checked, seeded) with the task's parameters on "
            "Icarus; pass iff every test passes")

    def load(self, dataset: Path, task: str) -> list[Problem]:
        from rtlsmith.rtl_templates import discover
        from rtlsmith.types import load_spec
        if task not in self.tasks:
            raise InputError(f"accelbench has no task {task!r}; tasks: {', '.join(self.tasks)}")
        d = Path(dataset)
        files = sorted(d.glob("*.md")) if d.is_dir() else [d]
        files = [f for f in files if f.name.lower() != "readme.md"]
        if not files:
            raise InputError("no AccelBench task specs (*.md) found", file=str(d))
        fams = discover()
        out, seen = [], set()
        for f in files:
            spec = load_spec(f)
            pid = spec.id or f.stem
            if pid in seen:
                raise InputError(f"duplicate task id {pid}", file=str(f))
            seen.add(pid)
            if spec.family not in fams:
                raise InputError(f"task family {spec.family!r} is not a template family ({', '.join(fams)})",
                                 file=str(f))
            tpl = fams[spec.family]
            try:
                params = tpl.params(dict(spec.params))
                ref = tpl.generate(params)
            except RtlsmithError as e:
                raise InputError(f"task parameters rejected by {tpl.family}: {e}", file=str(f)) from e
            harness = {py.name: py.read_text() for py in sorted(tpl.package_dir.glob("*.py"))
                       if py.name != "__init__.py"}
            harness["common.py"] = (tpl.package_dir.parent / "common.py").read_text()
            out.append(Problem(id=pid, benchmark=self.name, task=task, prompt=f.read_text(), top=tpl.top,
                               reference=dict(ref.items()), harness=harness,
                               completion_file=f"{tpl.top}.v",
                               meta={"family": tpl.family, "params": params, "test_module": tpl.test_module,
                                     "spec_file": str(f)}))
        return out

    def score(self, job: ScoreJob) -> ScoreResult:
        from rtlsmith.eda_tools.base import EdaContext
        from rtlsmith.eda_tools.simulate import simulate_cocotb
        from rtlsmith.errors import SandboxViolation
        from rtlsmith.rtl_templates import PARAMS_ENV
        from rtlsmith.types import DesignFiles
        p = job.problem
        t0 = time.monotonic()
        ctx = EdaContext(sandbox=job.sandbox, cache=False, allow_unsafe=job.allow_unsafe)
        tests = Path(tempfile.mkdtemp(prefix="rtlsmith-accelbench-"))
        try:
            tests.chmod(0o755)
            for name, text in p.harness.items():
                (tests / name).write_text(text)
            module = p.meta["test_module"]
            try:
                files = DesignFiles(job.completion_files)
                res = simulate_cocotb(files, p.top, module, tests, "icarus",
                                      extra_env={PARAMS_ENV: json.dumps({**p.meta["params"], "seed": SEED})},
                                      seed=SEED, timeout=max(60.0, job.timeout_s * 4), ctx=ctx)
            except SandboxViolation as e:
                return ScoreResult(False, False, "X", f"refused by the static gate: {e}", "",
                                   seconds=time.monotonic() - t0)
            cls, reason, note = judge_cocotb(res, module, {Path(n).stem: t for n, t in p.harness.items()})
            log = "\n".join([*(f"{t.name}: {'pass' if t.passed else 'FAIL ' + t.message[:300]}" for t in res.tests),
                             "--- log tail ---", res.log_tail, *([note] if note else [])])
            official = cls == "."
            return ScoreResult(official, official and note is None, cls, reason or (note or ""), log,
                               seconds=time.monotonic() - t0, tool_versions=res.tool_versions)
        finally:
            shutil.rmtree(tests, ignore_errors=True)
