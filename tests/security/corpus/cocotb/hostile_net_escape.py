"""ATTACK: reach the network from a cocotb test.

TCP connect to a server the harness runs on the host at 127.0.0.1:$HOSTILE_TCP_PORT,
a UDP datagram to 127.0.0.1:$HOSTILE_UDP_PORT, and a DNS lookup of a public name.
EXPECT: a private network namespace: no connection or datagram reaches the host
server, the lookup fails, and this test FAILS (it asserts that it escaped).
"""
import os
import socket

import cocotb

from _hostile import armed, attempt, report


def _tcp(port: int):
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.sendall(b"ESCAPED-TCP " + os.environ.get("HOSTILE_TAG", "").encode())
    s.close()


def _udp(port: int):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"ESCAPED-UDP " + os.environ.get("HOSTILE_TAG", "").encode(), ("127.0.0.1", port))
    s.close()


def _dns():
    return bool(socket.getaddrinfo("pypi.org", 443))


@cocotb.test()
async def escape_network(dut):
    if not armed():
        return
    res = {"tcp": attempt(lambda: _tcp(int(os.environ["HOSTILE_TCP_PORT"]))),
           "udp": attempt(lambda: _udp(int(os.environ["HOSTILE_UDP_PORT"]))),
           "dns": attempt(_dns)}
    try:
        with open("/proc/net/dev") as f:
            res["interfaces"] = [ln.split(":")[0].strip() for ln in f.readlines()[2:]]
    except OSError as e:
        res["interfaces"] = repr(e)
    report(net=res)
    assert res["tcp"] == "ok", f"network blocked: {res}"
