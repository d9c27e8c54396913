"""Running the agent graph: run directory, SQLite checkpointer, resume, the RunRecord.

RUN_DIR/ holds: run.json (RunRecord), spec.md, contract.json, rtl/vN/, tests/vN/,
rtl_ppa/N/ (every PPA proposal), waves/, transcript.jsonl (every LLM exchange),
checkpoints.sqlite (LangGraph state after every node), final/ (the result's RTL and tests).
``resume_design(run_dir)`` continues a crashed or interrupted run from its last checkpoint
(written synchronously after every node: a finished node is never run again);
replies and tool results are cached by content, so nothing finished is asked or run again.
"""
from __future__ import annotations

import json
import secrets
import shutil
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from rtlsmith.agents.llm import LLMClient, LLMConfig
from rtlsmith.agents.nodes.common import Deps
from rtlsmith.agents.state import Budgets
from rtlsmith.eda_tools.base import EdaContext
from rtlsmith.errors import ConfigError, InputError
from rtlsmith.types import RunRecord, Spec


def new_run_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def _graph(run_dir: Path):
    from langgraph.checkpoint.sqlite import SqliteSaver
    from rtlsmith.agents.graph import build_graph
    conn = sqlite3.connect(str(run_dir / "checkpoints.sqlite"), check_same_thread=False)
    return build_graph(SqliteSaver(conn)), conn


def run_design(spec: Spec, run_dir: Path, llm_cfg: LLMConfig, *, budgets: Budgets | None = None,
               ctx: EdaContext | None = None, sims: tuple[str, ...] = ("icarus",), golden_tb: str | None = None,
               progress: Callable[[str], None] | None = None, run_id: str | None = None) -> RunRecord:
    run_dir = Path(run_dir)
    if (run_dir / "checkpoints.sqlite").exists():
        raise ConfigError(f"{run_dir} already holds a run; resume it with --resume, or use another --out")
    run_dir.mkdir(parents=True, exist_ok=True)
    run_id = run_id or new_run_id()
    (run_dir / "spec.md").write_text(spec.text)
    settings = {"run_id": run_id, "model": llm_cfg.model, "base_url": llm_cfg.base_url, "sims": list(sims),
                "budgets": (budgets or Budgets()).model_dump(), "temperature": llm_cfg.temperature,
                "seed": llm_cfg.seed, "spec_source": spec.source, "targets": spec.targets.model_dump()}
    (run_dir / "settings.json").write_text(json.dumps(settings, indent=2))
    init = {"run_id": run_id, "spec": spec.text, "targets": spec.targets.model_dump(exclude_none=True),
            "golden_tb": golden_tb, "iterations": {}, "started_at": time.time(), "events": []}
    return _invoke(run_dir, init, llm_cfg, budgets or Budgets(), ctx, sims, progress)


def resume_design(run_dir: Path, llm_cfg: LLMConfig | None = None, *, ctx: EdaContext | None = None,
                  progress: Callable[[str], None] | None = None) -> RunRecord:
    run_dir = Path(run_dir)
    if not (run_dir / "checkpoints.sqlite").is_file():
        raise InputError("no agent run to resume here (checkpoints.sqlite missing)", file=str(run_dir))
    s = json.loads((run_dir / "settings.json").read_text())
    cfg = llm_cfg or LLMConfig(model=s["model"], base_url=s["base_url"], temperature=s["temperature"], seed=s["seed"])
    return _invoke(run_dir, None, cfg, Budgets(**s["budgets"]), ctx, tuple(s["sims"]), progress, run_id=s["run_id"])


def _invoke(run_dir: Path, init: dict | None, llm_cfg: LLMConfig, budgets: Budgets, ctx: EdaContext | None,
            sims: tuple[str, ...], progress, run_id: str | None = None) -> RunRecord:
    llm = LLMClient(llm_cfg)
    deps = Deps(llm=llm, ctx=ctx or EdaContext(), run_dir=run_dir, budgets=budgets, sims=sims,
                progress=progress or (lambda m: None))
    graph, conn = _graph(run_dir)
    rid = run_id or init["run_id"]
    config = {"configurable": {"thread_id": rid, "deps": deps}, "recursion_limit": 200}
    t0 = time.monotonic()
    try:
        if init is None:
            snap = graph.get_state(config)
            if snap.values.get("exit_status"):  # finished already: report it again
                final = snap.values
            else:
                # tasks whose results were saved (pending writes) are not re-run by invoke(None)
                where = ", ".join(t.name for t in snap.tasks) or "the last checkpoint"
                deps.progress(f"resuming {rid} at {where}")
                final = graph.invoke(None, config, durability="sync")
        else:
            final = graph.invoke(init, config, durability="sync")
    finally:
        conn.close()
        llm.close()
    wall = time.monotonic() - t0
    return _record(run_dir, final, deps, wall, rid)


def _record(run_dir: Path, final: dict, deps: Deps, wall: float, run_id: str) -> RunRecord:
    status = final.get("exit_status") or "exit_tool_error"
    if final.get("rtl"):
        fin = run_dir / "final"
        if fin.exists():
            shutil.rmtree(fin)
        (fin / "rtl").mkdir(parents=True)
        for n, t in final["rtl"].items():
            (fin / "rtl" / n).write_text(t)
        for n, t in (final.get("tests") or {}).items():
            (fin / "tests").mkdir(exist_ok=True)
            (fin / "tests" / n).write_text(t)
    tot = deps.llm.total()
    overhead = max(0.0, wall - deps.tool_seconds - deps.http_seconds)
    rec = RunRecord(
        run_id=run_id, exit_status=status, exit_reason=final.get("exit_reason", ""),
        iterations=final.get("iterations", {}), rtl_versions=final.get("rtl_version", 0),
        test_versions=final.get("tests_version", 0), self_verdict=(final.get("verdict") == "sim_pass"),
        first_attempt_pass=final.get("first_attempt_pass"),
        tokens={role: {"prompt": u.prompt_tokens, "completion": u.completion_tokens, "calls": u.calls,
                       "cached_calls": u.cached_calls} for role, u in deps.llm.usage.items()},
        prompt_tokens=tot.prompt_tokens, completion_tokens=tot.completion_tokens, cost_usd=round(tot.cost_usd, 6),
        model=deps.llm.cfg.model, seconds=round(wall, 3), tool_seconds=round(deps.tool_seconds, 3),
        llm_seconds=round(deps.http_seconds, 3), overhead_seconds=round(overhead, 3),
        ppa=final.get("ppa"), module=(final.get("contract") or {}).get("module"),
        tool_versions=(final.get("ppa") or {}).get("tool_versions", {}), run_dir=str(run_dir))
    (run_dir / "run.json").write_text(rec.model_dump_json(indent=2))
    return rec
