"""Unit tests for the bfp template: golden model and generator (no simulator)."""
from __future__ import annotations

import random
import re

import pytest

from rtlsmith.errors import ConfigError
from rtlsmith.rtl_templates.base import Template
from rtlsmith.rtl_templates.bfp import TEMPLATE
from rtlsmith.rtl_templates.bfp import golden
from rtlsmith.rtl_templates.bfp.generator import DEFAULT_PARAMS, generate, latency, render, validate_params

FLOOR, RNE = golden.ROUND_FLOOR, golden.ROUND_RNE


# ---------------------------------------------------------------------- scalar helpers
@pytest.mark.parametrize("x,width", [(0, 1), (-1, 1), (1, 2), (-2, 2), (2, 3), (-3, 3), (127, 8),
                                     (-128, 8), (128, 9), (-129, 9), (32767, 16), (-32768, 16)])
def test_signed_width(x: int, width: int) -> None:
    assert golden.signed_width(x) == width
    lo, hi = golden.signed_range(width)
    assert lo <= x <= hi
    if width > 1:
        lo1, hi1 = golden.signed_range(width - 1) if width > 2 else (-1, 0)
        assert not lo1 <= x <= hi1


def test_min_exp_w_and_pack() -> None:
    assert golden.min_exp_w(16, 8) == 4          # exponents 0..8
    assert golden.min_exp_w(16, 9) == 3          # 0..7
    assert golden.min_exp_w(3, 2) == 1
    raw = golden.pack_lanes([-1, 5, -128], 8)
    assert raw == 0x80_05_FF
    assert golden.unpack_lanes(raw, 3, 8, signed=True) == [-1, 5, -128]


# ---------------------------------------------------------------------- encode, by hand
def test_encode_hand_example() -> None:
    # 1000 needs 11 signed bits -> e = 11 - 8 = 3
    block = [1000, -3, 0, 5]
    assert golden.encode(block, 16, 8, RNE) == (3, [125, 0, 0, 1])    # -0.375 -> 0, 0.625 -> 1
    assert golden.encode(block, 16, 8, FLOOR) == (3, [125, -1, 0, 0])  # floor(-0.375) = -1


def test_rne_ties_go_to_even() -> None:
    # e = 3 forced by 1000; half = 4: x/8 = 1.5, 2.5, -1.5, -2.5, 3.5, -3.5
    e, m = golden.encode([1000, 12, 20, -12, -20, 28, -28], 16, 8, RNE)
    assert e == 3 and m[1:] == [2, 2, -2, -2, 4, -4]
    # just above / below a tie
    e, m = golden.encode([1000, 13, 11, -13, -11], 16, 8, RNE)
    assert m[1:] == [2, 1, -2, -1]
    e, m = golden.encode([1000, 12, 20, -12, -20], 16, 8, FLOOR)
    assert m[1:] == [1, 2, -2, -3]


def test_round_up_saturates_only_positive() -> None:
    e, m = golden.encode([32767, -32768, 32640, 32639], 16, 8, RNE)
    # 32767/256 = 127.996 -> 128 -> saturates to 127; 32640/256 = 127.5 tie, 127 odd -> 128 -> 127
    assert e == 8 and m == [127, -128, 127, 127]
    e, m = golden.encode([32767, -32768], 16, 8, FLOOR)
    assert m == [127, -128]


def test_exponent_zero_when_everything_fits() -> None:
    assert golden.encode([127, -128, 0, 1], 16, 8, RNE) == (0, [127, -128, 0, 1])
    assert golden.encode([0] * 8, 16, 8, RNE) == (0, [0] * 8)
    assert golden.encode([-1] * 4, 16, 8, FLOOR) == (0, [-1] * 4)
    assert golden.encode([128], 16, 8, FLOOR) == (1, [64])


def test_encode_reads_bit_patterns() -> None:
    # 0xFFFF is -1 as a 16-bit element
    assert golden.encode([0xFFFF, 0x8000], 16, 8, FLOOR) == golden.encode([-1, -32768], 16, 8, FLOOR)


@pytest.mark.parametrize("in_w,mant_w", [(16, 8), (12, 4), (8, 7), (3, 2), (32, 12)])
@pytest.mark.parametrize("round_mode", [FLOOR, RNE])
def test_encode_properties(in_w: int, mant_w: int, round_mode: int) -> None:
    rng = random.Random(f"{in_w}/{mant_w}/{round_mode}")
    lo, hi = golden.signed_range(in_w)
    mlo, mhi = golden.signed_range(mant_w)
    for _ in range(300):
        w = rng.randint(1, in_w)
        wl, wh = golden.signed_range(w) if w > 1 else (-1, 0)
        xs = [rng.randint(wl, wh) for _ in range(rng.randint(1, 9))]
        e, ms = golden.encode(xs, in_w, mant_w, round_mode)
        assert 0 <= e <= in_w - mant_w
        # minimal: every x >> e fits MANT_W bits, and with e-1 at least one does not
        assert all(mlo <= x >> e <= mhi for x in xs)
        if e:
            assert any(not mlo <= x >> (e - 1) <= mhi for x in xs)
        assert all(mlo <= m <= mhi for m in ms)
        ys = golden.decode(e, ms, in_w, mant_w)
        for x, m, y in zip(xs, ms, ys):
            assert lo <= y <= hi and y == m << e                    # exact for encoder exponents
            assert abs(y - x) <= golden.error_bound(e, round_mode)
            if round_mode == FLOOR:
                assert y <= x < y + (1 << e)
            elif m != mhi:                                           # not the saturated carry
                assert 2 * abs(y - x) <= (1 << e)


# ---------------------------------------------------------------------- decode
def test_decode_saturates_large_exponents() -> None:
    assert golden.decode(3, [125, -1, 0], 16, 8) == [1000, -8, 0]
    assert golden.decode(15, [1, -1, -2, 0], 16, 8) == [32767, -32768, -32768, 0]
    assert golden.decode(8, [127, -128], 16, 8) == [32512, -32768]
    assert golden.decode(9, [64, -64, 63], 16, 8) == [32767, -32768, 32256]
    assert golden.decode(0, [0xFF], 16, 8) == [-1]                 # mantissa bits read as signed


# ---------------------------------------------------------------------- cycle model
def test_model_latency_and_independent_paths() -> None:
    m = golden.BfpCodecModel(block=2, in_w=16, mant_w=8, exp_w=4, round_mode=RNE)
    assert golden.LATENCY == 2 == latency({})
    m.tick(enc_valid=True, enc_data=[1000, 5])                     # cycle 0
    assert m.enc_out is None and m.dec_out is None
    m.tick(dec_valid=True, dec_exp=1, dec_mant=[3, -3])            # cycle 1: encoder result out
    assert m.enc_out == golden.EncOut(3, (125, 1)) and m.dec_out is None
    m.tick()                                                        # cycle 2: decoder result out
    assert m.enc_out is None and m.dec_out == golden.DecOut((6, -6))
    m.tick()
    assert m.enc_out is None and m.dec_out is None


def test_model_back_to_back_and_reset() -> None:
    m = golden.BfpCodecModel.from_params(dict(DEFAULT_PARAMS))
    blocks = [[i * 100 + j for j in range(8)] for i in range(4)]
    outs = []
    for b in blocks + [None, None]:
        m.tick(enc_valid=b is not None, enc_data=b)
        outs.append(m.enc_out)
    assert outs[0] is None and [o.mants for o in outs[1:5]] == [tuple(golden.encode(b, 16, 8, RNE)[1])
                                                               for b in blocks]
    m.tick(enc_valid=True, enc_data=blocks[0])
    m.tick(rst=True, enc_valid=True, enc_data=blocks[1])
    assert m.enc_out is None
    m.tick()
    assert m.enc_out is None                                        # in-flight and same-cycle beats dropped
    with pytest.raises(ValueError):
        m.tick(enc_valid=True, enc_data=[1, 2])


# ---------------------------------------------------------------------- generator
PARSE_SETS = [{}, {"BLOCK": 4, "IN_W": 12, "MANT_W": 4, "EXP_W": 5, "ROUND": 0},
              {"BLOCK": 1, "IN_W": 3, "MANT_W": 2, "EXP_W": 1},
              {"BLOCK": 64, "IN_W": 32, "MANT_W": 31, "EXP_W": 8, "ROUND": True}]


@pytest.mark.parametrize("overrides", PARSE_SETS)
def test_generated_rtl_elaborates_with_pyslang(overrides) -> None:
    from pyslang.ast import ArgumentDirection, Compilation
    from pyslang.syntax import SyntaxTree

    p = validate_params(overrides)
    files = generate(overrides)
    assert list(files) == ["bfp_codec.v"]
    comp = Compilation()
    comp.addSyntaxTree(SyntaxTree.fromText(files["bfp_codec.v"], "bfp_codec.v"))
    errors = [d for d in comp.getAllDiagnostics() if d.isError()]
    assert not errors, [str(d.code) for d in errors]
    tops = comp.getRoot().topInstances
    assert [t.name for t in tops] == ["bfp_codec"]
    body = tops[0].body
    params = {x.name: int(str(x.value)) for x in body.parameters if x.name in p}
    assert params == p
    b, w, mw, ew = p["BLOCK"], p["IN_W"], p["MANT_W"], p["EXP_W"]
    widths = {"clk": 1, "rst": 1, "enc_in_valid": 1, "enc_in_data": b * w, "enc_out_valid": 1,
              "enc_out_exp": ew, "enc_out_mant": b * mw, "dec_in_valid": 1, "dec_in_exp": ew,
              "dec_in_mant": b * mw, "dec_out_valid": 1, "dec_out_data": b * w}
    for name, width in widths.items():
        port = body.findPort(name)
        assert port is not None and port.type.bitWidth == width, name
        want = ArgumentDirection.Out if "_out_" in name else ArgumentDirection.In
        assert port.direction == want, name


def test_generated_rtl_is_verilog_2005_and_deterministic() -> None:
    text = render({})
    assert text == render(dict(DEFAULT_PARAMS))
    code = re.sub(r"//[^\n]*", "", text)
    assert "@" not in code.replace("@(posedge", "").replace("@*", "")
    words = re.findall(r"\b(logic|always_ff|always_comb|int|bit|typedef|unique|priority|initial)\b", code)
    assert not words, words
    for sv_only in ("'0", "'1", "++", "+=", "$display", "$finish", "$fopen"):
        assert sv_only not in code, sv_only
    assert "parameter integer ROUND  = 1" in text
    assert "parameter integer ROUND  = 0" in render({"ROUND": 0})


@pytest.mark.parametrize("bad,fragment", [
    ({"BLOCK": 0}, "BLOCK=0"),
    ({"BLOCK": 65}, "BLOCK=65"),
    ({"IN_W": 2}, "IN_W=2"),
    ({"IN_W": 33}, "IN_W=33"),
    ({"MANT_W": 16}, "MANT_W=16 is out of range; allowed 2..IN_W-1=15"),
    ({"MANT_W": 1}, "MANT_W=1"),
    ({"EXP_W": 3}, "EXP_W=3 is out of range; the largest exponent IN_W-MANT_W=8 needs EXP_W >= 4"),
    ({"EXP_W": 9}, "EXP_W=9"),
    ({"ROUND": 2}, "ROUND=2"),
    ({"BLOCK": "8"}, "BLOCK must be an integer"),
    ({"IN_W": 16.0}, "IN_W must be an integer"),
    ({"BLOCK": True}, "BLOCK must be an integer"),
    ({"DEPTH": 4}, "unknown parameter"),
])
def test_generator_rejects_bad_params(bad, fragment) -> None:
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        generate(bad)


def test_generator_accepts_bool_round_and_small_exp_w() -> None:
    assert validate_params({"ROUND": False})["ROUND"] == 0
    assert validate_params({"IN_W": 16, "MANT_W": 9, "EXP_W": 3})["EXP_W"] == 3


def test_template_contract() -> None:
    assert isinstance(TEMPLATE, Template)
    assert TEMPLATE.family == "bfp" and TEMPLATE.top == "bfp_codec" and TEMPLATE.test_module == "test_bfp"
    assert (TEMPLATE.package_dir / "test_bfp.py").is_file()
    assert (TEMPLATE.package_dir / "README.md").is_file()
    sets = TEMPLATE.regress_sets()
    assert dict(sets[0]) == dict(TEMPLATE.default_params) and len(sets) == 2
    assert {s["ROUND"] for s in sets} == {0, 1}                       # both rounding modes
    for s in sets:
        assert "bfp_codec.v" in TEMPLATE.generate(TEMPLATE.params(s))
    for name, values in TEMPLATE.param_space.items():
        assert name in TEMPLATE.default_params and 3 <= len(values) or name == "ROUND"
        for v in values:
            validate_params({name: v})                                # valid with the defaults
    assert TEMPLATE.latency is not None and TEMPLATE.latency(dict(DEFAULT_PARAMS)) == 2
    with pytest.raises(ConfigError):
        TEMPLATE.params({"K": 16})


def test_template_is_discovered() -> None:
    from rtlsmith.rtl_templates import discover

    assert discover()["bfp"] is TEMPLATE
