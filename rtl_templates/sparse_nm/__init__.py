"""Template family ``sparse_nm``: N:M structured-sparse multiply-accumulate (2:4, 2:8, ...).

Per beat, LANES groups of M dense activations and N compressed nonzero weights with their
log2(M)-bit positions; the unit selects, multiplies and accumulates across beats under
first/last control. See ``README.md`` in this folder for the interface, timing and numbers.
"""
from __future__ import annotations

from pathlib import Path

from rtlsmith.rtl_templates.base import Template
from rtlsmith.rtl_templates.sparse_nm.generator import DEFAULT_PARAMS, FAMILY, TOP, generate, latency

__all__ = ["TEMPLATE"]

TEMPLATE = Template(
    family=FAMILY,
    summary="N:M structured-sparse MAC (compressed weights + log2(M)-bit indices, dense "
            "activations, first/last-controlled wrapping accumulator, fixed latency 2)",
    top=TOP,
    default_params=dict(DEFAULT_PARAMS),
    generate=generate,
    test_module="test_sparse_nm",
    package_dir=Path(__file__).parent,
    regress_params=(
        dict(DEFAULT_PARAMS),
        {"N": 2, "M": 8, "LANES": 2, "IN_W": 4, "ACC_W": 12, "SIGNED": 0},
    ),
    param_space={"LANES": (1, 2, 4, 8, 16), "ACC_W": (16, 20, 24, 32)},
    latency=latency,
)
