"""ATTACK: tamper with rtlsmith's own logs.

The supervisor keeps each step's stdout/stderr logs in <run>/logs, a sibling of the work
dir, so a verdict or a log cannot be forged from inside. This test tries to create a file
there, to plant a job.json, to overwrite the cocotb stdout log with a fake "all passed"
summary, to recreate the dir, and to move its own work dir away.
EXPECT: none of it is visible on the host (logs dir not writable from the sandbox).
"""
import os

import cocotb

from _hostile import armed, attempt, report, work_dir


@cocotb.test()
async def tamper_logs(dut):
    if not armed():
        return
    logs = work_dir().parent / "logs"
    tag = os.environ.get("HOSTILE_TAG", "x")
    res = {"logs_dir": str(logs), "visible": logs.is_dir()}
    res["create"] = attempt(lambda: (logs / f"evil_{tag}").write_text("forged") and None)
    res["job"] = attempt(lambda: (logs / "job.json").write_text('{"tampered": true}') and None)
    res["stdout_log"] = attempt(lambda: (logs / "cocotb.stdout.log").write_text("** TESTS=1 PASS=1 FAIL=0 **") and None)
    res["mkdir"] = attempt(lambda: os.makedirs(logs, exist_ok=True))
    res["create_after_mkdir"] = attempt(lambda: (logs / f"evil2_{tag}").write_text("forged") and None)
    res["rename_work"] = attempt(lambda: os.rename(work_dir(), work_dir().parent / f"moved_{tag}"))
    report(logs_tamper=res)
