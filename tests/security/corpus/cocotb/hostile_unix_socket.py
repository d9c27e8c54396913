"""ATTACK: talk to a host service over a unix-domain socket on a visible path.

A network namespace hides TCP/UDP and abstract sockets, but a socket FILE on a
read-only bind mount can still be connected to (e.g. /run/docker.sock = host root).
The harness listens on $HOSTILE_UNIX_SOCK (under /var/tmp). EXPECT: no connection
reaches the host listener; this test FAILS (it asserts that it got through).
"""
import os
import socket

import cocotb

from _hostile import armed, attempt, report


def _connect(path: str):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(2)
    s.connect(path)
    s.sendall(b"ESCAPED-UNIX " + os.environ.get("HOSTILE_TAG", "").encode())
    s.close()


@cocotb.test()
async def escape_unix_socket(dut):
    if not armed():
        return
    res = attempt(lambda: _connect(os.environ["HOSTILE_UNIX_SOCK"]))
    report(unix_socket=res)
    assert res == "ok", f"unix socket blocked: {res}"
