"""Unit tests for the softmax template: golden model, accuracy bounds and generator (no simulator)."""
from __future__ import annotations

import math
import random
import re
from decimal import Decimal, getcontext

import pytest

from rtlsmith.errors import ConfigError
from rtlsmith.rtl_templates.base import Template
from rtlsmith.rtl_templates.softmax import TEMPLATE
from rtlsmith.rtl_templates.softmax import golden
from rtlsmith.rtl_templates.softmax.generator import DEFAULT_PARAMS, generate, latency, render, validate_params

SECOND = {"N": 5, "IN_W": 8, "FRAC": 4, "OUT_W": 12, "LUT_BITS": 2}


def fmt_of(**kw) -> golden.Formats:
    return golden.Formats.from_params({**DEFAULT_PARAMS, **kw})


# ---------------------------------------------------------------------- tables
def test_tables_by_hand() -> None:
    assert golden.int_table(16)[:3] == (65536, 24109, 8869)    # floor(65536 e^-1) = floor(24109.35)
    assert golden.int_table(16)[-2:] == (2, 1) and len(golden.int_table(16)) == 12   # KMAX = 11
    assert golden.frac_table(16, 1) == (65536, 39750)           # round(65536 e^-0.5) = round(39749.6)
    assert golden.frac_table(16, 6)[:3] == (65536, 64520, 63520)
    f = fmt_of()
    assert (f.ew, f.rw, f.one, f.sum_w, f.out_shift, f.kmax) == (16, 16, 65536, 21, 24, 11)


def test_no_table_entry_is_near_a_rounding_decision() -> None:
    """The double-precision tables equal the exact ones, with margin (so any correct
    implementation that rounds 2^EW e^-t the same way builds the same tables)."""
    getcontext().prec = 50
    closest = 1.0
    for ew in range(12, 25):                                    # OUT_W 4..16
        li = golden.int_table(ew)
        for k in range(1, len(li) + 1):
            v = Decimal(-k).exp() * (1 << ew)
            assert int(v) == (li[k] if k < len(li) else 0)     # floor; KMAX is the last non-zero
            frac = float(v - int(v))
            closest = min(closest, frac, 1 - frac)
        for lb in range(1, 11):
            lf = golden.frac_table(ew, lb)
            for j in range(1, 1 << lb):
                v = (Decimal(-j) / (1 << lb)).exp() * (1 << ew)
                assert int(v + Decimal("0.5")) == lf[j]
                closest = min(closest, abs(float(v - int(v)) - 0.5))
    assert closest > 1e-6, closest


@pytest.mark.parametrize("out_w", range(4, 17))
@pytest.mark.parametrize("lut_bits", [1, 2, 5, 8, 10])
def test_exp_is_monotone(out_w: int, lut_bits: int) -> None:
    """E(D) is non-increasing in D: within one integer part because LF is, and across every
    integer boundary because LI is rounded down (the order of the outputs follows the inputs)."""
    ew = out_w + 8
    li, lf = golden.int_table(ew), golden.frac_table(ew, lut_bits)
    assert all(a >= b for a, b in zip(lf, lf[1:]))
    assert all(a >= b for a, b in zip(li, li[1:]))
    half = 1 << (ew - 1)
    for k in range(len(li) - 1):
        assert (li[k] * lf[-1] + half) >> ew >= (li[k + 1] * lf[0] + half) >> ew, k
    assert (li[-1] * lf[-1] + half) >> ew >= 0


def test_exp_values_and_rounded_index() -> None:
    e = golden.ExpTable(fmt_of())                               # FRAC = LUT_BITS = 6
    assert e(0) == 65536 and e(64) == 24109 and e(1) == 64520
    assert e(12 * 64) == 0 and e(11 * 64) == 1                 # underflow past KMAX = 11
    with pytest.raises(ValueError):
        e(-1)
    r = golden.ExpTable(fmt_of(FRAC=6, LUT_BITS=4))            # d rounded to 1/16: drop 2 bits
    assert r.index(0) == (0, 0) and r.index(1) == (0, 0) and r.index(2) == (0, 1)   # half up
    assert r.index(61) == (0, 15) and r.index(62) == (1, 0)    # the carry into the integer part
    assert r(62) == r(64) == 24109


# ---------------------------------------------------------------------- softmax, by hand
def test_two_elements_by_hand() -> None:
    f = golden.Formats(2, 12, 6, 8, 6)
    tr = golden.softmax([0, 64], f)                            # 0.0 then 1.0: one rescale
    assert tr.m == 64 and tr.s == 65536 + 24109                # (ONE * E(1.0) >> 16) + ONE
    assert tr.r == (1 << 32) // 89645 == 47910
    assert tr.p == (69, 187)                                   # 0.2689 * 256 = 68.8, 0.7311 * 256 = 187.2
    assert golden.softmax([64, 0], f).p == (187, 69)           # no rescale: same sum
    assert golden.running_state([64, 0], golden.ExpTable(f)) == (64, 89645)


def test_uniform_dominant_and_saturation() -> None:
    f = fmt_of()
    assert golden.softmax([5] * 16, f).p == (16,) * 16         # exactly 1/16
    f5 = golden.Formats(5, 8, 4, 8, 4)
    assert golden.softmax([3] * 5, f5).p == (51,) * 5          # floor(2^16/5)/2^8 = 51.2 -> 51
    dom = golden.softmax([2047] + [-2048] * 15, f)
    assert dom.s == 65536 and dom.r == 1 << 16                 # every other term underflows
    assert dom.p == (255,) + (0,) * 15                         # 1.0 saturates to 255/256
    pair = golden.softmax([100, 100] + [-2048] * 14, f)
    assert pair.p[:2] == (128, 128) and sum(pair.p) == 256


def test_online_sum_matches_two_pass_sum() -> None:
    """With an exact table index the online recurrence loses only truncation ulps against
    the two-pass sum ONE + sum E(m - x_j)."""
    f = fmt_of(N=32)
    e = golden.ExpTable(f)
    rng = random.Random(3)
    for _ in range(200):
        xs = [rng.randint(-300, 300) for _ in range(32)]
        m, s = golden.running_state(xs, e)
        assert m == max(xs)
        two_pass = sum(e(m - x) for x in xs)
        assert abs(two_pass - s) <= 2 * 32, (two_pass, s)


def test_softmax_rejects_bad_vectors() -> None:
    f = fmt_of()
    with pytest.raises(ValueError):
        golden.softmax([0] * 15, f)
    with pytest.raises(ValueError):
        golden.softmax([2048] + [0] * 15, f)


# ---------------------------------------------------------------------- accuracy vs float
def _vectors(f: golden.Formats, rng: random.Random) -> list[list[int]]:
    lo, hi = golden.signed_range(f.in_w)
    n, one = f.n, 1 << f.frac
    c = lambda x: max(lo, min(hi, x))                           # noqa: E731
    out = [[hi] * n, [lo] * n, [hi] + [lo] * (n - 1), [lo] * (n - 1) + [hi]]
    for step in (1, 2, max(1, one // 2), one):
        b = rng.randint(lo, hi)
        out += [[c(b + step * i) for i in range(n)], [c(b - step * i) for i in range(n)],
                [c(b)] * (n // 2) + [c(b + step * i) for i in range(n - n // 2)]]
    for _ in range(25):
        centre, spread = rng.randint(lo, hi), rng.choice((3, one, 4 * one, hi - lo))
        out.append([c(centre + rng.randint(-spread, spread)) for _ in range(n)])
    return out


@pytest.mark.parametrize("params", [DEFAULT_PARAMS, SECOND,
                                    {"N": 64, "IN_W": 16, "FRAC": 8, "OUT_W": 8, "LUT_BITS": 8},
                                    {"N": 2, "IN_W": 4, "FRAC": 1, "OUT_W": 4, "LUT_BITS": 1},
                                    {"N": 200, "IN_W": 10, "FRAC": 8, "OUT_W": 16, "LUT_BITS": 4},
                                    {"N": 7, "IN_W": 20, "FRAC": 12, "OUT_W": 10, "LUT_BITS": 10}])
def test_documented_bounds_hold(params) -> None:
    f = golden.Formats.from_params(params)
    e = golden.ExpTable(f)
    bound, sbound = golden.error_bound_lsb(f), golden.sum_bound_lsb(f)
    rng = random.Random(str(params))
    for xs in _vectors(f, rng):
        p = golden.softmax(xs, f, e).p
        assert golden.error_lsb(xs, p, f) <= bound, xs
        assert abs(sum(p) - (1 << f.out_w)) <= sbound, xs
        order = sorted(range(f.n), key=lambda i: xs[i])
        assert all(p[order[i]] <= p[order[i + 1]] for i in range(f.n - 1)), xs


def test_bound_values() -> None:
    # exact index: half an LSB of rounding plus (4N+8) ulps of 2^-16 and one of 2^-16, at 2^8
    assert golden.error_bound_lsb(fmt_of()) == pytest.approx(0.5 + 256 * (73 / 65536))
    assert golden.error_bound_lsb(fmt_of()) < 0.8
    # rounded index: exp(N * 2^-(LUT_BITS+1)) - 1 dominates, capped at full scale
    f = golden.Formats.from_params(SECOND)
    assert golden.error_bound_lsb(f) > 1000
    assert golden.error_bound_lsb(golden.Formats(256, 12, 6, 8, 1)) == 256.0
    assert golden.deviation(fmt_of()) == pytest.approx(72 / 65536 + 1 / 65536)
    assert math.isclose(golden.sum_bound_lsb(fmt_of()), 8 + 1 + 256 * golden.deviation(fmt_of())
                        * (1 + golden.deviation(fmt_of())))


# ---------------------------------------------------------------------- generator
PARSE_SETS = [{}, SECOND, {"N": 2, "IN_W": 4, "FRAC": 1, "OUT_W": 4, "LUT_BITS": 1},
              {"N": 256, "IN_W": 20, "FRAC": 12, "OUT_W": 16, "LUT_BITS": 10},
              {"N": 17, "IN_W": 16, "FRAC": 15, "OUT_W": 9, "LUT_BITS": 3}]


@pytest.mark.parametrize("overrides", PARSE_SETS)
def test_generated_rtl_elaborates_with_pyslang(overrides) -> None:
    from pyslang.ast import ArgumentDirection, Compilation
    from pyslang.syntax import SyntaxTree

    p = validate_params(overrides)
    files = generate(overrides)
    assert list(files) == ["softmax.v"]
    text = files["softmax.v"]
    comp = Compilation()
    comp.addSyntaxTree(SyntaxTree.fromText(text, "softmax.v"))
    errors = [d for d in comp.getAllDiagnostics() if d.isError()]
    assert not errors, [str(d.code) for d in errors]
    tops = comp.getRoot().topInstances
    assert [t.name for t in tops] == ["softmax"]
    body = tops[0].body
    params = {x.name: int(str(x.value)) for x in body.parameters if x.name in p}
    assert params == p
    widths = {"clk": 1, "rst": 1, "in_valid": 1, "in_ready": 1, "in_data": p["IN_W"],
              "out_valid": 1, "out_ready": 1, "out_data": p["OUT_W"], "out_last": 1}
    outs = {"in_ready", "out_valid", "out_data", "out_last"}
    for name, width in widths.items():
        port = body.findPort(name)
        assert port is not None and port.type.bitWidth == width, name
        assert port.direction == (ArgumentDirection.Out if name in outs else ArgumentDirection.In), name
    # the tables in the RTL are the golden tables
    f = golden.Formats.from_params(p)
    li = [int(v) for v in re.findall(r"32'd\d+: li = \d+'d(\d+);", text)]
    lf = [int(v) for v in re.findall(rf"{f.lut_bits}'d\d+: lf = \d+'d(\d+);", text)]
    assert tuple(li) == golden.int_table(f.ew) and tuple(lf) == golden.frac_table(f.ew, f.lut_bits)


def test_generated_rtl_is_verilog_2005_and_deterministic() -> None:
    text = render({})
    assert text == render(dict(DEFAULT_PARAMS))
    code = re.sub(r"//[^\n]*", "", text)
    assert "@" not in code.replace("@(posedge", "").replace("@*", "")
    words = re.findall(r"\b(logic|always_ff|always_comb|int|bit|typedef|unique|priority|initial)\b", code)
    assert not words, words
    for sv_only in ("'0", "'1", "++", "+=", "$display", "$finish", "$fopen"):
        assert sv_only not in code, sv_only
    assert "parameter integer LUT_BITS = 6" in text


def test_latency() -> None:
    assert latency({}) == 23                                    # RW + 7, RW = OUT_W + 8
    assert latency(SECOND) == 27
    assert TEMPLATE.latency is latency


@pytest.mark.parametrize("bad,fragment", [
    ({"N": 1}, "N=1"),
    ({"N": 257}, "N=257"),
    ({"IN_W": 3}, "IN_W=3"),
    ({"FRAC": 12}, "FRAC=12 is out of range; allowed 1..IN_W-1=11"),
    ({"FRAC": 0}, "FRAC=0"),
    ({"OUT_W": 17}, "OUT_W=17"),
    ({"LUT_BITS": 7}, "LUT_BITS=7 is out of range; allowed 1..FRAC=6"),
    ({"LUT_BITS": 11, "FRAC": 11, "IN_W": 16}, "LUT_BITS=11"),
    ({"N": "16"}, "N must be an integer"),
    ({"OUT_W": 8.0}, "OUT_W must be an integer"),
    ({"N": True}, "N must be an integer"),
    ({"LANES": 2}, "unknown parameter"),
])
def test_generator_rejects_bad_params(bad, fragment) -> None:
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        generate(bad)


def test_template_contract() -> None:
    assert isinstance(TEMPLATE, Template)
    assert TEMPLATE.family == "softmax" and TEMPLATE.top == "softmax"
    assert TEMPLATE.test_module == "test_softmax"
    assert (TEMPLATE.package_dir / "test_softmax.py").is_file()
    assert (TEMPLATE.package_dir / "README.md").is_file()
    sets = TEMPLATE.regress_sets()
    assert dict(sets[0]) == dict(TEMPLATE.default_params) and len(sets) == 2
    assert any(s["LUT_BITS"] < s["FRAC"] for s in sets)           # the rounded-index path
    for s in sets:
        assert "softmax.v" in TEMPLATE.generate(TEMPLATE.params(s))
    for name, values in TEMPLATE.param_space.items():
        assert name in TEMPLATE.default_params and len(values) >= 3
        for v in values:
            validate_params({name: v})
    with pytest.raises(ConfigError):
        TEMPLATE.params({"K": 16})


def test_template_is_discovered() -> None:
    from rtlsmith.rtl_templates import discover

    assert discover()["softmax"] is TEMPLATE
