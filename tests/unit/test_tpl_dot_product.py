"""Unit tests for the dot_product template: golden model and generator (no simulator)."""
from __future__ import annotations

import itertools
import random
import re

import pytest

from rtlsmith.errors import ConfigError
from rtlsmith.rtl_templates.base import Template
from rtlsmith.rtl_templates.dot_product import TEMPLATE
from rtlsmith.rtl_templates.dot_product import golden
from rtlsmith.rtl_templates.dot_product.generator import (DEFAULT_PARAMS, generate, latency, max_pipe,
                                                          pipeline_cuts, render, validate_params)

SMALL_WRAP = {"LANES": 5, "IN_W": 4, "ACC_W": 12, "SIGNED": 0, "PIPE": 3}


def naive_dot(a: list[int], b: list[int], in_w: int, signed: bool) -> int:
    """Exact integer dot product of the IN_W-bit patterns (independent of golden)."""
    def val(x: int) -> int:
        x %= 1 << in_w
        return x - (1 << in_w) if signed and x >= 1 << (in_w - 1) else x

    return sum(val(x) * val(y) for x, y in zip(a, b))


def rand_vec(rng: random.Random, n: int, in_w: int, signed: bool) -> list[int]:
    lo, hi = (-(1 << (in_w - 1)), (1 << (in_w - 1)) - 1) if signed else (0, (1 << in_w) - 1)
    return [rng.randint(lo, hi) for _ in range(n)]


def run(model: golden.DotProductModel, beats, valid_pattern=None) -> list[tuple[int, int]]:
    """Present ``beats`` (a, b, clear) with optional bubbles and drain; (cycle, acc) per result.

    Cycle numbering: the first tick ends cycle 0, so outputs after tick ``c`` belong to cycle c+1.
    """
    out = []
    cyc = k = 0
    while k < len(beats) or model.in_flight:
        if k < len(beats) and (valid_pattern is None or valid_pattern(cyc)):
            a, b, clear = beats[k]
            model.tick(in_valid=True, a=a, b=b, acc_clear=clear)
            k += 1
        else:
            model.tick(acc_clear=True)                   # ignored without in_valid
        cyc += 1
        if model.out_valid:
            out.append((cyc, model.acc))
        assert cyc < 10_000
    return out


# ---------------------------------------------------------------------- golden: functional
def test_dot_hand_computed() -> None:
    assert golden.dot([1, 2, 3], [4, 5, 6], in_w=8, acc_w=32, signed=False) == 32
    d = golden.dot([-1, 2], [3, -4], in_w=8, acc_w=16, signed=True)   # -3 - 8 = -11
    assert d == (-11) & 0xFFFF and golden.to_signed(d, 16) == -11
    # the bit pattern counts: 0xFF is -1 when signed, 255 when unsigned
    assert golden.dot([0xFF], [3], in_w=8, acc_w=16, signed=True) == 0xFFFD
    assert golden.dot([0xFF], [3], in_w=8, acc_w=16, signed=False) == 765
    # INT8 corner: 8 lanes of -128 * -128 = 131072, exact in 32 bits, wraps in 16
    assert golden.dot([-128] * 8, [-128] * 8, in_w=8, acc_w=32, signed=True) == 131072
    assert golden.dot([-128] * 8, [-128] * 8, in_w=8, acc_w=16, signed=True) == 0
    # unsigned 4-bit, 5 lanes, 12-bit accumulator: 5 * 225 = 1125 (fits)
    assert golden.dot([15] * 5, [15] * 5, in_w=4, acc_w=12, signed=False) == 1125
    with pytest.raises(ValueError):
        golden.dot([1, 2], [3], in_w=8, acc_w=16, signed=True)


def test_accumulate_semantics_and_wrap() -> None:
    beats = [([1, 1], [2, 3], True), ([1, 0], [4, 9], False), ([2, 2], [1, 1], True),
             ([0, 0], [5, 5], False)]
    assert golden.accumulate(beats, in_w=8, acc_w=16, signed=False) == [5, 9, 4, 4]
    # no clear on the first beat: starts from acc0
    assert golden.accumulate([([1], [1], False)], in_w=8, acc_w=16, signed=False, acc0=41) == [42]
    # unsigned 4-bit, 12-bit acc: 4 beats of 1125 = 4500 -> 4500 - 4096 = 404
    run4 = [([15] * 5, [15] * 5, k == 0) for k in range(4)]
    assert golden.accumulate(run4, in_w=4, acc_w=12, signed=False)[-1] == 404
    # signed accumulation goes negative as raw two's complement
    neg = [([-8], [7], k == 0) for k in range(3)]
    assert [golden.to_signed(v, 8) for v in golden.accumulate(neg, in_w=4, acc_w=8, signed=True)] == \
        [-56, -112, 88]                                   # -168 wraps to 88 in 8 bits


@pytest.mark.parametrize("lanes,in_w,acc_w,signed", [
    (8, 8, 32, True), (8, 8, 32, False), (5, 4, 12, False), (1, 2, 4, True), (64, 16, 64, True),
    (3, 3, 6, True),
])
def test_accumulate_matches_naive(lanes, in_w, acc_w, signed) -> None:
    rng = random.Random(f"{lanes}{in_w}{acc_w}{signed}")
    beats = [(rand_vec(rng, lanes, in_w, signed), rand_vec(rng, lanes, in_w, signed),
              rng.random() < 0.3) for _ in range(40)]
    acc, want = 0, []
    for a, b, clear in beats:
        acc = ((0 if clear else acc) + naive_dot(a, b, in_w, signed)) % (1 << acc_w)
        want.append(acc)
    assert golden.accumulate(beats, in_w=in_w, acc_w=acc_w, signed=signed) == want


# ---------------------------------------------------------------------- golden: cycle model
@pytest.mark.parametrize("pipe", [0, 1, 2, 3, 4])
def test_cycle_model_latency(pipe) -> None:
    m = golden.DotProductModel(lanes=8, in_w=8, acc_w=32, signed=True, pipe=pipe)
    assert m.latency == pipe + 1 == latency({"PIPE": pipe})
    beats = [([1] * 8, [k] * 8, True) for k in range(1, 4)]
    # presented in cycles 0, 2, 3 (bubble in cycle 1): results in cycles 0+L, 2+L, 3+L
    got = run(m, beats, lambda cyc: cyc != 1)
    lat = pipe + 1
    assert got == [(lat, 8), (2 + lat, 16), (3 + lat, 24)]


def test_cycle_model_acc_holds_and_clear_travels_with_beat() -> None:
    m = golden.DotProductModel(lanes=2, in_w=8, acc_w=16, signed=False, pipe=2)
    m.tick(in_valid=True, a=[1, 1], b=[1, 1], acc_clear=True)      # dot 2
    m.tick(in_valid=True, a=[2, 2], b=[1, 1], acc_clear=False)     # dot 4
    m.tick(in_valid=True, a=[5, 0], b=[1, 0], acc_clear=True)      # dot 5, restarts
    assert (m.out_valid, m.acc) == (True, 2)
    m.tick(acc_clear=True)                                          # ignored: not valid
    assert (m.out_valid, m.acc) == (True, 6)
    m.tick()
    assert (m.out_valid, m.acc) == (True, 5)
    for _ in range(3):
        m.tick(acc_clear=True)
        assert (m.out_valid, m.acc, m.in_flight) == (False, 5, 0)  # holds


def test_cycle_model_reset() -> None:
    m = golden.DotProductModel(lanes=2, in_w=8, acc_w=16, signed=True, pipe=1)
    m.tick(in_valid=True, a=[3, 3], b=[3, 3], acc_clear=True)
    m.tick(in_valid=True, a=[1, 1], b=[1, 1])
    assert m.acc == 18 and m.in_flight == 1
    m.tick(rst=True, in_valid=True, a=[7, 7], b=[7, 7])            # drops both
    assert (m.acc, m.out_valid, m.in_flight) == (0, False, 0)
    got = run(m, [([2, 0], [3, 0], False)])                         # starts from zero
    assert [v for _, v in got] == [6]


def test_cycle_model_rejects_short_beat() -> None:
    m = golden.DotProductModel(lanes=2, in_w=8, acc_w=16, signed=True, pipe=0)
    with pytest.raises(ValueError):
        m.tick(in_valid=True, a=[1], b=[1, 2])


# ---------------------------------------------------------------------- generator: pipeline
def test_pipeline_cuts_known_values() -> None:
    assert [pipeline_cuts({"PIPE": p}) for p in range(5)] == \
        [[], [1], [0, 2], [0, 1, 3], [0, 1, 2, 3]]               # LANES=8, LEVELS=3
    assert pipeline_cuts({"LANES": 1, "PIPE": 1}) == [0]
    assert pipeline_cuts({"LANES": 2, "PIPE": 1}) == [0]          # U=4: mul | add1+acc
    assert pipeline_cuts({"LANES": 64, "PIPE": 2}) == [1, 4]


@pytest.mark.parametrize("lanes", [1, 2, 3, 4, 5, 8, 9, 16, 31, 64])
def test_pipeline_cuts_properties(lanes) -> None:
    levels = max_pipe(lanes) - 1
    for pipe in range(max_pipe(lanes) + 1):
        cuts = pipeline_cuts({"LANES": lanes, "PIPE": pipe})
        assert len(cuts) == pipe
        assert cuts == sorted(set(cuts)) and all(0 <= c <= levels for c in cuts)
    assert pipeline_cuts({"LANES": lanes, "PIPE": max_pipe(lanes)}) == list(range(levels + 1))


def _slang(text: str):
    from pyslang.ast import Compilation
    from pyslang.syntax import SyntaxTree

    comp = Compilation()
    comp.addSyntaxTree(SyntaxTree.fromText(text, "dot_product.v"))
    return comp


PARSE_SETS = [
    {},
    SMALL_WRAP,
    {"LANES": 1, "PIPE": 0},
    {"LANES": 1, "PIPE": 1, "IN_W": 2, "ACC_W": 4},
    {"LANES": 3, "IN_W": 3, "ACC_W": 6, "PIPE": 2},
    {"LANES": 16, "IN_W": 16, "ACC_W": 33, "SIGNED": 0, "PIPE": 5},
    {"LANES": 64, "IN_W": 16, "ACC_W": 64, "PIPE": 7},
    {"LANES": 64, "IN_W": 8, "ACC_W": 20, "PIPE": 0},
]


@pytest.mark.parametrize("overrides", PARSE_SETS)
def test_generated_rtl_elaborates_with_pyslang(overrides) -> None:
    from pyslang.ast import ArgumentDirection

    p = validate_params(overrides)
    files = generate(overrides)
    assert list(files) == ["dot_product.v"]
    comp = _slang(files["dot_product.v"])
    errors = [d for d in comp.getAllDiagnostics() if d.isError()]
    assert not errors, [str(d.code) for d in errors]
    tops = comp.getRoot().topInstances
    assert [t.name for t in tops] == ["dot_product"]
    body = tops[0].body
    params = {x.name: int(str(x.value)) for x in body.parameters}
    assert {k: params[k] for k in p} == p
    # the RTL's own cut placement equals the documented Python one
    assert params["CUTS"] == sum(1 << c for c in pipeline_cuts(p))
    assert params["LEVELS"] == max_pipe(p["LANES"]) - 1
    assert params["TREE_W"] == min(p["ACC_W"], 2 * p["IN_W"] + params["LEVELS"])
    widths = {"clk": 1, "rst": 1, "in_valid": 1, "acc_clear": 1, "out_valid": 1,
              "a_in": p["LANES"] * p["IN_W"], "b_in": p["LANES"] * p["IN_W"], "acc_out": p["ACC_W"]}
    for name, width in widths.items():
        port = body.findPort(name)
        assert port is not None, name
        assert port.type.bitWidth == width, name
        want_dir = ArgumentDirection.Out if name in ("out_valid", "acc_out") else ArgumentDirection.In
        assert port.direction == want_dir, name


def test_generated_rtl_is_verilog_2005_and_deterministic() -> None:
    text = render({})
    assert text == render(dict(DEFAULT_PARAMS))
    code = re.sub(r"//[^\n]*", "", text)
    code = re.sub(r"/\*.*?\*/", "", code, flags=re.S)
    assert "@" not in code.replace("@(posedge", "")
    for sv_only in ("logic ", "always_ff", "always_comb", "int ", "bit ", "'0", "'1", "typedef",
                    "interface", "++", "+=", "unique", "priority"):
        assert sv_only not in code, sv_only
    for hw_forbidden in ("initial", "$display", "$finish", "$fopen"):
        assert hw_forbidden not in code, hw_forbidden
    assert "parameter integer PIPE   = 2 " in text
    small = render(SMALL_WRAP)
    assert "parameter integer LANES  = 5," in small and "parameter integer ACC_W  = 12," in small


@pytest.mark.parametrize("bad,fragment", [
    ({"LANES": 0}, "LANES=0"),
    ({"LANES": 65}, "LANES=65"),
    ({"IN_W": 1}, "IN_W=1"),
    ({"IN_W": 17, "ACC_W": 64}, "IN_W=17"),
    ({"ACC_W": 15}, r"ACC_W=15 must be >= 2\*IN_W=16"),
    ({"ACC_W": 65}, "ACC_W=65"),
    ({"SIGNED": 2}, "SIGNED=2"),
    ({"PIPE": -1}, "PIPE=-1"),
    ({"PIPE": 5}, r"PIPE=5 is out of range for LANES=8; allowed 0\.\.4"),
    ({"LANES": 1, "PIPE": 2}, r"allowed 0\.\.1"),
    ({"PIPE": 8}, r"PIPE=8 is out of range; allowed 0\.\.7"),
    ({"LANES": "8"}, "LANES must be an integer"),
    ({"PIPE": 1.0}, "PIPE must be an integer"),
    ({"DEPTH": 4}, "unknown parameter"),
])
def test_generator_rejects_bad_params(bad, fragment) -> None:
    with pytest.raises(ConfigError, match=fragment):
        generate(bad)


def test_template_contract() -> None:
    assert isinstance(TEMPLATE, Template)
    assert TEMPLATE.family == "dot_product" and TEMPLATE.top == "dot_product"
    assert TEMPLATE.test_module == "test_dot_product"
    assert dict(TEMPLATE.default_params) == {"LANES": 8, "IN_W": 8, "ACC_W": 32, "SIGNED": 1, "PIPE": 2}
    assert (TEMPLATE.package_dir / "test_dot_product.py").is_file()
    assert (TEMPLATE.package_dir / "README.md").is_file()
    assert TEMPLATE.generate is generate and TEMPLATE.summary
    sets = TEMPLATE.regress_sets()
    assert len(sets) == 2 and dict(sets[0]) == dict(TEMPLATE.default_params)
    assert {s["SIGNED"] for s in sets} == {0, 1} and len({s["PIPE"] for s in sets}) == 2
    for s in sets:
        assert "dot_product.v" in list(TEMPLATE.generate(TEMPLATE.params(s)))
    assert TEMPLATE.latency is not None and TEMPLATE.latency(dict(DEFAULT_PARAMS)) == 3
    # the DSE space trades PIPE and LANES, and every combination is legal
    assert set(TEMPLATE.param_space) == {"PIPE", "LANES"}
    for pipe, lanes in itertools.product(TEMPLATE.param_space["PIPE"], TEMPLATE.param_space["LANES"]):
        validate_params({"PIPE": pipe, "LANES": lanes})
    with pytest.raises(ConfigError):
        TEMPLATE.params({"K": 16})


def test_template_is_discovered() -> None:
    from rtlsmith.rtl_templates import discover

    assert discover()["dot_product"] is TEMPLATE
