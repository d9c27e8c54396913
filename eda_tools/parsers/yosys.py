"""Yosys and OpenSTA report parsers (structured JSON first, text only where 0.23 gives no JSON)."""
from __future__ import annotations

import json
import re

_FLOP = re.compile(r"DFF|DLATCH|SR_|\$_ALDFF|\$_SDFF|\$_DFFSR|\$_FF_", re.I)


#: a hierarchy line ("   leaf     1") Yosys 0.23 prints into stat -json output of designs with
#: three or more levels, which makes the JSON invalid
_STRAY_HIER = re.compile(r"^[ \t]+[^\s\"{}\[\]:,]+[ \t]+\d+[ \t]*$", re.M)


def parse_stat_json(text: str, top: str) -> tuple[int, dict[str, int]]:
    """(cell count, cells by type) for ``top`` from ``stat -json``; the 'design' total when flattened."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = json.loads(_STRAY_HIER.sub("", text))
    mods = data.get("modules", {})
    mod = data.get("design") or mods.get("\\" + top) or mods.get(top)
    if mod is None:
        raise ValueError(f"module {top} not in yosys stat output (have: {', '.join(mods)})")
    types = {k: int(v) for k, v in mod.get("num_cells_by_type", {}).items()}
    return int(mod.get("num_cells", sum(types.values()))), types


def count_flops(cell_types: dict[str, int]) -> int:
    return sum(n for t, n in cell_types.items() if _FLOP.search(t))


def parse_ltp(text: str) -> int | None:
    m = re.search(r"Longest topological path in \S+ \(length=(\d+)\)", text)
    return int(m.group(1)) if m else None


def parse_chip_area(text: str) -> float | None:
    """Total chip area: ``Chip area for top module '\\top': N`` (hierarchical, ``stat -top``) or
    else the last ``Chip area for module`` line (yosys 0.23 prints no JSON area with -liberty)."""
    top = re.findall(r"Chip area for top module '[^']*':\s*([0-9.]+)", text)
    if top:
        return float(top[-1])
    found = re.findall(r"Chip area for module '[^']*':\s*([0-9.]+)", text)
    return float(found[-1]) if found else None


def parse_sta(text: str) -> tuple[float | None, float | None]:
    """(data arrival time, slack) in ns from OpenSTA ``report_checks``."""
    arr = re.findall(r"^\s*(-?[0-9.]+)\s+data arrival time", text, re.M)
    slack = re.search(r"^\s*(-?[0-9.]+)\s+slack \((?:MET|VIOLATED)\)", text, re.M)
    return (float(arr[0]) if arr else None), (float(slack.group(1)) if slack else None)


def parse_nextpnr_report(text: str) -> dict[str, float]:
    """fmax (MHz) of the first clock and LUT/FF/BRAM/DSP use from ``nextpnr --report``."""
    data = json.loads(text)
    out: dict[str, float] = {}
    fmax = data.get("fmax", {})
    if fmax:
        out["fmax_mhz"] = min(float(v.get("achieved", 0)) for v in fmax.values())
    util = data.get("utilization", {})
    for key, names in (("lut", ("ICESTORM_LC", "TRELLIS_COMB")), ("bram", ("ICESTORM_RAM", "DP16KD")),
                       ("dsp", ("ICESTORM_DSP", "MULT18X18D"))):
        for n in names:
            if n in util:
                out[key] = float(util[n].get("used", 0))
    return out
