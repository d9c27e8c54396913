"""Runs INSIDE the sandbox: build + test with the cocotb 2.x runner, driven by a job file.

Usage: python -m rtlsmith.eda_tools.cocotb_entry JOB.json
Writes ``status.json`` ({"phase": "build"|"test"|"done", "error": ...}) into the build dir;
the verdict itself comes from the JUnit results.xml cocotb writes.
"""
from __future__ import annotations

import json
import os
import sys
import traceback


def main(argv: list[str]) -> int:
    job = json.loads(open(argv[0]).read())
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # 0.3 s instead of 3 s per run
    from cocotb_tools.runner import get_runner

    status_path = os.path.join(job["build_dir"], "status.json")
    os.makedirs(job["build_dir"], exist_ok=True)

    def status(phase: str, error: str | None = None) -> None:
        with open(status_path, "w") as f:
            json.dump({"phase": phase, "error": error}, f)

    runner = get_runner(job["sim"])
    ts = ("1ns", "1ps")
    status("build")
    try:
        runner.build(sources=job["sources"], hdl_toplevel=job["top"], build_dir=job["build_dir"],
                     timescale=ts, always=True, build_args=job.get("build_args", []),
                     waves=job.get("waves", False))
    except (Exception, SystemExit) as e:  # compile errors: the log has the diagnostics
        status("build", f"{type(e).__name__}: {e}")
        return 3
    status("test")
    try:
        runner.test(hdl_toplevel=job["top"], test_module=job["test_module"], test_dir=job["test_dir"],
                    build_dir=job["build_dir"], results_xml=job["results_xml"], timescale=ts,
                    extra_env=job.get("extra_env", {}), seed=job.get("seed"),
                    waves=job.get("waves", False))
    except SystemExit as e:
        status("done", None)
        return int(e.code or 0) if not isinstance(e.code, str) else 1
    except Exception:
        status("test", traceback.format_exc(limit=5))
        return 4
    status("done")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
