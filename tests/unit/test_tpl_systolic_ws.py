"""Unit tests for the systolic_ws template: golden model and generator (no simulator)."""
from __future__ import annotations

import random
import re

import pytest

from rtlsmith.errors import ConfigError
from rtlsmith.rtl_templates.base import Template
from rtlsmith.rtl_templates.systolic_ws import TEMPLATE
from rtlsmith.rtl_templates.systolic_ws import golden
from rtlsmith.rtl_templates.systolic_ws.generator import (DEFAULT_PARAMS, generate, latency, psum_width,
                                                          render, validate_params)

SMALL_WRAP = {"ROWS": 5, "COLS": 3, "IN_W": 4, "ACC_W": 9, "SIGNED": 0}


# ---------------------------------------------------------------------- reference helpers
def naive_matmul(a: list[list[int]], w: list[list[int]], in_w: int, acc_w: int,
                 signed: bool) -> list[list[int]]:
    """Textbook matmul on exact integers, then reduced mod 2**acc_w (independent of golden)."""
    def val(x: int) -> int:
        x %= 1 << in_w
        return x - (1 << in_w) if signed and x >= 1 << (in_w - 1) else x

    n, rows, cols = len(a), len(w), len(w[0])
    return [[sum(val(a[m][i]) * val(w[i][j]) for i in range(rows)) % (1 << acc_w)
             for j in range(cols)] for m in range(n)]


def rand_mat(rng: random.Random, n: int, m: int, in_w: int, signed: bool) -> list[list[int]]:
    lo, hi = (-(1 << (in_w - 1)), (1 << (in_w - 1)) - 1) if signed else (0, (1 << in_w) - 1)
    return [[rng.randint(lo, hi) for _ in range(m)] for _ in range(n)]


def load(model: golden.SystolicWSModel, w: list[list[int]]) -> None:
    for row in w:
        model.tick(w_load=True, w_row=row)


def run_stream(model: golden.SystolicWSModel, a, valid_pattern=None) -> list[tuple[int, list[int]]]:
    """Present the rows of ``a`` (optional bubbles), drain; return (cycle, y) of each result.

    Cycle numbering: the first tick ends cycle 0, so outputs after tick ``c`` belong to cycle c+1.
    """
    out = []
    cyc = 0
    k = 0
    while k < len(a) or model.in_flight:
        valid = k < len(a) and (valid_pattern is None or valid_pattern(cyc))
        if valid:
            model.tick(in_valid=True, a_vec=a[k])
            k += 1
        else:
            model.tick()
        cyc += 1
        if model.out_valid:
            out.append((cyc, list(model.y)))
        assert cyc < 10_000
    return out


# ---------------------------------------------------------------------- golden: functional
def test_vecmat_hand_computed() -> None:
    w = [[3, 4], [5, 6]]
    assert golden.vecmat([1, 2], w, in_w=8, acc_w=16, signed=False) == [13, 16]
    # signed: -1 * 3 + 2 * -5 = -13 -> raw two's complement in 16 bits
    y = golden.vecmat([-1, 2], [[3, 4], [-5, 6]], in_w=8, acc_w=16, signed=True)
    assert y == [(-13) & 0xFFFF, 8] and golden.to_signed(y[0], 16) == -13
    # the operand's bit pattern counts: 0xFF is -1 when signed, 255 when unsigned
    assert golden.vecmat([0xFF], [[2]], in_w=8, acc_w=16, signed=True) == [0xFFFE]
    assert golden.vecmat([0xFF], [[2]], in_w=8, acc_w=16, signed=False) == [510]
    # signed 4-bit, 8-bit outputs: 2 * (-8 * -8) = 128 -> raw 0x80 (= -128, wrapped)
    assert golden.vecmat([-8, -8], [[-8], [-8]], in_w=4, acc_w=8, signed=True) == [0x80]
    # unsigned 4-bit, 9-bit outputs, 5 rows: 5 * 15 * 15 = 1125 -> 1125 - 2*512 = 101
    assert golden.vecmat([15] * 5, [[15]] * 5, in_w=4, acc_w=9, signed=False) == [101]
    # INT8 full width: 8 * (-128 * -128) = 131072 fits in 32 bits; min*max is negative
    assert golden.vecmat([-128] * 8, [[-128]] * 8, in_w=8, acc_w=32, signed=True) == [131072]
    y = golden.vecmat([-128] * 8, [[127]] * 8, in_w=8, acc_w=32, signed=True)
    assert golden.to_signed(y[0], 32) == 8 * -128 * 127


@pytest.mark.parametrize("rows,cols,in_w,acc_w,signed", [
    (8, 8, 8, 32, True), (8, 8, 8, 32, False), (5, 3, 4, 9, False), (4, 6, 4, 8, True),
    (1, 1, 2, 4, True), (3, 7, 16, 32, True), (32, 2, 16, 36, False),
])
def test_gemm_matches_naive_matmul(rows, cols, in_w, acc_w, signed) -> None:
    rng = random.Random(f"{rows}{cols}{in_w}{acc_w}{signed}")
    for _ in range(4):
        a = rand_mat(rng, 6, rows, in_w, signed)
        w = rand_mat(rng, rows, cols, in_w, signed)
        assert golden.gemm(a, w, in_w=in_w, acc_w=acc_w, signed=signed) == \
            naive_matmul(a, w, in_w, acc_w, signed)


def test_vecmat_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError):
        golden.vecmat([1, 2, 3], [[1], [2]], in_w=8, acc_w=16, signed=True)
    with pytest.raises(ValueError):
        golden.vecmat([1, 2], [[1, 2], [3]], in_w=8, acc_w=16, signed=True)


def test_pack_unpack_roundtrip() -> None:
    vals = [-8, 7, 0, -1, 3]
    raw = golden.pack_lanes(vals, 4)
    assert raw < 1 << 20 and golden.unpack_lanes(raw, 5, 4, signed=True) == vals
    assert golden.unpack_lanes(raw, 5, 4) == [v % 16 for v in vals]
    assert golden.pack_lanes([1, 2], 9) == 1 | (2 << 9)


# ---------------------------------------------------------------------- golden: cycle model
@pytest.mark.parametrize("params", [DEFAULT_PARAMS, SMALL_WRAP,
                                    {"ROWS": 1, "COLS": 1, "IN_W": 8, "ACC_W": 16, "SIGNED": 1},
                                    {"ROWS": 1, "COLS": 6, "IN_W": 3, "ACC_W": 6, "SIGNED": 0},
                                    {"ROWS": 6, "COLS": 1, "IN_W": 4, "ACC_W": 8, "SIGNED": 1}])
def test_cycle_model_streams_naive_results(params) -> None:
    rng = random.Random(str(params))
    m = golden.SystolicWSModel.from_params(params)
    r, c, w_, aw, s = (params[x] for x in ("ROWS", "COLS", "IN_W", "ACC_W", "SIGNED"))
    for bubbles in (None, lambda cyc: rng.random() < 0.5, lambda cyc: cyc % 2 == 0):
        m.reset()
        w = rand_mat(rng, r, c, w_, bool(s))
        load(m, w)
        a = rand_mat(rng, 20, r, w_, bool(s))
        got = run_stream(m, a, bubbles)
        assert [y for _, y in got] == naive_matmul(a, w, w_, aw, bool(s))


def test_cycle_model_latency_is_rows_plus_cols() -> None:
    m = golden.SystolicWSModel(rows=3, cols=4, in_w=8, acc_w=32, signed=True)
    assert m.latency == 7 == latency({"ROWS": 3, "COLS": 4})
    load(m, [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]])
    # vector presented in cycle 0 (first tick), result in cycle 7; bubbles keep their place
    a = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    got = run_stream(m, a, lambda cyc: cyc != 1)        # presented in cycles 0, 2, 3
    assert got == [(7, [1, 2, 3, 4]), (9, [5, 6, 7, 8]), (10, [9, 10, 11, 12])]


def test_cycle_model_weight_shift_register() -> None:
    m = golden.SystolicWSModel(rows=3, cols=2, in_w=4, acc_w=12, signed=False)
    assert m.weights == [[0, 0]] * 3
    for k in range(5):                                   # 5 loads: the last 3 stay
        m.tick(w_load=True, w_row=[k, k + 10])
    assert m.weights == [[2, 12], [3, 13], [4, 14]]
    m.tick(w_load=True, w_row=[-1, 16])                  # wraps to the IN_W pattern
    assert m.weights == [[3, 13], [4, 14], [15, 0]]
    m.tick()
    assert m.weights == [[3, 13], [4, 14], [15, 0]]      # no load: unchanged


def test_cycle_model_protocol_rule() -> None:
    m = golden.SystolicWSModel(rows=2, cols=2, in_w=8, acc_w=16, signed=True)
    load(m, [[1, 2], [3, 4]])
    with pytest.raises(golden.ProtocolError):            # same cycle as a vector
        m.tick(in_valid=True, a_vec=[1, 1], w_load=True, w_row=[0, 0])
    m.reset()
    load(m, [[1, 2], [3, 4]])
    m.tick(in_valid=True, a_vec=[1, 1])                  # presented in cycle 0
    for cyc in range(1, m.latency):                      # in flight: w_load forbidden
        with pytest.raises(golden.ProtocolError):
            golden.SystolicWSModel.tick(_copy(m), w_load=True, w_row=[0, 0])
        m.tick()
        assert m.out_valid == (cyc == m.latency - 1)
    assert m.y == [4, 6] and not m.in_flight
    m.tick(w_load=True, w_row=[9, 9])                    # the result's cycle: allowed


def _copy(m: golden.SystolicWSModel) -> golden.SystolicWSModel:
    import copy
    return copy.deepcopy(m)


def test_cycle_model_reset() -> None:
    m = golden.SystolicWSModel(rows=2, cols=2, in_w=8, acc_w=16, signed=True)
    load(m, [[1, 2], [3, 4]])
    m.tick(in_valid=True, a_vec=[1, 1])
    m.tick(rst=True, in_valid=True, a_vec=[5, 5])         # drops both vectors, zeroes W
    assert m.weights == [[0, 0], [0, 0]] and not m.in_flight and not m.out_valid
    m.tick(rst=True, w_load=True, w_row=[7, 7])           # load ignored under reset
    assert m.weights == [[0, 0], [0, 0]]
    got = run_stream(m, [[3, 4]])
    assert [y for _, y in got] == [[0, 0]]


def test_cycle_model_rejects_short_vector() -> None:
    m = golden.SystolicWSModel(rows=2, cols=2, in_w=8, acc_w=16, signed=True)
    with pytest.raises(ValueError):
        m.tick(in_valid=True, a_vec=[1])
    with pytest.raises(ValueError):
        m.tick(w_load=True, w_row=[1, 2, 3])


# ---------------------------------------------------------------------- generator
def test_psum_width() -> None:
    assert [psum_width(i, DEFAULT_PARAMS) for i in range(8)] == [16, 17, 18, 18, 19, 19, 19, 19]
    assert [psum_width(i, SMALL_WRAP) for i in range(5)] == [8, 9, 9, 9, 9]   # capped at ACC_W


def _slang(text: str):
    from pyslang.ast import Compilation
    from pyslang.syntax import SyntaxTree

    comp = Compilation()
    comp.addSyntaxTree(SyntaxTree.fromText(text, "systolic_ws.v"))
    return comp


PARSE_SETS = [
    {},
    SMALL_WRAP,
    {"ROWS": 1, "COLS": 1},
    {"ROWS": 1, "COLS": 5, "IN_W": 2, "ACC_W": 4},
    {"ROWS": 3, "COLS": 1, "ACC_W": 16, "SIGNED": 0},
    {"ROWS": 16, "COLS": 12, "IN_W": 16, "ACC_W": 40},
    {"ROWS": 32, "COLS": 32, "IN_W": 16, "ACC_W": 64, "SIGNED": True},
]


@pytest.mark.parametrize("overrides", PARSE_SETS)
def test_generated_rtl_elaborates_with_pyslang(overrides) -> None:
    from pyslang.ast import ArgumentDirection

    p = validate_params(overrides)
    files = generate(overrides)
    assert list(files) == ["systolic_ws.v"]
    comp = _slang(files["systolic_ws.v"])
    errors = [d for d in comp.getAllDiagnostics() if d.isError()]
    assert not errors, [str(d.code) for d in errors]
    tops = comp.getRoot().topInstances
    assert [t.name for t in tops] == ["systolic_ws"]
    body = tops[0].body
    params = {x.name: int(str(x.value)) for x in body.parameters}
    assert {k: params[k] for k in p} == p
    assert params["LATENCY"] == p["ROWS"] + p["COLS"] == latency(overrides)
    assert params["SUM_W"] == psum_width(p["ROWS"] - 1, p)
    widths = {"clk": 1, "rst": 1, "w_load": 1, "in_valid": 1, "out_valid": 1,
              "w_in": p["COLS"] * p["IN_W"], "a_in": p["ROWS"] * p["IN_W"],
              "y_out": p["COLS"] * p["ACC_W"]}
    for name, width in widths.items():
        port = body.findPort(name)
        assert port is not None, name
        assert port.type.bitWidth == width, name
        want_dir = ArgumentDirection.Out if name in ("out_valid", "y_out") else ArgumentDirection.In
        assert port.direction == want_dir, name


def test_generated_rtl_is_verilog_2005_and_deterministic() -> None:
    text = render({})
    assert text == render(dict(DEFAULT_PARAMS))
    code = re.sub(r"//[^\n]*", "", text)                    # comments may say anything
    code = re.sub(r"/\*.*?\*/", "", code, flags=re.S)
    assert "@" not in code.replace("@(posedge", "")          # every placeholder substituted
    for sv_only in ("logic ", "always_ff", "always_comb", "int ", "bit ", "'0", "'1", "typedef",
                    "interface", "++", "+=", "unique", "priority"):
        assert sv_only not in code, sv_only
    for hw_forbidden in ("initial", "$display", "$finish", "$fopen"):
        assert hw_forbidden not in code, hw_forbidden
    assert "parameter integer ROWS   = 8," in text
    small = render(SMALL_WRAP)
    assert "parameter integer SIGNED = 0" in small and "parameter integer ACC_W  = 9," in small


@pytest.mark.parametrize("bad,fragment", [
    ({"ROWS": 0}, "ROWS=0"),
    ({"COLS": 33}, "COLS=33"),
    ({"IN_W": 1}, "IN_W=1"),
    ({"IN_W": 17, "ACC_W": 64}, "IN_W=17"),
    ({"ACC_W": 15}, "ACC_W=15"),
    ({"ACC_W": 65}, "ACC_W=65"),
    ({"SIGNED": 2}, "SIGNED=2"),
    ({"ROWS": "8"}, "ROWS must be an integer"),
    ({"ROWS": 8.0}, "ROWS must be an integer"),
    ({"COLS": True}, "COLS must be an integer"),
    ({"K": 4}, "unknown parameter"),
])
def test_generator_rejects_bad_params(bad, fragment) -> None:
    with pytest.raises(ConfigError, match=fragment):
        generate(bad)


def test_generator_error_names_range() -> None:
    with pytest.raises(ConfigError, match=r"ROWS=40 is out of range; allowed 1\.\.32"):
        validate_params({"ROWS": 40})
    with pytest.raises(ConfigError, match=r"ACC_W=12 must be >= 2\*IN_W=16"):
        validate_params({"ACC_W": 12})
    assert validate_params({"SIGNED": False})["SIGNED"] == 0


def test_template_contract() -> None:
    assert isinstance(TEMPLATE, Template)
    assert TEMPLATE.family == "systolic_ws" and TEMPLATE.top == "systolic_ws"
    assert TEMPLATE.test_module == "test_systolic_ws"
    assert dict(TEMPLATE.default_params) == {"ROWS": 8, "COLS": 8, "IN_W": 8, "ACC_W": 32, "SIGNED": 1}
    assert (TEMPLATE.package_dir / "test_systolic_ws.py").is_file()
    assert (TEMPLATE.package_dir / "README.md").is_file()
    assert TEMPLATE.generate is generate and TEMPLATE.summary
    sets = TEMPLATE.regress_sets()
    assert len(sets) == 2 and dict(sets[0]) == dict(TEMPLATE.default_params)
    assert {s["SIGNED"] for s in sets} == {0, 1}
    # the second set wraps: ACC_W below the full width of a ROWS-product sum
    assert any(s["ACC_W"] < 2 * s["IN_W"] + (s["ROWS"] - 1).bit_length() for s in sets)
    for s in sets:
        assert "systolic_ws.v" in list(TEMPLATE.generate(TEMPLATE.params(s)))
    assert TEMPLATE.latency is not None and TEMPLATE.latency(dict(DEFAULT_PARAMS)) == 16
    # every combination of the DSE space is a legal parameter set
    import itertools
    names = list(TEMPLATE.param_space)
    assert 1 <= len(names) <= 3
    for combo in itertools.product(*TEMPLATE.param_space.values()):
        validate_params(dict(zip(names, combo)))
    with pytest.raises(ConfigError):
        TEMPLATE.params({"K": 16})


def test_template_is_discovered() -> None:
    from rtlsmith.rtl_templates import discover

    assert discover()["systolic_ws"] is TEMPLATE
