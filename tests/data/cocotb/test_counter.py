"""cocotb tests for tests/data/hdl/counter.v (used by the eda tier)."""
import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, ReadOnly


async def _reset(dut):
    cocotb.start_soon(Clock(dut.clk, 10, unit="ns").start())
    dut.rst.value = 1
    dut.en.value = 0
    await ClockCycles(dut.clk, 2)
    dut.rst.value = 0


@cocotb.test()
async def counts_when_enabled(dut):
    await _reset(dut)
    dut.en.value = 1
    await ClockCycles(dut.clk, 5)
    await ReadOnly()
    assert int(dut.q.value) == 5, f"q={int(dut.q.value)} after 5 enabled cycles, expected 5"


@cocotb.test()
async def holds_when_disabled(dut):
    await _reset(dut)
    dut.en.value = 0
    await ClockCycles(dut.clk, 3)
    await ReadOnly()
    assert int(dut.q.value) == 0


@cocotb.test()
async def wraps_at_255(dut):
    await _reset(dut)
    dut.en.value = 1
    await ClockCycles(dut.clk, 256)
    await RisingEdge(dut.clk)
    await ReadOnly()
    assert int(dut.q.value) == 1, f"q={int(dut.q.value)} after 257 cycles, expected wrap to 1"
