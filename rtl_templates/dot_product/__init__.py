"""Template family ``dot_product``: pipelined adder-tree dot product with an accumulator.

``acc = (acc_clear ? 0 : acc) + sum_k a[k] * b[k]`` for one LANES-wide beat per cycle,
PIPE pipeline registers in the multiplier/adder tree (latency PIPE+1); see ``README.md``
in this folder for the interface, timing and pipeline placement.
"""
from __future__ import annotations

from pathlib import Path

from rtlsmith.rtl_templates.base import Template
from rtlsmith.rtl_templates.dot_product.generator import DEFAULT_PARAMS, FAMILY, TOP, generate, latency

__all__ = ["TEMPLATE"]

TEMPLATE = Template(
    family=FAMILY,
    summary="LANES-wide INT dot product / MAC: multipliers + binary adder tree with PIPE "
            "balanced pipeline registers (latency PIPE+1), wrapping accumulator with acc_clear",
    top=TOP,
    default_params=dict(DEFAULT_PARAMS),
    generate=generate,
    test_module="test_dot_product",
    package_dir=Path(__file__).parent,
    regress_params=(
        dict(DEFAULT_PARAMS),
        {"LANES": 5, "IN_W": 4, "ACC_W": 12, "SIGNED": 0, "PIPE": 3},
    ),
    # every PIPE value here is legal for every LANES value here (PIPE <= clog2(LANES)+1)
    param_space={"PIPE": (0, 1, 2, 3), "LANES": (4, 8, 16, 32)},
    latency=latency,
)
