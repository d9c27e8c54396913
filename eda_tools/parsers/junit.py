"""cocotb's JUnit results.xml -> TestOutcome list."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from rtlsmith.types import TestOutcome


def parse_results_xml(path: Path) -> list[TestOutcome]:
    """Every <testcase>; failed when it holds <failure> or <error>. Raises ValueError if unreadable."""
    try:
        root = ET.parse(path).getroot()
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
