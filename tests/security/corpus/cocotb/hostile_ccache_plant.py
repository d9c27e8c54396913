"""ATTACK: plant a file in a host directory that the sandbox makes writable for speed.

With the Verilator simulator, simulate_cocotb binds the shared ccache dir
($CCACHE_DIR, ~/.cache/rtlsmith/ccache by default) read-write into the same sandboxed
step that runs this untrusted test module. Anything written there survives the run and
is read by every later build (a poisoned cache entry is linked into a later model).
EXPECT (policy): the untrusted test step cannot write to any host dir outside its work
dir; the planted file must not exist afterwards.
"""
import os

import cocotb

from _hostile import armed, attempt, report


def _plant(path: str) -> None:
    with open(path, "w") as f:
        f.write("planted by an untrusted cocotb test\n")


@cocotb.test()
async def plant_in_ccache(dut):
    if not armed():
        return
    d = os.environ.get("CCACHE_DIR", "")
    target = os.path.join(d, f"rtlsmith_escape_{os.environ.get('HOSTILE_TAG', 'x')}")
    report(ccache={"dir": d, "plant": attempt(lambda: _plant(target)) if d else "no CCACHE_DIR"})
