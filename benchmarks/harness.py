"""The benchmark driver: problems x samples -> completions -> scoring jobs -> records -> summary.

Output directory (one per run; re-running the same command resumes it)::

    OUT/run.json                      what was asked (benchmark, task, provider, model, dataset ...)
    OUT/summary.json                  totals, pass@k, failure classes, errata, tool versions
    OUT/report.md, OUT/report.html    per-problem tables and the failure-class chart
    OUT/samples/ID/sampleNN.completion.json   what the provider produced (kept before scoring)
    OUT/samples/ID/sampleNN.sv        the completion's code, for reading
    OUT/samples/ID/sampleNN.json      the scored SampleRecord
    OUT/samples/ID/sampleNN.log       the combined compile + simulation log

A sample with a record is finished and skipped on the next run (``redo`` forces); a
sample with a completion but no record is scored again without asking the provider. One
sample's failure (provider error, tool crash) becomes that sample's record; it never
stops the batch. Ctrl-C stops running simulations, keeps every finished record, and
still writes the summary of what finished.
"""
from __future__ import annotations

import fnmatch
import json
import os
import shutil
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from rtlsmith.benchmarks.adapters import Adapter, get_adapter
from rtlsmith.benchmarks.core import Completion, Problem, SampleRecord, ScoreJob, ScoreResult
from rtlsmith.benchmarks.errata import cost_hints, load_errata
from rtlsmith.benchmarks.executors import Executor, make_executor
from rtlsmith.benchmarks.passk import mean_pass_at_k
from rtlsmith.benchmarks.providers import Provider, ProviderOptions, get_provider
from rtlsmith.errors import ConfigError, InputError, RtlsmithError

HARNESS_VERSION = 1


@dataclass
class BenchConfig:
    benchmark: str
    dataset: Path
    out: Path
    task: str | None = None
    provider: str = "reference"
    provider_options: ProviderOptions = field(default_factory=ProviderOptions)
    samples: int = 1
    jobs: int = 2
    problems: list[str] = field(default_factory=list)
    redo: bool = False
    executor: str = "local"
    scheduler: str | None = None
    sandbox: str | None = None
    timeout_s: float = 30.0
    allow_unsafe: frozenset[str] = frozenset()
    ks: list[int] = field(default_factory=lambda: [1, 5, 10])


def score_job(job: ScoreJob) -> ScoreResult:
    """Score one sample (runs in a worker thread, process or remote Dask worker)."""
    adapter = get_adapter(job.adapter)
    try:
        return adapter.score(job)
    except RtlsmithError as e:
        return ScoreResult(False, False, "I", f"{type(e).__name__}: {e}", "")


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + f".tmp{os.getpid()}.{threading.get_ident()}")
    tmp.write_text(text, encoding="utf-8", errors="surrogateescape")
    os.replace(tmp, path)


class RunDir:
    """The on-disk layout of one run (see module docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.samples = root / "samples"

    def base(self, pid: str, n: int) -> Path:
        return self.samples / pid / f"sample{n:02d}"

    def record(self, pid: str, n: int) -> SampleRecord | None:
        p = self.base(pid, n).with_suffix(".json")
        if not p.is_file():
            return None
        try:
            return SampleRecord.model_validate_json(p.read_text())
        except ValueError:
            return None  # a torn or foreign file: score again

    def completion(self, pid: str, n: int) -> Completion | None:
        p = self.base(pid, n).with_name(f"sample{n:02d}.completion.json")
        if not p.is_file():
            return None
        try:
            return Completion.model_validate_json(p.read_text())
        except ValueError:
            return None

    def save_completion(self, pid: str, n: int, c: Completion, completion_file: str) -> None:
        b = self.base(pid, n)
        b.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(b.with_name(f"sample{n:02d}.completion.json"), c.model_dump_json(indent=1))
        if c.files:
            ext = Path(completion_file).suffix or ".sv"
            _atomic_write(b.with_suffix(ext), "\n".join(c.files.values()))

    def save_record(self, rec: SampleRecord, log_text: str) -> None:
        b = self.base(rec.problem, rec.sample)
        b.parent.mkdir(parents=True, exist_ok=True)
        if log_text:
            _atomic_write(b.with_suffix(".log"), log_text)
            rec.log = str(b.with_suffix(".log").relative_to(self.root))
        _atomic_write(b.with_suffix(".json"), rec.model_dump_json(indent=1))

    def all_records(self) -> list[SampleRecord]:
        out = []
        for p in sorted(self.samples.glob("*/sample*.json")):
            if p.name.endswith(".completion.json"):
                continue
            try:
                out.append(SampleRecord.model_validate_json(p.read_text()))
            except ValueError:
                pass
        return out


class Progress:
    """A live line on a terminal, a line every ~10% otherwise (CI logs stay short)."""

    def __init__(self, total: int, label: str, stream=sys.stderr) -> None:
        self.total, self.label, self.stream = total, label, stream
        self.done = self.passed = 0
        self.t0 = time.monotonic()
        self.tty = stream.isatty()
        self._next_pct = 10

    def update(self, passed: bool) -> None:
        self.done += 1
        self.passed += passed
        el = time.monotonic() - self.t0
        line = f"{self.label}: {self.done}/{self.total} scored, {self.passed} pass, {el:.1f} s"
        if self.tty:
            self.stream.write("\r" + line + " " * 8)
            self.stream.flush()
        elif self.total and self.done * 100 >= self._next_pct * self.total:
            self.stream.write(line + "\n")
            while self._next_pct * self.total <= self.done * 100:
                self._next_pct += 10

    def close(self) -> None:
        if self.tty:
            self.stream.write("\n")


def select_problems(problems: list[Problem], globs: list[str]) -> list[Problem]:
    if not globs:
        return problems
    pats = [g for arg in globs for g in arg.split(",") if g]
    chosen = [p for p in problems if any(fnmatch.fnmatchcase(p.id, g) for g in pats)]
    if not chosen:
        raise InputError(f"no problem matches {', '.join(pats)} (e.g. {problems[0].id if problems else '-'})")
    return chosen


def _check_run_json(rd: RunDir, meta: dict, redo: bool) -> None:
    p = rd.root / "run.json"
    if p.is_file() and not redo:
        try:
            old = json.loads(p.read_text())
        except ValueError:
            old = {}
        keys = ("benchmark", "task", "provider", "model", "dataset_digest", "harness_version")
        diff = [k for k in keys if old.get(k) != meta.get(k)]
        if diff:
            raise ConfigError(f"{rd.root} holds another run ({', '.join(f'{k}={old.get(k)!r}' for k in diff)}); "
                              "use another --out, or --redo to start it over")


def run_bench(cfg: BenchConfig, *, log: Callable[[str], None] | None = None) -> dict:
    """Run (or resume) a benchmark; returns the summary dict (also in OUT/summary.json)."""
    say = log or (lambda m: print(m, file=sys.stderr))
    if cfg.samples < 1:
        raise ConfigError("--samples must be >= 1")
    adapter = get_adapter(cfg.benchmark)
    task = cfg.task or adapter.default_task
    if not Path(cfg.dataset).exists():
        raise InputError("dataset path does not exist", file=str(cfg.dataset))
    problems = select_problems(adapter.load(Path(cfg.dataset), task), cfg.problems)
    provider = get_provider(cfg.provider, cfg.provider_options)
    if hasattr(provider, "set_run_root"):  # the agent keeps its runs (resumable) beside the records
        provider.set_run_root(Path(cfg.out).resolve() / "agent")
    errata_version, errata = load_errata(task)
    digest = adapter.dataset_digest(problems)
    rd = RunDir(Path(cfg.out))
    meta = {"benchmark": adapter.name, "task": task, "provider": provider.name, "model": provider.model,
            "dataset": str(Path(cfg.dataset).resolve()), "dataset_digest": digest, "harness_version": HARNESS_VERSION,
            "errata_version": errata_version, "samples": cfg.samples, "problems": [p.id for p in problems],
            "sandbox": cfg.sandbox, "timeout_s": cfg.timeout_s, "executor": cfg.executor,
            "provider_options": json.loads(cfg.provider_options.model_dump_json()),
            "golden_tb_shown": bool(cfg.provider_options.golden_tb), "rule": adapter.rule}
    _check_run_json(rd, meta, cfg.redo)
    if cfg.redo and rd.samples.is_dir():
        shutil.rmtree(rd.samples)
    rd.samples.mkdir(parents=True, exist_ok=True)
    _atomic_write(rd.root / "run.json", json.dumps(meta, indent=2, default=str))

    todo = [(p, n) for p in problems for n in range(1, cfg.samples + 1) if rd.record(p.id, n) is None]
    done_before = len(problems) * cfg.samples - len(todo)
    say(f"{adapter.name}/{task}: {len(problems)} problems x {cfg.samples} sample(s) with provider "
        f"{provider.name}{' (' + provider.model + ')' if provider.model else ''}; "
        f"{done_before} already scored, {len(todo)} to go -> {rd.root}")
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    t0 = time.monotonic()
    interrupted = False
    if todo:
        interrupted = _run_todo(cfg, adapter, provider, rd, todo, errata, say)
    provider.close()
    summary = summarize(rd, adapter, task, provider, problems, cfg, errata, digest,
                        started, time.monotonic() - t0)
    summary["interrupted"] = interrupted
    _atomic_write(rd.root / "summary.json", json.dumps(summary, indent=2))
    try:
        from rtlsmith.benchmarks.report import write_reports
        records = [r for r in rd.all_records() if r.problem in {p.id for p in problems}]
        write_reports(rd.root, summary, records, {p.id: {"erratum": errata[(adapter.name, p.id)].text()
                                                         if (adapter.name, p.id) in errata else None}
                                                  for p in problems})
    except ImportError:  # pragma: no cover - report module is part of the package
        pass
    if interrupted:
        raise KeyboardInterrupt
    return summary


def _order(todo: list[tuple[Problem, int]], hints: dict[str, float]) -> list[tuple[Problem, int]]:
    """Longest expected first (LPT): a slow simulation started last sets the wall time."""
    def cost(item: tuple[Problem, int]) -> float:
        return hints.get(item[0].id, 0.0)
    return sorted(todo, key=cost, reverse=True)


def _run_todo(cfg: BenchConfig, adapter: Adapter, provider: Provider, rd: RunDir,
              todo: list[tuple[Problem, int]], errata: dict, say: Callable[[str], None]) -> bool:
    from rtlsmith.sandbox.supervisor import allow_runs, interrupt_all
    allow_runs()
    todo = _order(todo, cost_hints(adapter.name))
    executor: Executor = make_executor(cfg.executor, jobs=cfg.jobs, scheduler=cfg.scheduler)
    gen_pool = ThreadPoolExecutor(max_workers=max(1, provider.concurrency), thread_name_prefix="provider")
    progress = Progress(len(todo), f"{adapter.name}")
    lock = threading.Lock()
    pending: dict = {}  # score future -> (problem, n, completion)
    interrupted = False

    def generate(p: Problem, n: int) -> Completion:
        c = rd.completion(p.id, n)
        if c is not None and c.files:
            return c
        t = time.monotonic()
        try:
            c = provider.complete(p, n)
        except RtlsmithError:
            raise
        except Exception as e:  # noqa: BLE001 - a provider bug must not stop the batch; it becomes this sample's error
            c = Completion(error=f"provider {provider.name} crashed: {type(e).__name__}: {e}")
        c.seconds = c.seconds or time.monotonic() - t
        # lone surrogates (undecodable bytes, broken JSON escapes) cannot be stored or simulated
        # faithfully: score and keep the same text, with them as '?'
        if c.files:
            c.files = {k: _utf8(v) for k, v in c.files.items()}
        if c.raw:
            c.raw = _utf8(c.raw)
        rd.save_completion(p.id, n, c, p.completion_file)
        return c

    def finish(p: Problem, n: int, c: Completion, res: ScoreResult | None, err: str | None) -> None:
        er = errata.get((adapter.name, p.id))
        if res is None:
            res = ScoreResult(False, False, "G" if err is None else "I", err or (c.error or "no code"), "")
        verdict = "skipped" if res.skipped else ("pass" if res.official_pass else
                                                 ("error" if res.failure_class in ("I",) else "fail"))
        rec = SampleRecord(problem=p.id, sample=n, verdict=verdict, official_pass=res.official_pass,
                           strict_pass=res.strict_pass, failure_class=res.failure_class, reason=res.reason,
                           mismatches=res.mismatches, seconds=round(c.seconds + res.seconds, 3),
                           score_seconds=round(res.seconds, 3), usage=c.usage,
                           erratum=er.text() if er else None, self_verdict=c.self_verdict,
                           first_attempt_self_verdict=c.first_attempt_self_verdict,
                           tool_versions=res.tool_versions,
                           completion_digest=_digest(c.files) if c.files else None)
        rd.save_record(rec, res.log_text)
        with lock:
            progress.update(res.strict_pass)

    def submit_score(p: Problem, n: int, c: Completion) -> None:
        if not c.files:
            finish(p, n, c, None, None)
            return
        job = ScoreJob(adapter=adapter.name, problem=p, sample=n, completion_files=c.files, sandbox=cfg.sandbox,
                       timeout_s=cfg.timeout_s, allow_unsafe=cfg.allow_unsafe)
        pending[executor.submit(score_job, job)] = (p, n, c)

    try:
        gen_futs: dict[Future, tuple[Problem, int]] = {}
        if provider.concurrency <= 1:
            for p, n in todo:  # instant providers: no threads, keeps the LPT order exact
                submit_score(p, n, generate(p, n))
        else:
            gen_futs = {gen_pool.submit(generate, p, n): (p, n) for p, n in todo}
        while gen_futs or pending:
            waitables = list(gen_futs)
            if waitables:
                doneg, _ = wait(waitables, timeout=0.05 if pending else None, return_when=FIRST_COMPLETED)
                for f in doneg:
                    p, n = gen_futs.pop(f)
                    submit_score(p, n, f.result())
            for f in executor.completed(list(pending), timeout=0.05 if gen_futs else None):
                p, n, c = pending.pop(f)
                try:
                    res, err = executor.result(f), None
                except Exception as e:  # noqa: BLE001 - a worker/transport failure is this sample's error
                    res, err = None, f"scoring failed: {type(e).__name__}: {e}"
                finish(p, n, c, res, err)
    except KeyboardInterrupt:
        interrupted = True
        say("\ninterrupted: stopping simulations; finished samples are kept")
        interrupt_all()
        for f in list(gen_futs):
            f.cancel()
    finally:
        gen_pool.shutdown(wait=not interrupted, cancel_futures=True)
        executor.shutdown(cancel=interrupted)
        progress.close()
        allow_runs()
    return interrupted


def _utf8(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")


def _digest(files: dict[str, str]) -> str:
    # not DesignFiles.digest: that validates names, and a record must be written even for a
    # completion whose file names the adapter refused
    import hashlib
    h = hashlib.sha256()
    for k in sorted(files):
        h.update(k.encode() + b"\0" + files[k].encode("utf-8", "surrogateescape") + b"\0")
    return h.hexdigest()[:16]


def summarize(rd: RunDir, adapter: Adapter, task: str, provider: Provider, problems: list[Problem],
              cfg: BenchConfig, errata: dict, digest: str, started: str, seconds: float) -> dict:
    ids = {p.id for p in problems}
    recs = [r for r in rd.all_records() if r.problem in ids and r.sample <= cfg.samples]
    scored = [r for r in recs if r.verdict != "skipped"]
    by_class: dict[str, int] = {}
    for r in scored:
        by_class[r.failure_class] = by_class.get(r.failure_class, 0) + 1
    counts: dict[str, list[int]] = {}
    for r in scored:
        c = counts.setdefault(r.problem, [0, 0, 0])
        c[0] += 1
        c[1] += r.official_pass
        c[2] += r.strict_pass
    complete = {k: v for k, v in counts.items() if v[0] == cfg.samples}
    ks = sorted({k for k in cfg.ks if k <= cfg.samples} | {1})
    tv: dict[str, str] = {}
    for r in scored:
        tv.update(r.tool_versions)
    er_ids = {p for (b, p) in errata if b == adapter.name} & ids
    clean = [r for r in scored if r.problem not in er_ids]
    tokens = {"prompt": sum(r.usage.prompt_tokens for r in recs),
              "completion": sum(r.usage.completion_tokens for r in recs)}
    out = {
        "benchmark": adapter.name, "task": task, "provider": provider.name, "model": provider.model,
        "passed": sum(r.official_pass for r in scored), "total": len(scored),
        "strict_passed": sum(r.strict_pass for r in scored),
        "skipped": sum(r.verdict == "skipped" for r in recs),
        "missing": len(problems) * cfg.samples - len(recs),
        "problems": len(problems), "samples_per_problem": cfg.samples,
        "pass_at_k": mean_pass_at_k({k: (v[0], v[1]) for k, v in complete.items()}, ks),
        "strict_pass_at_k": mean_pass_at_k({k: (v[0], v[2]) for k, v in complete.items()}, ks),
        "by_class": dict(sorted(by_class.items(), key=lambda kv: -kv[1])),
        "errata": [{"id": pid, "kind": errata[(adapter.name, pid)].kind, "reason": errata[(adapter.name, pid)].reason,
                    "affects": errata[(adapter.name, pid)].affects,
                    "verdict": "pass" if counts.get(pid, [0, 0, 0])[1] else "fail"} for pid in sorted(er_ids)],
        "excluding_errata": {"passed": sum(r.official_pass for r in clean),
                             "strict_passed": sum(r.strict_pass for r in clean), "total": len(clean)},
        "tool_versions": tv, "dataset": str(Path(cfg.dataset).resolve()), "dataset_digest": digest,
        "sandbox": cfg.sandbox or os.environ.get("RTLSMITH_SANDBOX") or "auto", "executor": cfg.executor,
        "seconds": round(seconds, 2), "started": started, "rule": adapter.rule,
        "tokens": tokens, "cost_usd": round(sum(r.usage.cost_usd for r in recs), 6),
        "harness_version": HARNESS_VERSION, "seed": cfg.provider_options.seed,
    }
    if provider.name == "agent":
        sv = [r for r in scored if r.self_verdict is not None]
        says_pass = [r for r in sv if r.self_verdict]
        out["agent"] = {
            "golden_tb_shown": cfg.provider_options.golden_tb,
            # P(golden fails | the agent's own tests pass): how far self-verification can be trusted
            "false_pass_rate": (sum(not r.strict_pass for r in says_pass) / len(says_pass)) if says_pass else None,
            "first_attempt_self_pass": (sum(bool(r.first_attempt_self_verdict) for r in sv) / len(sv)) if sv else None,
            "after_repair_self_pass": (len(says_pass) / len(sv)) if sv else None,
            "golden_pass": (sum(r.strict_pass for r in sv) / len(sv)) if sv else None,
        }
    return out
