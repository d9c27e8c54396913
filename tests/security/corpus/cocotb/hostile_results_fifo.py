"""ATTACK: hang the HOST process through a file the host reads after the run.

simulate_cocotb parses <work>/sim_build/results.xml on the host once the sandboxed
simulator exits. The work dir is writable from inside, so this test replaces
results.xml with a FIFO and kills the simulator before cocotb can write its results.
A plain open() of a FIFO with no writer blocks forever, outside every sandbox limit.
EXPECT (policy): the host never blocks on (or follows symlinks out of) files that
untrusted code could replace; the call returns a failed result within its timeout.
"""
import os

import cocotb

from _hostile import armed, report


@cocotb.test()
async def fifo_results(dut):
    if not armed():
        return
    path = os.environ["COCOTB_RESULTS_FILE"]
    try:
        os.unlink(path)
    except OSError:
        pass
    os.mkfifo(path)
    report(results_fifo={"fifo": path})
    os._exit(0)  # no results written by cocotb: the FIFO stays
