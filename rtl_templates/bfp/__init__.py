"""Template family ``bfp``: block-floating-point (shared exponent) encoder + decoder.

A block of BLOCK signed IN_W-bit integers <-> one shared exponent and BLOCK signed MANT_W-bit
mantissas; see ``README.md`` in this folder for the interface, timing and number formats.
"""
from __future__ import annotations

from pathlib import Path

from rtlsmith.rtl_templates.base import Template
from rtlsmith.rtl_templates.bfp.generator import DEFAULT_PARAMS, FAMILY, TOP, generate, latency

__all__ = ["TEMPLATE"]

TEMPLATE = Template(
    family=FAMILY,
    summary="Block-floating-point codec: BLOCK signed IN_W-bit integers <-> shared exponent + "
            "MANT_W-bit mantissas (floor or round-to-nearest-even, saturating), 2-cycle pipelines",
    top=TOP,
    default_params=dict(DEFAULT_PARAMS),
    generate=generate,
    test_module="test_bfp",
    package_dir=Path(__file__).parent,
    regress_params=(
        dict(DEFAULT_PARAMS),
        {"BLOCK": 4, "IN_W": 12, "MANT_W": 4, "EXP_W": 5, "ROUND": 0},
    ),
    param_space={"BLOCK": (4, 8, 16, 32), "MANT_W": (4, 6, 8, 10, 12), "ROUND": (0, 1)},
    latency=latency,
)
