"""Unit tests for the dequant_gemv template: golden model and generator (no simulator)."""
from __future__ import annotations

import random
import re
from fractions import Fraction

import pytest

from rtlsmith.errors import ConfigError
from rtlsmith.rtl_templates.base import Template
from rtlsmith.rtl_templates.dequant_gemv import TEMPLATE
from rtlsmith.rtl_templates.dequant_gemv import golden
from rtlsmith.rtl_templates.dequant_gemv.generator import (DEFAULT_PARAMS, generate, latency, render,
                                                           validate_params, widths)

SET2 = {"WBITS": 2, "LANES": 4, "GROUP_SIZE": 16, "K": 64, "SCALE_W": 12, "SCALE_SIGNED": 1,
        "FRAC": 8, "OUT_W": 12}
TINY = {"WBITS": 2, "LANES": 2, "GROUP_SIZE": 2, "K": 4, "SCALE_W": 8, "SCALE_SIGNED": 0,
        "FRAC": 2, "OUT_W": 8}


# ---------------------------------------------------------------------- reference helpers
def naive_row(q, x, scales, zeros, p) -> tuple[int, bool]:
    """Independent reference: exact rational arithmetic, round half up, clamp."""
    gs, wb = p["GROUP_SIZE"], p["WBITS"]
    total = Fraction(0)
    for k in range(p["K"]):
        g = k // gs
        code = scales[g] % (1 << p["SCALE_W"])
        if p["SCALE_SIGNED"] and code >= 1 << (p["SCALE_W"] - 1):
            code -= 1 << p["SCALE_W"]
        xv = x[k] % 256
        xv = xv - 256 if xv >= 128 else xv
        total += Fraction(code, 1 << p["FRAC"]) * ((q[k] % (1 << wb)) - (zeros[g] % (1 << wb))) * xv
    y = (total + Fraction(1, 2)).__floor__()
    lo, hi = -(1 << (p["OUT_W"] - 1)), (1 << (p["OUT_W"] - 1)) - 1
    return min(hi, max(lo, y)), not lo <= y <= hi


def rand_row(rng: random.Random, p: dict) -> tuple[list[int], list[int], list[int], list[int]]:
    qmax = (1 << p["WBITS"]) - 1
    lo, hi = golden.scale_range(p["SCALE_W"], bool(p["SCALE_SIGNED"]))
    ng = p["K"] // p["GROUP_SIZE"]
    return ([rng.randint(0, qmax) for _ in range(p["K"])], [rng.randint(-128, 127) for _ in range(p["K"])],
            [rng.randint(lo, hi) for _ in range(ng)], [rng.randint(0, qmax) for _ in range(ng)])


def feed_row(model: golden.DequantGemvModel, row, bubbles=None, garbage: random.Random | None = None):
    """Stream a row into the cycle model (optional bubbles; garbage scale/zero off group starts)."""
    q, x, scales, zeros = row
    p = model.params
    lanes, bpg = p["LANES"], p["GROUP_SIZE"] // p["LANES"]
    cyc = 0
    for b in range(p["K"] // lanes):
        while bubbles is not None and bubbles(cyc):
            cyc += 1
            model.tick()
        cyc += 1
        start = b % bpg == 0
        g = b * lanes // p["GROUP_SIZE"]
        junk = garbage.getrandbits(p["SCALE_W"]) if garbage else 0
        model.tick(in_valid=True, w=q[b * lanes:(b + 1) * lanes], x=x[b * lanes:(b + 1) * lanes],
                   scale=scales[g] if start else junk, zero=zeros[g] if start else junk % (1 << p["WBITS"]))


# ---------------------------------------------------------------------- golden: scalar rules
def test_round_shift_is_round_half_up() -> None:
    # FRAC = 2: quarters
    assert [golden.round_shift(a, 2) for a in (2, -2, 6, -6, 5, -5, -7, 7, 0, 1, -1)] == \
        [1, 0, 2, -1, 1, -1, -2, 2, 0, 0, 0]
    assert golden.round_shift(-123, 0) == -123
    assert golden.round_shift((1 << 40) + (1 << 11), 12) == (1 << 28) + 1


def test_saturate_and_ranges() -> None:
    assert golden.saturate(32767, 16) == (32767, False)
    assert golden.saturate(32768, 16) == (32767, True)
    assert golden.saturate(-32768, 16) == (-32768, False)
    assert golden.saturate(-32769, 16) == (-32768, True)
    assert golden.out_range(12) == (-2048, 2047)
    assert golden.scale_range(12, True) == (-2048, 2047)
    assert golden.scale_range(16, False) == (0, 65535)
    assert golden.scale_value(0xFFF, 12, True) == -1 and golden.scale_value(0xFFF, 12, False) == 4095
    assert golden.activation(0x80) == -128 and golden.activation(-1) == -1


def test_pack_unpack_roundtrip() -> None:
    vals = [3, 0, 1, 2, 3, 3]
    raw = golden.pack_lanes(vals, 2)
    assert raw == 0b11_11_10_01_00_11
    assert golden.unpack_lanes(raw, 6, 2) == vals
    assert golden.unpack_lanes(golden.pack_lanes([-128, 127, -1], 8), 3, 8, signed=True) == [-128, 127, -1]


# ---------------------------------------------------------------------- golden: dequant_row
def test_dequant_row_hand_computed() -> None:
    q, x, zeros = [3, 0, 1, 2], [10, -5, 7, -128], [1, 2]
    # group 0: (3-1)*10 + (0-1)*(-5) = 25; group 1: (1-2)*7 + (2-2)*(-128) = -7
    r = golden.dequant_row(q, x, [3, 4], zeros, TINY)
    assert r.group_sums == (25, -7) and r.acc == 25 * 3 - 7 * 4 == 47
    assert (r.y, r.sat) == (12, False)                        # 47/4 = 11.75 -> 12
    signed = {**TINY, "SCALE_SIGNED": 1}
    r = golden.dequant_row(q, x, [0xFD, 4], zeros, signed)   # scale code 0xFD = -3
    assert r.acc == -75 - 28 == -103 and r.y == -26           # -25.75 -> -26
    r = golden.dequant_row(q, x, [3, 4], zeros, {**TINY, "OUT_W": 4})
    assert (r.y, r.sat, r.y_raw(4)) == (7, True, 7)           # 12 clamps to 7
    r = golden.dequant_row(q, x, [0xFD, 4], zeros, {**signed, "OUT_W": 4})
    assert (r.y, r.sat, r.y_raw(4)) == (-8, True, 0b1000)
    # activations given as 8-bit patterns mean the same numbers
    assert golden.dequant_row(q, [10, 0xFB, 7, 0x80], [3, 4], zeros, TINY) == \
        golden.dequant_row(q, x, [3, 4], zeros, TINY)


def test_dequant_row_ties_round_up() -> None:
    p = {**TINY, "K": 2, "GROUP_SIZE": 2, "FRAC": 3}
    # acc = 4 -> 0.5 -> 1 ; acc = -4 -> -0.5 -> 0 ; acc = -12 -> -1.5 -> -1
    assert golden.dequant_row([1, 0], [4, 0], [1], [0], p).y == 1
    assert golden.dequant_row([1, 0], [-4, 0], [1], [0], p).y == 0
    assert golden.dequant_row([3, 0], [-4, 0], [1], [0], p).y == -1   # 3*-4 = -12
    assert golden.dequant_row([3, 0], [-4, 0], [0], [0], p).y == 0    # zero scale


@pytest.mark.parametrize("params", [DEFAULT_PARAMS, SET2, TINY,
                                    {**DEFAULT_PARAMS, "FRAC": 0, "OUT_W": 32},
                                    {**SET2, "FRAC": 12, "OUT_W": 6},
                                    {**DEFAULT_PARAMS, "WBITS": 8, "LANES": 1, "GROUP_SIZE": 3, "K": 9}])
def test_dequant_row_matches_exact_rational_reference(params) -> None:
    p = validate_params(params)
    rng = random.Random(str(p))
    for _ in range(25):
        row = rand_row(rng, p)
        r = golden.dequant_row(*row, p)
        assert (r.y, r.sat) == naive_row(*row, p)
        if not r.sat:   # the documented error bound of the single rounding
            assert abs(r.y - golden.dequant_row_real(*row, p)) <= 0.5


def test_dequant_row_rejects_bad_lengths() -> None:
    with pytest.raises(ValueError):
        golden.dequant_row([1, 2, 3], [1, 2, 3], [1, 1], [0, 0], TINY)
    with pytest.raises(ValueError):
        golden.dequant_row([1, 2, 3, 0], [1, 2, 3, 0], [1], [0, 0], TINY)


# ---------------------------------------------------------------------- golden: cycle model
@pytest.mark.parametrize("params", [DEFAULT_PARAMS, SET2, TINY,
                                    {**TINY, "LANES": 1, "GROUP_SIZE": 1, "K": 1}])
def test_cycle_model_latency_bubbles_and_group_sampling(params) -> None:
    p = validate_params(params)
    rng = random.Random(str(p))
    m = golden.DequantGemvModel(p)
    for bubbles in (None, lambda c: rng.random() < 0.4):
        row = rand_row(rng, p)
        feed_row(m, row, bubbles, garbage=rng)       # garbage scale/zero off group starts
        assert not m.out_valid
        for _ in range(2):
            m.tick()
            assert not m.out_valid
        m.tick()                                     # LATENCY = 3 edges after the last beat
        want = golden.dequant_row(*row, p)
        assert m.out_valid and (m.y_out, m.y_sat) == (want.y_raw(p["OUT_W"]), want.sat)
        m.tick()
        assert not m.out_valid and not m.busy
    assert m.latency == golden.LATENCY == latency(p) == 3


def test_cycle_model_back_to_back_rows_and_reset() -> None:
    p = validate_params(TINY)
    rng = random.Random(5)
    m = golden.DequantGemvModel(p)
    rows = [rand_row(rng, p) for _ in range(3)]
    seen = []
    for row in rows:                                 # rows of 2 beats at edges 1-2, 3-4, 5-6
        for b in range(2):
            m.tick(in_valid=True, w=row[0][2 * b:2 * b + 2], x=row[1][2 * b:2 * b + 2],
                   scale=row[2][b], zero=row[3][b])
            seen.append(m.out_valid)
    for _ in range(4):
        m.tick()
        seen.append(m.out_valid)
    # results LATENCY = 3 edges after each row's last beat: after edges 5, 7 and 9
    assert [e + 1 for e, v in enumerate(seen) if v] == [5, 7, 9]
    assert m.results == [golden.dequant_row(*r, p) for r in rows]
    # reset mid-row drops the partial row and the in-flight result
    feed_row(m, rows[0])
    m.tick(in_valid=True, w=[1, 1], x=[1, 1], scale=1, zero=0)     # first beat of another row
    m.tick(rst=True, in_valid=True, w=[1, 1], x=[1, 1], scale=1, zero=0)
    assert not m.out_valid and not m.busy and m.y_out == 0
    for _ in range(3):
        m.tick()
        assert not m.out_valid
    with pytest.raises(ValueError):
        m.tick(in_valid=True, w=[1], x=[1, 2])


# ---------------------------------------------------------------------- generator
def _slang(text: str):
    from pyslang.ast import Compilation
    from pyslang.syntax import SyntaxTree

    comp = Compilation()
    comp.addSyntaxTree(SyntaxTree.fromText(text, "dequant_gemv.v"))
    return comp


PARSE_SETS = [
    {}, SET2, TINY,
    {"LANES": 1, "GROUP_SIZE": 1, "K": 1, "FRAC": 0},
    {"LANES": 3, "GROUP_SIZE": 6, "K": 18, "FRAC": 16, "OUT_W": 48},
    {"WBITS": 8, "LANES": 32, "GROUP_SIZE": 1024, "K": 16384, "SCALE_W": 24, "FRAC": 24, "OUT_W": 2},
]


@pytest.mark.parametrize("overrides", PARSE_SETS)
def test_generated_rtl_elaborates_with_pyslang(overrides) -> None:
    from pyslang.ast import ArgumentDirection

    p = validate_params(overrides)
    files = generate(overrides)
    assert list(files) == ["dequant_gemv.v"]
    comp = _slang(files["dequant_gemv.v"])
    errors = [d for d in comp.getAllDiagnostics() if d.isError()]
    assert not errors, [str(d.code) for d in errors]
    tops = comp.getRoot().topInstances
    assert [t.name for t in tops] == ["dequant_gemv"]
    body = tops[0].body
    params = {x.name: int(str(x.value)) for x in body.parameters if str(x.value).lstrip("-").isdigit()}
    assert {k: params[k] for k in p} == p
    assert {k: params[k] for k in ("GS_W", "GX_W", "SC_W", "PROD_W", "ACC_W")} == widths(p)
    port_w = {"clk": 1, "rst": 1, "in_valid": 1, "out_valid": 1, "y_sat": 1,
              "w_in": p["LANES"] * p["WBITS"], "x_in": p["LANES"] * 8, "scale_in": p["SCALE_W"],
              "zero_in": p["WBITS"], "y_out": p["OUT_W"]}
    for name, width in port_w.items():
        port = body.findPort(name)
        assert port is not None, name
        assert port.type.bitWidth == width, name
        want_dir = ArgumentDirection.Out if name in ("out_valid", "y_out", "y_sat") else ArgumentDirection.In
        assert port.direction == want_dir, name


def test_accumulator_width_covers_the_worst_case() -> None:
    for over in PARSE_SETS:
        p = validate_params(over)
        w = widths(p)
        qmax = (1 << p["WBITS"]) - 1
        smag = 1 << (p["SCALE_W"] - (1 if p["SCALE_SIGNED"] else 0))
        worst = p["K"] * qmax * 128 * smag + (1 << p["FRAC"])
        assert worst < 1 << (w["ACC_W"] - 1), over
        assert p["GROUP_SIZE"] * qmax * 128 < 1 << (w["GS_W"] - 1), over
        assert p["GROUP_SIZE"] * 128 <= 1 << (w["GX_W"] - 1), over


def test_generated_rtl_is_verilog_2005_and_deterministic() -> None:
    text = render({})
    assert text == render(dict(DEFAULT_PARAMS))
    code = re.sub(r"//[^\n]*", "", text)
    assert "@" not in code.replace("@(posedge", "")
    for sv_only in ("logic ", "always_ff", "always_comb", "int ", "bit ", "'0", "'1", "typedef",
                    "interface", "++", "+=", "unique", "priority"):
        assert sv_only not in code, sv_only
    for banned in ("$display", "$finish", "initial", "$fopen"):
        assert banned not in code, banned
    assert "parameter integer WBITS        = 4," in text
    assert "parameter integer SCALE_SIGNED = 1," in render(SET2)


@pytest.mark.parametrize("bad,fragment", [
    ({"WBITS": 1}, "WBITS=1"),
    ({"WBITS": 9}, "WBITS=9"),
    ({"LANES": 0}, "LANES=0"),
    ({"LANES": 64, "GROUP_SIZE": 64, "K": 64}, "LANES=64"),
    ({"GROUP_SIZE": 12}, "GROUP_SIZE=12 must be a multiple of LANES=8"),
    ({"K": 112}, "K=112 must be a multiple of GROUP_SIZE=32"),
    ({"K": 32768}, "K=32768"),
    ({"SCALE_W": 1}, "SCALE_W=1"),
    ({"FRAC": 17}, "FRAC=17 is out of range; allowed 0..SCALE_W=16"),
    ({"OUT_W": 49}, "OUT_W=49"),
    ({"SCALE_SIGNED": 2}, "SCALE_SIGNED=2"),
    ({"LANES": "8"}, "LANES must be an integer"),
    ({"K": 128.0}, "K must be an integer"),
    ({"WBITS": True}, "WBITS must be an integer"),
    ({"ACC_W": 40}, "unknown parameter"),
])
def test_generator_rejects_bad_params(bad, fragment) -> None:
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        generate(bad)


def test_generator_accepts_bool_scale_signed() -> None:
    assert validate_params({"SCALE_SIGNED": True})["SCALE_SIGNED"] == 1


def test_template_contract() -> None:
    assert isinstance(TEMPLATE, Template)
    assert TEMPLATE.family == "dequant_gemv" and TEMPLATE.top == "dequant_gemv"
    assert TEMPLATE.test_module == "test_dequant_gemv"
    assert (TEMPLATE.package_dir / "test_dequant_gemv.py").is_file()
    assert (TEMPLATE.package_dir / "README.md").is_file()
    sets = TEMPLATE.regress_sets()
    assert dict(sets[0]) == dict(TEMPLATE.default_params) == DEFAULT_PARAMS
    assert {s["WBITS"] for s in sets} == {2, 4} and {s["SCALE_SIGNED"] for s in sets} == {0, 1}
    for s in sets:
        assert "dequant_gemv.v" in list(TEMPLATE.generate(TEMPLATE.params(s)))
    for name, values in TEMPLATE.param_space.items():
        assert name in DEFAULT_PARAMS and 3 <= len(values) <= 6, name
        for v in values:
            validate_params({name: v})
    assert TEMPLATE.latency is not None and TEMPLATE.latency(DEFAULT_PARAMS) == 3
    with pytest.raises(ConfigError):
        TEMPLATE.params({"ROWS": 4})


def test_template_is_discovered() -> None:
    from rtlsmith.rtl_templates import discover

    assert discover()["dequant_gemv"] is TEMPLATE
