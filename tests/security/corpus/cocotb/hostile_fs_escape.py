"""ATTACK: write outside the work dir from a cocotb test (untrusted Python).

Tries, for every canary path in $HOSTILE_CANARIES (uuid names under /tmp, /var/tmp,
/root, the repo and the venv's site-packages): os.system("touch ..."), a subprocess
`sh -c 'echo > ...'`, and a plain open(..., "w"). Also writes through "~/.." (HOME is the
work dir, so this aims at the run dir that holds rtlsmith's logs) and into the test
dir itself (the repo), and reads $HOSTILE_SECRET (a file the harness put in /root).
EXPECT: the sandbox lets none of these reach the host; the harness asserts every
canary is absent afterwards and that the secret's content never shows up.
"""
import os
import subprocess

import cocotb

from _hostile import armed, attempt, report


def _write(path: str) -> None:
    with open(path, "w") as f:
        f.write("escaped")


@cocotb.test()
async def escape_filesystem(dut):
    if not armed():
        return
    out = {}
    for p in filter(None, os.environ.get("HOSTILE_CANARIES", "").split(os.pathsep)):
        out[f"system:{p}"] = attempt(lambda p=p: os.system(f"touch '{p}' 2>/dev/null"))
        out[f"subprocess:{p}"] = attempt(lambda p=p: subprocess.run(
            ["sh", "-c", f"echo escaped > '{p}.sh'"], capture_output=True).returncode)
        out[f"open:{p}"] = attempt(lambda p=p: _write(p + ".py"))
    tag = os.environ.get("HOSTILE_TAG", "x")
    home_escape = os.path.expanduser(f"~/../escape_{tag}")
    out[f"open:{home_escape}"] = attempt(lambda: _write(home_escape))
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"escape_{tag}")
    out[f"open:{here}"] = attempt(lambda: _write(here))
    secret = os.environ.get("HOSTILE_SECRET", "")
    try:
        with open(secret) as f:
            out["read_secret"] = "read: " + f.read()
    except OSError as e:
        out["read_secret"] = f"{type(e).__name__}: {e}"
    try:
        out["root_listing"] = sorted(os.listdir("/root"))
    except OSError as e:
        out["root_listing"] = f"{type(e).__name__}: {e}"
    report(fs_escape=out, home=os.path.expanduser("~"), cwd=os.getcwd())
