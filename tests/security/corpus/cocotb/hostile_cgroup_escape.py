"""ATTACK: a daemon that first moves itself out of rtlsmith's pids cgroup.

As root (uid 0 inside a bwrap user namespace), write our pid into the pids hierarchy's
root cgroup.procs, then setsid + double fork + sleep 300 s with $HOSTILE_MARKER in argv.
If the cgroup move worked, the supervisor's cgroup kill would miss the daemon.
EXPECT (isolating backends): /sys/fs/cgroup is read-only and the pid namespace dies
with the sandbox, so nothing with the marker survives the call.
"""
import os
import sys

import cocotb

from _hostile import armed, attempt, report


def _leave_cgroup():
    for root in ("/sys/fs/cgroup/pids", "/sys/fs/cgroup"):
        if os.path.exists(os.path.join(root, "cgroup.procs")):
            with open(os.path.join(root, "cgroup.procs"), "w") as f:
                f.write(str(os.getpid()))
            return None
    return "no cgroupfs"


@cocotb.test()
async def escape_cgroup(dut):
    if not armed():
        return
    marker = os.environ["HOSTILE_MARKER"]
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        res = attempt(_leave_cgroup)
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        os.close(r)
        os.write(w, res.encode()[:500])
        os.close(w)
        os.closerange(3, 1024)
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(300)", marker])
    os.close(w)
    os.waitpid(child, 0)
    report(cgroup_escape={"leave_cgroup": os.read(r, 600).decode(), "marker": marker})
