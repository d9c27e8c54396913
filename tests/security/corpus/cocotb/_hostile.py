"""Shared helpers for the hostile cocotb modules (imported from the test dir).

Not an attack itself: guards and evidence. ``armed()`` is False unless the harness set
RTLSMITH_HOSTILE=1, so importing a module by accident does nothing. ``report()`` merges
a dict into <work>/hostile_report.json, the work dir being the parent of cocotb's build
dir (COCOTB_RESULTS_FILE = <work>/sim_build/results.xml).
"""
import json
import os
from pathlib import Path


def armed() -> bool:
    return os.environ.get("RTLSMITH_HOSTILE") == "1"


def work_dir() -> Path:
    return Path(os.environ["COCOTB_RESULTS_FILE"]).resolve().parent.parent


def report(**kv) -> None:
    p = work_dir() / "hostile_report.json"
    try:
        data = json.loads(p.read_text())
    except (OSError, ValueError):
        data = {}
    data.update(kv)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1, default=str))
    os.replace(tmp, p)


def attempt(fn) -> str:
    """Run one escape attempt; 'ok' when it worked, else the exception it raised."""
    try:
        r = fn()
        return "ok" if r is None or r is True or r == 0 else f"returned {r!r}"
    except BaseException as e:  # noqa: BLE001 - we want every failure mode as evidence
        return f"{type(e).__name__}: {e}"
