"""ATTACK: allocate memory without bound (64 MiB chunks, each page touched).

EXPECT: RLIMIT_AS (Limits.memory_mb) stops it with MemoryError long before the host
feels it; the test fails. Guard: stops by itself at 6 GiB so a by-hand run outside any
limit cannot exhaust the machine.
"""
import cocotb

from _hostile import armed, report

CHUNK = 64 * 1024 * 1024
CAP = 6 * 1024 * 1024 * 1024


@cocotb.test()
async def eat_memory(dut):
    if not armed():
        return
    hoard = []
    try:
        while len(hoard) * CHUNK < CAP:
            hoard.append(b"\x01" * CHUNK)
    finally:
        report(mem_hog={"allocated_mb": len(hoard) * CHUNK // (1024 * 1024)})
