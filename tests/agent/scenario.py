"""Canned answers for the agent roles: a small counter designed with a repair loop
(syntax error -> lint feedback -> functional bug -> failing tests -> judge -> fix)."""
from __future__ import annotations

import json

SPEC = """---
title: 8-bit counter
---
# counter8
An 8-bit synchronous up-counter `counter8` with ports `clk` (input), `rst` (input,
synchronous, active high: q becomes 0), `en` (input: count when 1) and `q` (output, 8 bits).
q increments by one on every rising clock edge where en is 1 and wraps from 255 to 0.
"""

CONTRACT = {"module": "counter8",
            "ports": [{"name": "clk", "direction": "input", "width": 1},
                      {"name": "rst", "direction": "input", "width": 1},
                      {"name": "en", "direction": "input", "width": 1},
                      {"name": "q", "direction": "output", "width": 8}],
            "clock": "clk", "reset": "rst", "latency_cycles": 1,
            "behaviour": "q <= rst ? 0 : en ? q + 1 : q", "test_plan": ["count with en pattern, check wrap"]}
ANALYST = "```json\n" + json.dumps(CONTRACT) + "\n```"

TESTS = '''```python
import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge


@cocotb.test()
async def count_and_wrap(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    dut.en.value = 0
    await FallingEdge(dut.clk)
    await FallingEdge(dut.clk)
    dut.rst.value = 0
    model = 0
    for cyc in range(300):
        en = 1 if cyc % 3 else 0
        dut.en.value = en
        await FallingEdge(dut.clk)
        if en:
            model = (model + 1) & 0xFF
        assert int(dut.q.value) == model, f"cycle {cyc}: en={en} expected q={model}, got {int(dut.q.value)}"
```'''

RTL_SYNTAX = """```verilog
module counter8(input clk, input rst, input en, output reg [7:0] q)
  always @(posedge clk) if (rst) q <= 0; else if (en) q <= q + 1;
endmodule
```"""
RTL_BUG = """```verilog
module counter8(input clk, input rst, input en, output reg [7:0] q);
  always @(posedge clk) if (rst) q <= 8'd0; else q <= q + 8'd1;
endmodule
```"""
RTL_GOOD = """```verilog
module counter8(input clk, input rst, input en, output reg [7:0] q);
  always @(posedge clk) if (rst) q <= 8'd0; else if (en) q <= q + 8'd1;
endmodule
```"""
JUDGE_RTL = '```json\n{"blame": "rtl", "reason": "q increments while en is 0; the spec says count only when en is 1"}\n```'

ROLE = {"analyst": "ROLE: spec analyst", "test_author": "ROLE: test author", "designer": "ROLE: RTL designer",
        "judge": "ROLE: verification judge", "ppa": "ROLE: PPA optimiser"}
