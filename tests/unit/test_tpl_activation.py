"""Unit tests for the activation template: golden model and generator (no simulator)."""
from __future__ import annotations

import math
import random
import re

import pytest

from rtlsmith.errors import ConfigError
from rtlsmith.rtl_templates.activation import TEMPLATE
from rtlsmith.rtl_templates.activation import golden
from rtlsmith.rtl_templates.activation.generator import (DEFAULT_PARAMS, generate, latency, render,
                                                         validate_params)
from rtlsmith.rtl_templates.base import Template

SILU16 = {"FUNC": "silu", "IN_W": 16, "FRAC": 11, "SEG_BITS": 8, "LANES": 2}
#: sets covering: saturation / none, T = 0 (one code per segment), tiny and wide inputs
CONFIGS = [
    dict(DEFAULT_PARAMS),
    {"FUNC": "gelu", "IN_W": 8, "FRAC": 4, "SEG_BITS": 4, "LANES": 1},
    {"FUNC": "silu", "IN_W": 10, "FRAC": 6, "SEG_BITS": 5, "LANES": 3},     # no saturation
    {"FUNC": "silu", "IN_W": 8, "FRAC": 4, "SEG_BITS": 10, "LANES": 1},     # T = 0
    {"FUNC": "gelu", "IN_W": 4, "FRAC": 3, "SEG_BITS": 2, "LANES": 1},
    {"FUNC": "gelu", "IN_W": 6, "FRAC": 5, "SEG_BITS": 3, "LANES": 1},      # range [-1, 1)
]


# ---------------------------------------------------------------------- exact functions
def test_exact_functions_match_textbook_values() -> None:
    assert golden.exact("gelu", 1.0) == pytest.approx(0.8413447460685429, abs=1e-12)
    assert golden.exact("gelu", -1.0) == pytest.approx(-0.15865525393145707, abs=1e-12)
    assert golden.exact("silu", 1.0) == pytest.approx(1 / (1 + math.exp(-1)), abs=1e-12)
    assert golden.exact("silu", -2.0) == pytest.approx(-2 / (1 + math.exp(2)), abs=1e-12)
    assert golden.exact("gelu", 0.0) == golden.exact("silu", 0.0) == 0.0
    for func in golden.FUNCS:
        for x in (0.1, 0.75, 1.3, 3.0, 7.5):      # f(x) - f(-x) = x, the identity the unit uses
            assert golden.exact(func, x) - golden.exact(func, -x) == pytest.approx(x, abs=1e-12)
        assert golden.correction(func, 800.0) == pytest.approx(0.0, abs=1e-300)
    with pytest.raises(ValueError):
        golden.correction("relu", 1.0)


# ---------------------------------------------------------------------- derived constants
def test_derive_default_constants() -> None:
    d = golden.derive(DEFAULT_PARAMS)
    assert (d.r_log2, d.seg_bits, d.t_bits, d.saturate) == (2, 6, 4, True)   # R = 4, 64 x 16 codes
    assert len(d.c0) == len(d.c1) == 64 and d.idx_w == 6
    assert d.r_codes == 4 * 256 and d.code_range == (-2048, 2047)
    # C0[0] ~ h(0) = 0; C0[16] ~ h(1) * 256 LSB * 16 (guard) = 0.1587 * 4096 = 650 (+- centring)
    assert abs(d.c0[0]) <= 2
    assert abs(d.c0[16] - 0.15865525393145707 * 4096) < 8


def test_range_and_saturation_rules() -> None:
    # R grows until h(R) <= 1/8 LSB: GELU h(4) = 1.3e-4 is small enough for FRAC <= 9 only
    assert golden.range_log2("gelu", 16, 9) == 2 and golden.range_log2("gelu", 16, 10) == 3
    # SiLU h(8) = 2.7e-3: R = 8 up to FRAC 5, then 16
    assert golden.range_log2("silu", 16, 5) == 3 and golden.range_log2("silu", 16, 6) == 4
    # ... but never beyond the input range; then the table covers everything (+1 entry for |min|)
    d = golden.derive({"FUNC": "silu", "IN_W": 10, "FRAC": 6, "SEG_BITS": 5})
    assert d.r_log2 == 3 and not d.saturate and len(d.c0) == 33 and d.idx_w == 6 and d.c1[-1] == 0
    # SEG_BITS is clamped to one code per segment
    d = golden.derive({"FUNC": "gelu", "IN_W": 4, "FRAC": 3, "SEG_BITS": 10})
    assert d.seg_bits == 3 and d.t_bits == 0


# ---------------------------------------------------------------------- bit-exact model
def _independent_code(d: golden.Derived, x: int) -> int:
    """The README's datapath re-derived independently of golden.correction_code."""
    a = -x if x < 0 else x
    if d.saturate and a >= (1 << (d.r_log2 + d.frac)):
        hl = 0
    else:
        k, t = divmod(a, 1 << d.t_bits)
        num = d.c0[k] * 2 ** d.t_bits + d.c1[k] * t
        hl = math.floor(num / 2 ** (golden.GUARD + d.t_bits) + 0.5)
    y = (x if x > 0 else 0) - hl
    lo, hi = d.code_range
    return max(lo, min(hi, y))


def test_hand_computed_default_codes() -> None:
    d = golden.derive(DEFAULT_PARAMS)
    q = 256                                    # codes per 1.0 (FRAC = 8)
    assert golden.approx_code(d, 0) == 0
    assert golden.approx_code(d, 2047) == 2047           # saturated: GELU(8) = 8 - 5e-15
    assert golden.approx_code(d, -2048) == 0             # GELU(-8) ~ -5e-15
    assert golden.approx_code(d, 1024) == 1024           # |x| = R saturates: h(4) = 0.03 LSB
    assert golden.approx_code(d, q) in (215, 216)        # GELU(1) = 0.84134 * 256 = 215.38
    assert golden.approx_code(d, -q) in (-41, -40)       # GELU(-1) = -0.15866 * 256 = -40.6
    assert golden.approx_code(d, -192) == round(golden.exact("gelu", -0.75) * 256)   # the minimum
    for x in (q, -q, 1, -1, 777, -1500, 1023, -1023):
        assert golden.approx_code(d, x) == _independent_code(d, x)
    with pytest.raises(ValueError):
        golden.approx_code(d, 2048)


@pytest.mark.parametrize("params", CONFIGS, ids=lambda p: f"{p['FUNC']}-{p['IN_W']}-{p['FRAC']}-{p['SEG_BITS']}")
def test_every_code_bit_exact_symmetric_and_within_bound(params) -> None:
    d = golden.derive(params)
    lo, hi = d.code_range
    bound = golden.error_bound_lsb(params)
    for x in range(lo, hi + 1):
        y = golden.approx_code(d, x)
        assert y == _independent_code(d, x), x
        assert golden.error_lsb(d, x) <= bound, (x, golden.error_lsb(d, x), bound)
        if lo <= -x <= hi and lo < y < hi:
            assert y - golden.approx_code(d, -x) == x       # f(x) - f(-x) = x holds exactly
    worst, _ = golden.max_error_lsb(params)
    assert 0.4 <= worst <= bound < 1.0        # rounding alone costs ~0.5 LSB somewhere


def test_wide_input_within_bound_and_documented_numbers() -> None:
    worst, code = golden.max_error_lsb(SILU16)
    assert worst <= golden.error_bound_lsb(SILU16)
    assert round(worst, 3) == 0.735 and round(golden.error_bound_lsb(SILU16), 3) == 1.051
    worst, _ = golden.max_error_lsb(DEFAULT_PARAMS)
    assert round(worst, 3) == 0.570 and round(golden.error_bound_lsb(DEFAULT_PARAMS), 3) == 0.679


@pytest.mark.parametrize("params", CONFIGS + [SILU16], ids=lambda p: f"{p['FUNC']}-{p['IN_W']}-{p['SEG_BITS']}")
def test_intermediate_widths_hold_every_value(params) -> None:
    d = golden.derive(params)

    def fits(v: int, w: int) -> bool:
        return -(1 << (w - 1)) <= v < (1 << (w - 1))

    sh = golden.GUARD + d.t_bits
    assert all(fits(c, d.c0_w) for c in d.c0) and all(fits(c, d.c1_w) for c in d.c1)
    assert d.acc_w >= sh + d.hl_w
    for k, (c0, c1) in enumerate(zip(d.c0, d.c1)):
        for t in {0, (1 << d.t_bits) - 1}:
            acc = (c0 << d.t_bits) + c1 * t + (1 << (sh - 1))
            assert fits(acc, d.acc_w) and fits(acc >> sh, d.hl_w)
            assert fits((1 << (d.in_w - 1)) - 1 - (acc >> sh), d.y_w) and fits(-(acc >> sh), d.y_w)


def test_error_bound_shrinks_with_segments() -> None:
    bounds = [golden.error_bound_lsb({**DEFAULT_PARAMS, "SEG_BITS": s}) for s in (4, 5, 6, 7, 8)]
    assert bounds == sorted(bounds, reverse=True) and bounds[0] > 2 * bounds[-1]


# ---------------------------------------------------------------------- cycle model
def test_cycle_model_latency_bubbles_and_reset() -> None:
    d = golden.derive(DEFAULT_PARAMS)
    m = golden.ActivationModel(d, lanes=2)
    m.tick(in_valid=True, lanes=[256, -256])          # cycle 0
    assert not m.out_valid
    m.tick()                                          # cycle 1 (bubble)
    m.tick(in_valid=True, lanes=[0, 1])               # cycle 2
    assert m.out_valid and m.out == [golden.approx_code(d, 256), golden.approx_code(d, -256)]
    m.tick()                                          # cycle 3: the bubble
    assert not m.out_valid
    m.tick(rst=True)                                  # drops the beat from cycle 2
    for _ in range(golden.LATENCY + 1):
        assert not m.out_valid
        m.tick()
    with pytest.raises(ValueError):
        m.tick(in_valid=True, lanes=[1])


def test_pack_unpack_roundtrip() -> None:
    rng = random.Random(3)
    for w in (4, 9, 16):
        vals = [rng.randint(-(1 << (w - 1)), (1 << (w - 1)) - 1) for _ in range(7)]
        assert golden.unpack_lanes(golden.pack_lanes(vals, w), 7, w) == vals


# ---------------------------------------------------------------------- generator
def _elaborate(text: str):
    from pyslang.ast import Compilation
    from pyslang.syntax import SyntaxTree

    comp = Compilation()
    comp.addSyntaxTree(SyntaxTree.fromText(text, "activation.v"))
    return comp


@pytest.mark.parametrize("params", CONFIGS + [SILU16, {"LANES": 32, "IN_W": 16, "FRAC": 1}],
                         ids=lambda p: "-".join(str(v) for v in p.values()))
def test_generated_rtl_elaborates_with_pyslang(params) -> None:
    from pyslang.ast import ArgumentDirection

    p = validate_params(params)
    files = generate(params)
    assert list(files) == ["activation.v"]
    text = files["activation.v"]
    comp = _elaborate(text)
    errors = [diag for diag in comp.getAllDiagnostics() if diag.isError()]
    assert not errors, [str(diag.code) for diag in errors]
    tops = comp.getRoot().topInstances
    assert [t.name for t in tops] == ["activation"]
    body = tops[0].body
    assert {x.name: int(str(x.value)) for x in body.parameters}["LANES"] == p["LANES"]
    bus = p["LANES"] * p["IN_W"]
    for name, width, out in (("clk", 1, False), ("rst", 1, False), ("in_valid", 1, False),
                             ("in_data", bus, False), ("out_valid", 1, True), ("out_data", bus, True)):
        port = body.findPort(name)
        assert port is not None and port.type.bitWidth == width, name
        assert port.direction == (ArgumentDirection.Out if out else ArgumentDirection.In), name
    d = golden.derive(p)
    assert len(re.findall(r"^\s+\d+'d\d+: ", text, re.M)) == len(d.c0)     # one ROM line per entry


def test_generated_rtl_is_plain_verilog_and_deterministic() -> None:
    text = render({})
    assert text == render(dict(DEFAULT_PARAMS))
    code = re.sub(r"//[^\n]*", "", text)
    assert not re.search(r"@[A-Z_0-9]+@", text)                 # every placeholder substituted
    for banned in ("logic ", "always_ff", "always_comb", "$display", "$finish", "initial",
                   "$fopen", "'0", "'1"):
        assert banned not in code, banned
    assert "parameter integer LANES = 4" in text and "measured max 0.5696 LSB" in text
    assert "rom_c1" not in render({"FUNC": "silu", "IN_W": 8, "FRAC": 4, "SEG_BITS": 10})  # T = 0


@pytest.mark.parametrize("bad,fragment", [
    ({"FUNC": "relu"}, "FUNC='relu'"),
    ({"FUNC": 1}, "FUNC=1"),
    ({"IN_W": 3}, "IN_W=3"),
    ({"IN_W": 17}, "IN_W=17"),
    ({"FRAC": 0}, "FRAC=0"),
    ({"IN_W": 8, "FRAC": 8}, "FRAC=8 is out of range for IN_W=8"),
    ({"SEG_BITS": 1}, "SEG_BITS=1"),
    ({"SEG_BITS": 11}, "SEG_BITS=11"),
    ({"LANES": 0}, "LANES=0"),
    ({"LANES": 33}, "LANES=33"),
    ({"LANES": "4"}, "LANES must be an integer"),
    ({"IN_W": 8.0}, "IN_W must be an integer"),
    ({"SEG_BITS": True}, "SEG_BITS must be an integer"),
    ({"WIDTH": 8}, "unknown parameter"),
])
def test_generator_rejects_bad_params(bad, fragment) -> None:
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        generate(bad)


def test_func_is_case_insensitive_and_latency_fixed() -> None:
    assert validate_params({"FUNC": "SiLU"})["FUNC"] == "silu"
    assert latency({}) == latency(SILU16) == golden.LATENCY == 3
    with pytest.raises(ConfigError):
        latency({"LANES": 0})


def test_template_contract() -> None:
    assert isinstance(TEMPLATE, Template)
    assert TEMPLATE.family == "activation" == TEMPLATE.top
    assert TEMPLATE.test_module == "test_activation"
    assert (TEMPLATE.package_dir / "test_activation.py").is_file()
    assert (TEMPLATE.package_dir / "README.md").is_file()
    sets = TEMPLATE.regress_sets()
    assert dict(sets[0]) == dict(DEFAULT_PARAMS) and len(sets) == 2
    assert {s["FUNC"] for s in sets} == {"gelu", "silu"} and any(s["IN_W"] > 12 for s in sets)
    for name, values in TEMPLATE.param_space.items():
        assert name in DEFAULT_PARAMS and 3 <= len(values) <= 6
        for v in values:
            validate_params({name: v})
    assert TEMPLATE.latency is latency
    with pytest.raises(ConfigError):
        TEMPLATE.params({"DEPTH": 2})


def test_template_is_discovered() -> None:
    from rtlsmith.rtl_templates import discover

    assert discover()["activation"] is TEMPLATE
