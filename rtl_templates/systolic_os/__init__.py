"""Template family ``systolic_os``: output-stationary INT systolic-array GEMM tile.

``C[ROWS][COLS] += A[ROWS][K] x B[K][COLS]`` with the input skew done inside the module;
see ``README.md`` in this folder for the interface, timing and dataflow.
"""
from __future__ import annotations

from pathlib import Path

from rtlsmith.rtl_templates.base import Template
from rtlsmith.rtl_templates.systolic_os.generator import DEFAULT_PARAMS, FAMILY, TOP, generate, latency

__all__ = ["TEMPLATE"]

TEMPLATE = Template(
    family=FAMILY,
    summary="Output-stationary ROWSxCOLS systolic-array GEMM tile (INT operands, wrapping "
            "accumulators, internal input skew)",
    top=TOP,
    default_params=dict(DEFAULT_PARAMS),
    generate=generate,
    test_module="test_systolic_os",
    package_dir=Path(__file__).parent,
    regress_params=(
        dict(DEFAULT_PARAMS),
        {"ROWS": 4, "COLS": 3, "IN_W": 4, "ACC_W": 12, "SIGNED": 0},
    ),
    param_space={"ROWS": (2, 4, 8, 16), "COLS": (2, 4, 8, 16), "ACC_W": (16, 20, 24, 28, 32)},
    latency=latency,
)
