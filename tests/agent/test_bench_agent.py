"""`rtlsmith bench --provider agent`: the agent loop per VerilogEval problem against a scripted
endpoint; the golden testbench judges the agent's result, and the summary reports how far
the agent's own verdict can be trusted (here: a buffer that its own wrong test accepts)."""
from __future__ import annotations

import json

import pytest

from rtlsmith.benchmarks.harness import BenchConfig, run_bench
from rtlsmith.benchmarks.providers import ProviderOptions
from tests.agent import scenario as S
from tests.llm.scripted_server import Rule, ScriptedOpenAI

pytestmark = pytest.mark.eda


def contract(ports):
    return "```json\n" + json.dumps({"module": "TopModule", "ports": ports, "test_plan": ["all inputs"]}) + "\n```"


ZERO_TEST = """```python
import cocotb
from cocotb.triggers import Timer


@cocotb.test()
async def always_low(dut):
    await Timer(1, unit="ns")
    assert int(dut.zero.value) == 0, f"zero={dut.zero.value}"
```"""
# wrong on purpose: the spec asks for a NOT gate, this test expects a buffer
NOT_TEST = """```python
import cocotb
from cocotb.triggers import Timer


@cocotb.test()
async def follows_input(dut):
    for v in (0, 1, 0):
        getattr(dut, "in").value = v
        await Timer(1, unit="ns")
        assert int(dut.out.value) == v, f"in={v} out={dut.out.value}"
```"""


def test_agent_provider_records_self_and_golden_verdicts(tmp_path, verilog_eval_dir, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    monkeypatch.setenv("RTLSMITH_LLM_CACHE", str(tmp_path / "llm"))
    rules = [
        Rule(contract([{"name": "zero", "direction": "output", "width": 1}]), system=S.ROLE["analyst"], user="LOW"),
        Rule(contract([{"name": "in", "direction": "input", "width": 1},
                       {"name": "out", "direction": "output", "width": 1}]), system=S.ROLE["analyst"], user="NOT"),
        Rule(ZERO_TEST, system=S.ROLE["test_author"], user="LOW"),
        Rule(NOT_TEST, system=S.ROLE["test_author"], user="NOT"),
        Rule("```verilog\nmodule TopModule(output zero);\n  assign zero = 1'b0;\nendmodule\n```",
             system=S.ROLE["designer"], user="LOW"),
        Rule("```verilog\nmodule TopModule(input in, output out);\n  assign out = in;\nendmodule\n```",
             system=S.ROLE["designer"], user="NOT"),
    ]
    with ScriptedOpenAI(*rules) as srv:
        opts = ProviderOptions(model="scripted", base_url=srv.base_url, retries=0, concurrency=2)
        s = run_bench(BenchConfig(benchmark="verilog-eval", dataset=verilog_eval_dir, out=tmp_path / "o",
                                  provider="agent", provider_options=opts,
                                  problems=["Prob001_zero", "Prob005_notgate"]), log=lambda m: None)
        assert srv.unmatched == []
    recs = {json.loads(p.read_text())["problem"]: json.loads(p.read_text())
            for p in (tmp_path / "o").glob("samples/*/sample01.json")}
    assert recs["Prob001_zero"]["strict_pass"] and recs["Prob001_zero"]["self_verdict"]
    assert recs["Prob005_notgate"]["self_verdict"] and not recs["Prob005_notgate"]["strict_pass"]
    assert s["agent"]["false_pass_rate"] == 0.5 and s["agent"]["golden_pass"] == 0.5
    assert s["agent"]["golden_tb_shown"] is False
    assert (tmp_path / "o/agent/Prob005_notgate/sample01/run.json").is_file()
    assert "Self-verification" in (tmp_path / "o/report.md").read_text()
