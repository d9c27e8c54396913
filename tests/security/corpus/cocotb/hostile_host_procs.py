"""ATTACK: spy on host processes: list /proc, read /proc/1/environ and every
/proc/<pid>/cmdline and environ that can be opened.

EXPECT: a private pid namespace: only the sandbox's own few processes are visible; the
harness's helper process (its secret in argv and env) and the host's pytest are not.
Everything seen is written to the report for the harness to check.
"""
import os

import cocotb

from _hostile import armed, attempt, report


def _read(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return f.read(4096).replace(b"\0", b" ").decode(errors="replace")
    except OSError as e:
        return f"<{type(e).__name__}: {e.strerror}>"


@cocotb.test()
async def spy_host(dut):
    if not armed():
        return
    pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
    seen = {p: {"cmdline": _read(f"/proc/{p}/cmdline"), "environ": _read(f"/proc/{p}/environ")}
            for p in pids}
    report(host_procs={"pids": pids, "seen": seen, "proc1_environ": _read("/proc/1/environ"),
                       "kill_1": attempt(lambda: os.kill(1, 0))})
