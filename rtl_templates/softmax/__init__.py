"""Template family ``softmax``: online single-pass fixed-point softmax unit.

Vectors of N fixed-point elements stream in one per cycle; the unit keeps the running max and
the rescaled running sum of exponentials (online softmax), computes one reciprocal, then
streams the N probabilities out. See ``README.md`` in this folder.
"""
from __future__ import annotations

from pathlib import Path

from rtlsmith.rtl_templates.base import Template
from rtlsmith.rtl_templates.softmax.generator import DEFAULT_PARAMS, FAMILY, TOP, generate, latency

__all__ = ["TEMPLATE"]

TEMPLATE = Template(
    family=FAMILY,
    summary="Online single-pass fixed-point softmax over N-element vectors (running max + "
            "rescaled sum, table exp, restoring-division reciprocal, ready/valid streams)",
    top=TOP,
    default_params=dict(DEFAULT_PARAMS),
    generate=generate,
    test_module="test_softmax",
    package_dir=Path(__file__).parent,
    regress_params=(
        dict(DEFAULT_PARAMS),
        {"N": 5, "IN_W": 8, "FRAC": 4, "OUT_W": 12, "LUT_BITS": 2},
    ),
    param_space={"LUT_BITS": (2, 3, 4, 5, 6)},
    latency=latency,
)
