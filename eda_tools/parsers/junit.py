"""cocotb's JUnit results.xml -> TestOutcome list."""
from __future__ import annotations

import os
import stat
import xml.etree.ElementTree as ET
from pathlib import Path

from rtlsmith.types import TestOutcome


MAX_RESULTS_BYTES = 16 * 1024 * 1024


def _read_untrusted(path: Path) -> bytes:
    """results.xml is written by untrusted test code: refuse FIFOs, symlinks, devices and
    huge files (a FIFO would block the host forever, outside every timeout)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"{path} is not a regular file")
        if st.st_size > MAX_RESULTS_BYTES:
            raise ValueError(f"{path} is {st.st_size} bytes (limit {MAX_RESULTS_BYTES})")
        with os.fdopen(fd, "rb", closefd=False) as f:
            return f.read(MAX_RESULTS_BYTES + 1)
    finally:
        os.close(fd)


def parse_results_xml(path: Path) -> list[TestOutcome]:
    """Every <testcase>; failed when it holds <failure> or <error>. Raises ValueError if unreadable."""
    try:
        root = ET.fromstring(_read_untrusted(path))
    except (ET.ParseError, OSError) as e:
        raise ValueError(f"cannot read {path}: {e}") from e
    out = []
    for tc in root.iter("testcase"):
        bad = tc.find("failure")
        if bad is None:
            bad = tc.find("error")
        msg = ""
        if bad is not None:
            msg = (bad.get("message") or bad.text or "failed").strip()
        try:
            secs = float(tc.get("time", 0) or 0)
        except ValueError:
            secs = 0.0
        out.append(TestOutcome(name=tc.get("name", "?"), passed=bad is None, message=msg[:2000], seconds=secs))
    return out
