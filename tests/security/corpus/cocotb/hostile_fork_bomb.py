"""ATTACK: fork bomb from a cocotb test (`while True: os.fork()`).

Every process keeps forking until fork fails, then keeps retrying. EXPECT: the pids
cgroup (max_procs) and the wall timeout bound it; the machine keeps working and nothing
is left running after simulate_cocotb returns.

Guard: the unbounded bomb only starts when armed AND the process is confined (a
rtlsmith-* pids cgroup or a private pid namespace). Otherwise it stops after a few
hundred forks, so running it by hand outside the sandbox cannot take the machine down.
"""
import os
import time

import cocotb

from _hostile import armed, report


def _confined() -> bool:
    """In a rtlsmith pids cgroup (local backend), or in a sandbox's pid namespace."""
    try:
        with open("/proc/self/cgroup") as f:
            if any("pids:" in ln and "rtlsmith-" in ln for ln in f):
                return True
        with open("/proc/1/cmdline", "rb") as f:
            init = f.read().split(b"\0")[0]
    except OSError:
        return False
    # a private pid namespace: its init is the sandbox's, or the simulator itself (docker)
    return os.path.basename(init) in (b"bwrap", b"docker-init", b"tini") or os.getpid() == 1


@cocotb.test()
async def fork_bomb(dut):
    if not armed():
        return
    confined = _confined()
    report(fork_bomb={"started": True, "confined": confined, "pid": os.getpid()})
    budget = None if confined else 300
    failures = 0
    while budget is None or budget > 0:
        try:
            pid = os.fork()
        except OSError:
            failures += 1
            time.sleep(0.001)
            continue
        if budget is not None:
            budget -= 1
            if pid == 0:
                time.sleep(30)
                os._exit(0)
    # only reached when unconfined: the children sleep, the parent returns
