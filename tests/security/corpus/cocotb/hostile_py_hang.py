"""ATTACK: a test that never yields (`while True: pass` in Python, no simulator time).

EXPECT: the supervisor's wall timeout kills it; SimResult.timed_out is True.
"""
import cocotb

from _hostile import armed, report


@cocotb.test()
async def spin_forever(dut):
    if not armed():
        return
    report(py_hang={"started": True})
    while True:
        pass
