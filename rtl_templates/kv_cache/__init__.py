"""Template family ``kv_cache``: KV-cache ring buffers (INT8 / packed INT4) for LLM decoding.

HEADS ring buffers of MAX_POS D-element entries with APPEND / READ (relative to the oldest
valid entry) / CLEAR, a valid-ready request channel and a fixed-latency read response; see
``README.md`` in this folder for the interface, timing and formats.
"""
from __future__ import annotations

from pathlib import Path

from rtlsmith.rtl_templates.base import Template
from rtlsmith.rtl_templates.kv_cache.generator import DEFAULT_PARAMS, FAMILY, TOP, generate, latency

__all__ = ["TEMPLATE"]

TEMPLATE = Template(
    family=FAMILY,
    summary="KV-cache controller: HEADS ring buffers of MAX_POS INT8/packed-INT4 vectors, "
            "append/read/clear over valid-ready, fixed read latency, err on empty/out-of-range",
    top=TOP,
    default_params=dict(DEFAULT_PARAMS),
    generate=generate,
    test_module="test_kv_cache",
    package_dir=Path(__file__).parent,
    regress_params=(
        dict(DEFAULT_PARAMS),
        {"HEADS": 3, "MAX_POS": 5, "D": 5, "BITS": 4, "READ_LAT": 1},
    ),
    param_space={"READ_LAT": (1, 2, 3, 4), "BITS": (4, 8)},
    latency=latency,
)
