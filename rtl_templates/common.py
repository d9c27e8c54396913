"""Helpers every template family shares: integer parameter checking (generators) and the
parameter/seed loading of the cocotb test modules.

Kept free of cocotb and of other rtlsmith modules (except the error type, with a fallback)
so a family's test module still runs from a copy of its folder plus this file (the template
designer copies both into OUT/tests/).
"""
from __future__ import annotations

import json
import os
from typing import Any, Callable, Mapping

try:
    from rtlsmith.errors import ConfigError
except ImportError:  # pragma: no cover - running from a copy outside the package
    class ConfigError(ValueError):  # type: ignore[no-redef]
        pass

#: environment variable carrying the generator parameters (JSON object) and "seed" to the tests
PARAMS_ENV = "RTLSMITH_PARAMS"


def check_int_params(family: str, params: Mapping[str, Any], defaults: Mapping[str, int],
                     limits: Mapping[str, tuple[int, int]]) -> dict[str, int]:
    """Merge ``params`` over ``defaults`` and check each against its inclusive (lo, hi) limit.

    Unknown names, non-integers (a bool is accepted as 0/1 only where the limit is (0, 1))
    and out-of-range values raise ConfigError naming the family, parameter, value and range.
    Cross-parameter rules stay in the family's own ``validate_params``.
    """
    if not isinstance(params, Mapping):
        raise ConfigError(f"{family}: parameters must be a mapping, got {type(params).__name__}")
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ConfigError(f"{family}: unknown parameter(s) {unknown}; valid: {sorted(defaults)}")
    merged: dict[str, Any] = {**defaults, **params}
    clean: dict[str, int] = {}
    for name, (lo, hi) in limits.items():
        value = merged[name]
        if isinstance(value, bool) and (lo, hi) == (0, 1):
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{family}: parameter {name} must be an integer in {lo}..{hi}, "
                              f"got {value!r} ({type(value).__name__})")
        if not lo <= value <= hi:
            raise ConfigError(f"{family}: parameter {name}={value} is out of range; allowed {lo}..{hi}")
        clean[name] = value
    # parameters without a numeric limit (e.g. a mode string) pass through for the family to check
    return {name: clean.get(name, merged[name]) for name in defaults}


def load_test_config(validate: Callable[[Mapping[str, Any]], dict], default_seed: int) -> tuple[dict, int]:
    """(validated design params, seed) from ``$RTLSMITH_PARAMS``; ``default_seed`` (the test
    module passes ``cocotb.RANDOM_SEED``) when the JSON has no "seed"."""
    raw = os.environ.get(PARAMS_ENV, "").strip()
    data: Any = json.loads(raw) if raw else {}
    if not isinstance(data, dict):
        raise ValueError(f"${PARAMS_ENV} must hold a JSON object, got {raw!r}")
    seed = data.pop("seed", None)
    return validate(data), int(default_seed if seed is None else seed)
