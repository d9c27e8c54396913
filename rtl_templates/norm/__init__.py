"""Template family ``norm``: LayerNorm / RMSNorm over streamed fixed-point vectors.

``N`` elements arrive ``LANES`` per beat (valid/ready), the unit computes the statistics and an
exact bit-serial inverse square root, then streams ``(x-mean)/sqrt(var+eps)*gamma+beta``
(layer) or ``x/sqrt(mean(x^2)+eps)*gamma`` (rms) out (valid/ready/last); gamma/beta live in
a small memory written beforehand. See ``README.md`` in this folder.
"""
from __future__ import annotations

from pathlib import Path

from rtlsmith.rtl_templates.base import Template
from rtlsmith.rtl_templates.norm.generator import DEFAULT_PARAMS, FAMILY, TOP, generate, latency

__all__ = ["TEMPLATE"]

TEMPLATE = Template(
    family=FAMILY,
    summary="LayerNorm / RMSNorm unit: streamed N-element fixed-point vectors, exact "
            "bit-serial inverse square root, per-element gamma (and beta), LANES per beat",
    top=TOP,
    default_params=dict(DEFAULT_PARAMS),
    generate=generate,
    test_module="test_norm",
    package_dir=Path(__file__).parent,
    regress_params=(
        dict(DEFAULT_PARAMS),
        {"MODE": "rms", "N": 12, "LANES": 3, "IN_W": 8, "OUT_W": 8, "EPS": 1},
    ),
    param_space={"LANES": (1, 2, 4, 8, 16), "OUT_W": (8, 12, 16)},
    latency=latency,
)
