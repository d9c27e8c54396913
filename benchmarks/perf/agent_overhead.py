#!/usr/bin/env python3
"""Agent-loop overhead: a full repair run (analyst, test author, designer x3: syntax error ->
lint feedback -> functional bug -> failing tests -> judge -> fix, then PPA) against the
scripted OpenAI-compatible server from the test suite, real tools in the sandbox.

Overhead = wall time minus tool time (lint, simulation, synthesis, waveform re-run) minus
HTTP time, i.e. LangGraph, checkpoints, transcripts, prompts and parsing. Target <= 5 %.
Each repeat uses a fresh LLM cache and a fresh result cache (nothing is reused).

Usage: python benchmarks/perf/agent_overhead.py [--repeat 5]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--sandbox", default="bwrap")
    a = ap.parse_args()
    from rtlsmith.agents.llm import LLMConfig
    from rtlsmith.agents.run import run_design
    from rtlsmith.eda_tools.base import EdaContext
    from rtlsmith.types import load_spec
    from tests.agent import scenario as S
    from tests.agent.test_agent_loop import rules
    from tests.llm.scripted_server import ScriptedOpenAI
    os.environ.setdefault("OPENAI_API_KEY", "k")
    rows = []
    for i in range(a.repeat):
        tmp = Path(tempfile.mkdtemp(prefix="rtlsmith-agent-perf-"))
        tmp.chmod(0o755)
        os.environ["RTLSMITH_LLM_CACHE"] = str(tmp / "llm")
        os.environ["RTLSMITH_CACHE_DIR"] = str(tmp / "cache")
        (tmp / "spec.md").write_text(S.SPEC)
        with ScriptedOpenAI(*rules()) as srv:
            rec = run_design(load_spec(tmp / "spec.md"), tmp / "run",
                             LLMConfig(model="scripted", base_url=srv.base_url, retries=0),
                             ctx=EdaContext(sandbox=a.sandbox))
        assert rec.exit_status == "passed", rec.exit_reason
        calls = sum(v["calls"] for v in rec.tokens.values())
        rows.append({"wall_s": rec.seconds, "tool_s": rec.tool_seconds, "http_s": rec.llm_seconds,
                     "overhead_s": rec.overhead_seconds, "overhead_pct": 100 * rec.overhead_seconds / rec.seconds,
                     "llm_calls": calls})
        print(json.dumps(rows[-1]))
    med = {k: round(statistics.median(r[k] for r in rows), 3) for k in rows[0]}
    print("median:", json.dumps(med))
    return 0


if __name__ == "__main__":
    sys.exit(main())
