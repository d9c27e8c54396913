"""Template family ``pim_ctrl``: DRAM-PIM command scheduler (ACT / MAC / RDOUT / PRE / REF).

CHANNELS x BANKS banks, per-bank request FIFOs served in order, banks in parallel, open-row
policy, tRCD/tRP/tRAS/tRFC/tREFI timing and periodic all-bank refresh; see ``README.md`` in
this folder for the interface, the scheduling rules and the checker-based verification.
"""
from __future__ import annotations

from pathlib import Path

from rtlsmith.rtl_templates.base import Template
from rtlsmith.rtl_templates.pim_ctrl.generator import DEFAULT_PARAMS, FAMILY, TOP, generate, latency

__all__ = ["TEMPLATE"]

TEMPLATE = Template(
    family=FAMILY,
    summary="DRAM-PIM command scheduler: CHANNELS x BANKS banks, per-bank in-order FIFOs, "
            "bank-parallel open-row scheduling of ACT/MAC/RDOUT/PRE, periodic REF, "
            "tRCD/tRP/tRAS/tRFC/tREFI never violated",
    top=TOP,
    default_params=dict(DEFAULT_PARAMS),
    generate=generate,
    test_module="test_pim_ctrl",
    package_dir=Path(__file__).parent,
    regress_params=(
        dict(DEFAULT_PARAMS),
        {"CHANNELS": 1, "BANKS": 8, "QDEPTH": 2, "ROW_W": 3, "COL_W": 3,
         "tRCD": 4, "tRP": 4, "tRAS": 9, "tRFC": 10, "tREFI": 90},
    ),
    param_space={"QDEPTH": (1, 2, 4, 8, 16)},
    latency=latency,
)
