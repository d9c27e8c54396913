"""Template family ``activation``: GELU / SiLU piecewise-linear fixed-point approximation.

``LANES`` elements per clock, fixed 3-cycle latency, valid in / valid out; see ``README.md``
in this folder for the interface, the numeric method and its error bound.
"""
from __future__ import annotations

from pathlib import Path

from rtlsmith.rtl_templates.activation.generator import DEFAULT_PARAMS, FAMILY, TOP, generate, latency
from rtlsmith.rtl_templates.base import Template

__all__ = ["TEMPLATE"]

TEMPLATE = Template(
    family=FAMILY,
    summary="GELU / SiLU unit on signed fixed point: piecewise-linear interpolation of "
            "max(x,0)-f(x) from a ROM, LANES elements per clock, 3-cycle latency",
    top=TOP,
    default_params=dict(DEFAULT_PARAMS),
    generate=generate,
    test_module="test_activation",
    package_dir=Path(__file__).parent,
    regress_params=(
        dict(DEFAULT_PARAMS),
        {"FUNC": "silu", "IN_W": 16, "FRAC": 11, "SEG_BITS": 8, "LANES": 2},
    ),
    param_space={"SEG_BITS": (4, 5, 6, 7, 8), "LANES": (1, 2, 4, 8, 16)},
    latency=latency,
)
