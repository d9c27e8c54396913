"""Template family ``dequant_gemv``: low-bit (W4/W2) dequantise + GEMV row engine, INT8 activations.

``y = sat(round(sum_g scale_g * sum_{k in g} (q_k - zero_g) * x_k / 2^FRAC))`` per row of K
weights streamed LANES per beat, group-wise asymmetric quantisation; see ``README.md`` in this
folder for the interface, timing and numeric rules.
"""
from __future__ import annotations

from pathlib import Path

from rtlsmith.rtl_templates.base import Template
from rtlsmith.rtl_templates.dequant_gemv.generator import DEFAULT_PARAMS, FAMILY, TOP, generate, latency

__all__ = ["TEMPLATE"]

TEMPLATE = Template(
    family=FAMILY,
    summary="Low-bit dequantise + GEMV row engine (WBITS-bit weights with per-group fixed-point "
            "scale and zero-point, INT8 activations, exact sums, one round-half-up + saturation)",
    top=TOP,
    default_params=dict(DEFAULT_PARAMS),
    generate=generate,
    test_module="test_dequant_gemv",
    package_dir=Path(__file__).parent,
    regress_params=(
        dict(DEFAULT_PARAMS),
        {"WBITS": 2, "LANES": 4, "GROUP_SIZE": 16, "K": 64, "SCALE_W": 12, "SCALE_SIGNED": 1,
         "FRAC": 8, "OUT_W": 12},
    ),
    param_space={"LANES": (1, 2, 4, 8, 16, 32), "WBITS": (2, 3, 4, 8), "GROUP_SIZE": (32, 64, 128)},
    latency=latency,
)
