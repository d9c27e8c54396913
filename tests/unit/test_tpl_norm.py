"""Unit tests for the norm template: golden model and generator (no simulator)."""
from __future__ import annotations

import math
import random
import re

import pytest

from rtlsmith.errors import ConfigError
from rtlsmith.rtl_templates.base import Template
from rtlsmith.rtl_templates.norm import TEMPLATE
from rtlsmith.rtl_templates.norm import golden
from rtlsmith.rtl_templates.norm.generator import (DEFAULT_PARAMS, generate, latency, render,
                                                   validate_params)

RMS12 = {"MODE": "rms", "N": 12, "LANES": 3, "IN_W": 8, "OUT_W": 8, "EPS": 1}
CONFIGS = [
    dict(DEFAULT_PARAMS),
    RMS12,
    {"MODE": "layer", "N": 2, "LANES": 2, "IN_W": 4, "OUT_W": 4, "EPS": 1},
    {"MODE": "rms", "N": 1024, "LANES": 16, "IN_W": 16, "OUT_W": 16, "EPS": 65535},
    {"MODE": "layer", "N": 6, "LANES": 1, "IN_W": 10, "OUT_W": 12, "EPS": 3},
    {"MODE": "layer", "N": 768, "LANES": 8, "IN_W": 8, "OUT_W": 8, "EPS": 100},
]


def _ids(p) -> str:
    return "-".join(str(v) for v in p.values())


# ---------------------------------------------------------------------- hand-computed cases
def test_hand_computed_layernorm_pair() -> None:
    # x = [1, -1]: mean 0, var 1, eps = 1 LSB^2 -> z = +-1/sqrt(2) = +-0.7071
    # S1 = 0, S2 = 2, V = 2*2 - 0 = 4, W = 4 + 2^2*1 = 8, c = +-2, z = 2/sqrt(8)
    d = golden.derive({"MODE": "layer", "N": 2, "LANES": 1, "IN_W": 8, "OUT_W": 8, "EPS": 1})
    assert golden.statistics(d, [1, -1]) == (0, 2, 8)
    # gamma = 64 (1.0 with 6 fractional bits), beta 0: y = +-45.25 -> 45, -45 (half up)
    assert golden.normalize(d, [1, -1], [64, 64], [0, 0]) == [45, -45]
    # beta shifts, gamma scales; saturation at the 8-bit range
    assert golden.normalize(d, [1, -1], [64, 64], [10, -10]) == [55, -55]
    assert golden.normalize(d, [1, -1], [127, 127], [127, -128]) == [127, -128]
    assert golden.normalize(d, [5, 5], [64, 64], [3, -7]) == [3, -7]     # variance 0: z = 0


def test_hand_computed_rmsnorm() -> None:
    # x = [3, 4]: mean square 12.5, eps 1 -> 1/sqrt(13.5); z = 0.8165, 1.0887
    d = golden.derive({"MODE": "rms", "N": 2, "LANES": 2, "IN_W": 8, "OUT_W": 12, "EPS": 1})
    s1, s2, w = golden.statistics(d, [3, 4])
    assert (s2, w) == (25, 2 * 25 + 4)                    # V = N*S2, W = V + N^2*EPS
    y = golden.normalize(d, [3, 4], [1024, 1024])         # gamma = 1.0 in Q2.10
    assert y == [round(3 / math.sqrt(13.5) * 1024), round(4 / math.sqrt(13.5) * 1024)] == [836, 1115]
    assert golden.normalize(d, [0, 0], [1024, 1024]) == [0, 0]            # eps only: z = 0


# ---------------------------------------------------------------------- inverse square root
@pytest.mark.parametrize("params", CONFIGS, ids=_ids)
def test_bitserial_rsqrt_is_exact_floor(params) -> None:
    d = golden.derive(params)
    rng = random.Random(_ids(params))
    lo, hi = 1 << (d.m - 2), (1 << d.m) - 1
    for wt in [lo, lo + 1, hi, hi - 1] + [rng.randint(lo, hi) for _ in range(300)]:
        r = golden.rsqrt_bitserial(d, wt)
        assert r == math.isqrt((1 << (2 * d.k)) // wt)
        assert r * r * wt <= 1 << (2 * d.k) < (r + 1) * (r + 1) * wt     # floor(2^K/sqrt(Wt))
        assert 1 << (d.rb - 1) <= r <= 1 << d.rb                          # RB+1 bits
    assert golden.rsqrt_bitserial(d, lo) == 1 << d.rb


@pytest.mark.parametrize("params", CONFIGS, ids=_ids)
def test_normalise_shift_puts_w_at_the_top(params) -> None:
    d = golden.derive(params)
    for w in (d.nne, d.nne + 1, (1 << d.wb) - 1, 1 << (d.wb - 1), 3 * d.nne + 7):
        s, wt = golden.normalise_shift(d, w)
        assert 0 <= s <= d.s_max if w >= d.nne else True
        assert 1 << (d.wb - 2) <= w << (2 * s) < 1 << d.wb
        assert wt == (w << (2 * s)) >> (d.wb - d.m) and wt.bit_length() in (d.m - 1, d.m)
    with pytest.raises(ValueError):
        golden.normalise_shift(d, 0)


# ---------------------------------------------------------------------- whole vectors
@pytest.mark.parametrize("params", CONFIGS, ids=_ids)
def test_statistics_are_exact(params) -> None:
    d = golden.derive(params)
    rng = random.Random(1)
    lo, hi = d.in_range
    xs = [rng.randint(lo, hi) for _ in range(d.n)]
    s1, s2, w = golden.statistics(d, xs)
    mean = s1 / d.n
    if d.mode == "layer":
        var_n2 = sum((d.n * x - s1) ** 2 for x in xs) // d.n          # N^2 * variance, exact
        assert w - d.nne == var_n2 == d.n * s2 - s1 * s1
    else:
        assert w - d.nne == d.n * s2
    assert w < 1 << d.wb and mean == pytest.approx(sum(xs) / d.n)


@pytest.mark.parametrize("params", CONFIGS, ids=_ids)
def test_random_vectors_within_error_bound(params) -> None:
    d = golden.derive(params)
    rng = random.Random(_ids(params))
    lo, hi = d.in_range
    ylo, yhi = d.out_range
    worst = 0.0
    for it in range(12 if d.n > 100 else 60):
        scale = rng.choice([1, 3, hi // 8 or 1, hi])
        off = rng.choice([0, 0, hi // 2])
        xs = [max(lo, min(hi, off + rng.randint(-scale, scale))) for _ in range(d.n)]
        gs = [rng.randint(ylo, yhi) for _ in range(d.n)]
        bs = [rng.randint(ylo // 4, yhi // 4) for _ in range(d.n)]
        y = golden.normalize(d, xs, gs, bs)
        ref = golden.reference(d, xs, gs, bs)
        bound = golden.error_bound_lsb(d, xs, gs)
        for yi, ri, bi in zip(y, ref, bound):
            assert ylo <= yi <= yhi
            if ylo <= ri <= yhi:
                assert abs(yi - ri) <= bi
                worst = max(worst, abs(yi - ri))
            else:                                                # saturates to the near end
                assert yi == (yhi if ri > yhi else ylo)
    assert worst < 1.0


def test_documented_global_bound_is_below_one_lsb() -> None:
    # |gamma*z| <= 2^OUT_W for in-range results: 0.5 + 1/4 + 1/4 (+ tiny truncation term)
    for params in CONFIGS:
        d = golden.derive(params)
        delta = max(2.0 ** -(d.rb - 1), 2.0 ** -(d.m - 1) if d.m < d.wb else 0.0)
        assert 0.5 + 2 ** d.out_w * delta + 2 ** (d.out_w - 1) * 2.0 ** -(d.zf + 1) <= 1.0 + 2 ** -10


def test_z_register_is_wide_enough_for_the_extremes() -> None:
    # |z| <= sqrt(N-1) (layer) / sqrt(N) (rms): the one-spike vector reaches it
    for params in CONFIGS:
        d = golden.derive(params)
        lo, hi = d.in_range
        for xs in ([hi] + [0] * (d.n - 1), [lo] + [hi] * (d.n - 1), [lo] * d.n):
            golden.normalize(d, xs, [1] * d.n, [0] * d.n)         # asserts z fits Z_W bits


def test_normalize_rejects_bad_lengths() -> None:
    d = golden.derive(DEFAULT_PARAMS)
    with pytest.raises(ValueError):
        golden.normalize(d, [0] * 63, [0] * 64, [0] * 64)
    with pytest.raises(ValueError):
        golden.normalize(d, [0] * 64, [0] * 64, None)            # layer needs betas
    rms = golden.derive(RMS12)
    assert golden.normalize(rms, [1] * 12, [5] * 12, None) == golden.normalize(rms, [1] * 12, [5] * 12, [9] * 12)


def test_latency_and_derived_default_widths() -> None:
    d = golden.derive(DEFAULT_PARAMS)
    assert d.latency == latency({}) == 28 == DEFAULT_PARAMS["OUT_W"] + 12
    assert latency(RMS12) == 20
    assert (d.beats, d.wb, d.m, d.rb, d.k, d.zf) == (16, 44, 38, 19, 37, 16)


# ---------------------------------------------------------------------- generator
def _elaborate(text: str):
    from pyslang.ast import Compilation
    from pyslang.syntax import SyntaxTree

    comp = Compilation()
    comp.addSyntaxTree(SyntaxTree.fromText(text, "norm.v"))
    return comp


@pytest.mark.parametrize("params", CONFIGS, ids=_ids)
def test_generated_rtl_elaborates_with_pyslang(params) -> None:
    from pyslang.ast import ArgumentDirection

    p = validate_params(params)
    files = generate(params)
    assert list(files) == ["norm.v"]
    comp = _elaborate(files["norm.v"])
    errors = [diag for diag in comp.getAllDiagnostics() if diag.isError()]
    assert not errors, [str(diag.code) for diag in errors]
    tops = comp.getRoot().topInstances
    assert [t.name for t in tops] == ["norm"]
    body = tops[0].body
    lanes, beats = p["LANES"], p["N"] // p["LANES"]
    ports = {"clk": (1, "in"), "rst": (1, "in"), "in_valid": (1, "in"), "in_ready": (1, "out"),
             "in_data": (lanes * p["IN_W"], "in"), "out_valid": (1, "out"), "out_ready": (1, "in"),
             "out_data": (lanes * p["OUT_W"], "out"), "out_last": (1, "out"), "gb_we": (1, "in"),
             "gb_addr": (max(1, (beats - 1).bit_length()), "in"), "gb_gamma": (lanes * p["OUT_W"], "in")}
    if p["MODE"] == "layer":
        ports["gb_beta"] = (lanes * p["OUT_W"], "in")
    else:
        assert body.findPort("gb_beta") is None
    for name, (width, direction) in ports.items():
        port = body.findPort(name)
        assert port is not None and port.type.bitWidth == width, name
        want = ArgumentDirection.Out if direction == "out" else ArgumentDirection.In
        assert port.direction == want, name


def test_generated_rtl_is_plain_verilog_and_deterministic() -> None:
    text = render({})
    assert text == render(dict(DEFAULT_PARAMS))
    assert not re.search(r"@[A-Z_0-9]+@", text)
    code = re.sub(r"//[^\n]*", "", text)
    for banned in ("logic ", "always_ff", "always_comb", "$display", "$finish", "initial",
                   "$fopen", "'0", "'1"):
        assert banned not in code, banned
    assert "first output beat is valid 28 cycles after" in text
    rms = render(RMS12)
    rms_code = re.sub(r"//[^\n]*", "", rms)
    assert "gb_beta" not in rms_code and not re.search(r"\bs1\b", rms_code)   # no mean in rms


@pytest.mark.parametrize("bad,fragment", [
    ({"MODE": "batch"}, "MODE='batch'"),
    ({"MODE": 0}, "MODE=0"),
    ({"N": 1}, "N=1"),
    ({"N": 1025}, "N=1025"),
    ({"N": 10, "LANES": 4}, "N=10 must be a multiple of LANES=4"),
    ({"LANES": 17, "N": 34}, "LANES=17"),
    ({"IN_W": 3}, "IN_W=3"),
    ({"OUT_W": 17}, "OUT_W=17"),
    ({"EPS": 0}, "EPS=0"),
    ({"EPS": 65536}, "EPS=65536"),
    ({"N": "64"}, "N must be an integer"),
    ({"EPS": 1.5}, "EPS must be an integer"),
    ({"LANES": True}, "LANES must be an integer"),
    ({"OUT_FRAC": 8}, "unknown parameter"),
])
def test_generator_rejects_bad_params(bad, fragment) -> None:
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        generate(bad)


def test_mode_is_case_insensitive() -> None:
    assert validate_params({"MODE": "RMS"})["MODE"] == "rms"


def test_template_contract() -> None:
    assert isinstance(TEMPLATE, Template)
    assert TEMPLATE.family == "norm" == TEMPLATE.top
    assert TEMPLATE.test_module == "test_norm"
    assert (TEMPLATE.package_dir / "test_norm.py").is_file()
    assert (TEMPLATE.package_dir / "README.md").is_file()
    sets = TEMPLATE.regress_sets()
    assert dict(sets[0]) == dict(DEFAULT_PARAMS) and len(sets) == 2
    assert {s["MODE"] for s in sets} == {"layer", "rms"}
    for name, values in TEMPLATE.param_space.items():
        assert name in DEFAULT_PARAMS and 3 <= len(values) <= 6
        for v in values:
            validate_params({name: v})
    assert TEMPLATE.latency is latency
    with pytest.raises(ConfigError):
        TEMPLATE.params({"OUT_FRAC": 2})


def test_template_is_discovered() -> None:
    from rtlsmith.rtl_templates import discover

    assert discover()["norm"] is TEMPLATE
