"""ATTACK: leave a daemon behind (setsid + double fork, then sleep 300 s).

The grandchild re-execs Python with $HOSTILE_MARKER in its argv so the harness can find
it by scanning /proc on the host. EXPECT: after simulate_cocotb returns, no process
carrying the marker exists (pid namespace / pids cgroup / process-group kill).
"""
import os
import sys
import time

import cocotb

from _hostile import armed, report


@cocotb.test()
async def leave_daemon(dut):
    if not armed():
        return
    marker = os.environ["HOSTILE_MARKER"]
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        os.close(r)
        os.write(w, str(os.getpid()).encode())
        os.close(w)
        os.closerange(3, 1024)
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(300)", marker])
    os.close(w)
    os.waitpid(child, 0)
    grandchild = os.read(r, 32).decode()
    time.sleep(0.2)
    report(daemon={"pid_inside": grandchild, "marker": marker})
