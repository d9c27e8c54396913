"""Accelerator RTL templates: generator + golden model + cocotb tests per family."""
from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from rtlsmith.errors import ConfigError
from rtlsmith.rtl_templates.base import PARAMS_ENV, Template

__all__ = ["PARAMS_ENV", "Template", "discover", "get"]


def discover() -> dict[str, Template]:
    """All families, by name (each subpackage that exports TEMPLATE)."""
    found: dict[str, Template] = {}
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if not info.ispkg:
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        tpl = getattr(mod, "TEMPLATE", None)
        if isinstance(tpl, Template):
            found[tpl.family] = tpl
    return dict(sorted(found.items()))


def get(family: str) -> Template:
    fams = discover()
    if family not in fams:
        raise ConfigError(f"unknown template family '{family}'; valid: {', '.join(fams) or '(none)'}")
    return fams[family]
