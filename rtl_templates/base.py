"""The contract every accelerator template family implements.

A family lives in ``rtl_templates/<family>/`` and exposes ``TEMPLATE`` (a :class:`Template`)
from its ``__init__.py``. ``rtlsmith regress`` discovers families through
:func:`rtlsmith.rtl_templates.discover`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from rtlsmith.rtl_templates.common import PARAMS_ENV
from rtlsmith.types import DesignFiles

__all__ = ["PARAMS_ENV", "Template"]



@dataclass(frozen=True)
class Template:
    family: str
    summary: str
    top: str
    default_params: Mapping[str, Any]
    generate: Callable[[Mapping[str, Any]], DesignFiles]
    #: cocotb test module name (a .py file in ``package_dir``)
    test_module: str
    package_dir: Path
    #: parameter sets ``rtlsmith regress`` runs (the default set when empty)
    regress_params: tuple[Mapping[str, Any], ...] = field(default=())
    #: candidate values per parameter the template designer may sweep when a spec leaves the
    #: parameter open (design-space exploration); a spec's own ranges override these
    param_space: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    #: latency in clock cycles of a parameter set, as the family README defines it (families
    #: differ in where they start counting); the designer compares it only between points of
    #: one family and against a spec's max_latency_cycles for that family
    latency: Callable[[Mapping[str, Any]], int] | None = None

    def params(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        unknown = set(overrides or {}) - set(self.default_params)
        if unknown:
            from rtlsmith.errors import ConfigError
            raise ConfigError(f"{self.family}: unknown parameter(s) {sorted(unknown)}; "
                              f"valid: {sorted(self.default_params)}")
        return {**self.default_params, **(overrides or {})}

    def regress_sets(self) -> tuple[Mapping[str, Any], ...]:
        return self.regress_params or (dict(self.default_params),)
