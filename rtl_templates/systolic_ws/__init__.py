"""Template family ``systolic_ws``: weight-stationary INT systolic-array GEMM tile.

``y = a x W`` for one ROWS-lane activation vector per cycle against a stationary
ROWS x COLS weight matrix, input skew and output de-skew done inside the module; see
``README.md`` in this folder for the interface, timing and dataflow.
"""
from __future__ import annotations

from pathlib import Path

from rtlsmith.rtl_templates.base import Template
from rtlsmith.rtl_templates.systolic_ws.generator import DEFAULT_PARAMS, FAMILY, TOP, generate, latency

__all__ = ["TEMPLATE"]

TEMPLATE = Template(
    family=FAMILY,
    summary="Weight-stationary ROWSxCOLS systolic-array GEMM tile (shift-loaded INT weights, "
            "one activation vector per cycle, fixed latency ROWS+COLS, wrapping outputs)",
    top=TOP,
    default_params=dict(DEFAULT_PARAMS),
    generate=generate,
    test_module="test_systolic_ws",
    package_dir=Path(__file__).parent,
    regress_params=(
        dict(DEFAULT_PARAMS),
        {"ROWS": 5, "COLS": 3, "IN_W": 4, "ACC_W": 9, "SIGNED": 0},
    ),
    param_space={"ROWS": (2, 4, 8, 16), "COLS": (2, 4, 8, 16), "ACC_W": (16, 20, 24, 28, 32)},
    latency=latency,
)
