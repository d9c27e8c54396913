"""The harness with the openai provider, the real SDK and a scripted endpoint over HTTP:
LLM answers scored on real VerilogEval problems; a down/garbage endpoint fails only the
samples it answers, with the reason; resuming never asks the model again."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from rtlsmith.benchmarks.harness import BenchConfig, run_bench
from rtlsmith.benchmarks.providers import ProviderOptions
from tests.llm.scripted_server import Raw, Rule, ScriptedOpenAI, Status

pytestmark = pytest.mark.eda

ZERO = "```verilog\nmodule TopModule(output zero);\n  assign zero = 1'b0;\nendmodule\n```"
WRONG = "```verilog\nmodule TopModule(output zero);\n  assign zero = 1'b1;\nendmodule\n```"
NOT = "Here you go:\n```systemverilog\nmodule TopModule(input in, output out);\n assign out = ~in;\nendmodule\n```"


def _records(out: Path) -> dict:
    return {(r["problem"], r["sample"]): r for r in
            (json.loads(p.read_text()) for p in out.glob("samples/*/sample*.json") if ".completion." not in p.name)}


def test_llm_answers_scored_and_bad_endpoint_answers_isolated(tmp_path, verilog_eval_dir, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    # Prob001 (always LOW): sample 1 right, sample 2 wrong, sample 3 garbage body;
    # Prob005 (NOT gate): right; Prob012 (XNOR): the endpoint fails with 500 every time
    rules = [Rule([ZERO, WRONG, Raw(b"<html>502 Bad Gateway</html>", content_type="text/html")], user="LOW"),
             Rule(NOT, user="NOT gate"),
             Rule(Status(500, "upstream exploded", retry_after_ms=1), user="XNOR")]
    probs = ["Prob001_zero", "Prob005_notgate", "Prob012_xnorgate"]
    with ScriptedOpenAI(*rules) as srv:
        opts = ProviderOptions(model="m", base_url=srv.base_url, retries=1, concurrency=1,
                               prices={"m": (2.0, 8.0)}, seed=7)
        cfg = BenchConfig(benchmark="verilog-eval", dataset=verilog_eval_dir, out=tmp_path / "o", provider="openai",
                          provider_options=opts, samples=3, problems=probs, jobs=2)
        s = run_bench(cfg, log=lambda m: None)
        recs = _records(tmp_path / "o")
        assert srv.unmatched == []
        assert (recs[("Prob001_zero", 1)]["verdict"], recs[("Prob001_zero", 2)]["failure_class"]) == ("pass", "R")
        g = recs[("Prob001_zero", 3)]
        assert g["failure_class"] == "G" and "not JSON" in g["reason"]
        assert all(recs[("Prob005_notgate", n)]["strict_pass"] for n in (1, 2, 3))
        for n in (1, 2, 3):
            r = recs[("Prob012_xnorgate", n)]
            assert r["failure_class"] == "G" and "HTTP 500" in r["reason"] and "upstream exploded" in r["reason"]
        assert s["provider"] == "openai" and s["model"] == "m"
        assert s["tokens"]["prompt"] > 0 and s["cost_usd"] > 0
        seeds = sorted(q.body.get("seed") for q in srv.chat_requests if "NOT gate" in q.last_user)
        assert seeds == [8, 9, 10]
        asked = len(srv.chat_requests)
        # resume: drop two records (their completions stay on disk): scored again, no new request
        (tmp_path / "o/samples/Prob005_notgate/sample02.json").unlink()
        (tmp_path / "o/samples/Prob001_zero/sample01.json").unlink()
        s2 = run_bench(cfg, log=lambda m: None)
        assert len(srv.chat_requests) == asked
        assert s2["passed"] == s["passed"] == 4
