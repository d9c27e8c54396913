"""Unit tests for the systolic_os template: golden model and generator (no simulator)."""
from __future__ import annotations

import random
import re

import pytest

from rtlsmith.errors import ConfigError
from rtlsmith.rtl_templates.base import Template
from rtlsmith.rtl_templates.systolic_os import TEMPLATE
from rtlsmith.rtl_templates.systolic_os import golden
from rtlsmith.rtl_templates.systolic_os.generator import (DEFAULT_PARAMS, generate, latency, render,
                                                          validate_params)

SMALL_WRAP = {"ROWS": 4, "COLS": 3, "IN_W": 4, "ACC_W": 12, "SIGNED": 0}


# ---------------------------------------------------------------------- reference helpers
def naive_matmul(a: list[list[int]], b: list[list[int]], in_w: int, acc_w: int,
                 signed: bool) -> list[list[int]]:
    """Textbook matmul on exact integers, then reduced mod 2**acc_w (independent of golden)."""
    def val(x: int) -> int:
        x %= 1 << in_w
        return x - (1 << in_w) if signed and x >= 1 << (in_w - 1) else x

    rows, k, cols = len(a), len(b), len(b[0])
    return [[sum(val(a[i][kk]) * val(b[kk][j]) for kk in range(k)) % (1 << acc_w)
             for j in range(cols)] for i in range(rows)]


def rand_mat(rng: random.Random, n: int, m: int, in_w: int, signed: bool) -> list[list[int]]:
    lo, hi = (-(1 << (in_w - 1)), (1 << (in_w - 1)) - 1) if signed else (0, (1 << in_w) - 1)
    return [[rng.randint(lo, hi) for _ in range(m)] for _ in range(n)]


def run_model(model: golden.SystolicOSModel, a, b, valid_pattern=None) -> None:
    """Feed the K beats of a/b (with optional bubbles) and drain the model completely."""
    k = len(b)
    kk = 0
    cyc = 0
    while kk < k:
        valid = True if valid_pattern is None else valid_pattern(cyc)
        cyc += 1
        if valid:
            model.tick(in_valid=True, a_col=[row[kk] for row in a], b_row=b[kk])
            kk += 1
        else:
            model.tick()
    for _ in range(model.latency):
        model.tick()
    assert not model.busy


# ---------------------------------------------------------------------- golden: scalar helpers
def test_wrap_and_signed_views() -> None:
    assert golden.wrap(-1, 8) == 0xFF
    assert golden.wrap(256 + 5, 8) == 5
    assert golden.to_signed(0x80, 8) == -128
    assert golden.to_signed(0x7F, 8) == 127
    assert golden.to_signed(0xFFFF_FFFF, 32) == -1
    assert golden.operand(0xFF, 8, signed=True) == -1
    assert golden.operand(0xFF, 8, signed=False) == 255
    assert golden.operand(-1, 4, signed=False) == 15
    assert golden.operand_range(8, True) == (-128, 127)
    assert golden.operand_range(4, False) == (0, 15)


def test_pack_unpack_roundtrip() -> None:
    rng = random.Random(1)
    for width in (2, 4, 8, 13, 16):
        vals = [rng.randint(-(1 << (width - 1)), (1 << (width - 1)) - 1) for _ in range(11)]
        raw = golden.pack_lanes(vals, width)
        assert raw < 1 << (11 * width)
        assert golden.unpack_lanes(raw, 11, width, signed=True) == vals
        assert golden.unpack_lanes(raw, 11, width) == [v % (1 << width) for v in vals]
    c = [[1, 2, 3], [4, 5, 0xFFF]]
    raw = golden.pack_c(c, 12)
    assert raw & 0xFFF == 1 and (raw >> (5 * 12)) == 0xFFF  # element (1,2) = index 1*3+2
    assert golden.unpack_c(raw, 2, 3, 12) == c
    assert golden.unpack_c(raw, 2, 3, 12, signed=True)[1][2] == -1


# ---------------------------------------------------------------------- golden: gemm
@pytest.mark.parametrize("rows,cols,k,in_w,acc_w,signed", [
    (8, 8, 16, 8, 32, True),
    (8, 8, 16, 8, 32, False),
    (4, 3, 40, 4, 12, False),   # wraps
    (2, 5, 40, 4, 8, True),     # wraps, signed
    (1, 1, 1, 2, 4, True),
    (3, 7, 9, 16, 32, True),    # ACC_W == 2*IN_W
    (5, 2, 0, 8, 16, False),    # K = 0
])
def test_gemm_matches_naive_matmul(rows, cols, k, in_w, acc_w, signed) -> None:
    rng = random.Random(f"{rows}{cols}{k}{in_w}{acc_w}{signed}")
    for _ in range(5):
        a = rand_mat(rng, rows, k, in_w, signed) if k else [[] for _ in range(rows)]
        b = rand_mat(rng, k, cols, in_w, signed)
        got = golden.gemm(a, b, in_w=in_w, acc_w=acc_w, signed=signed,
                          c0=[[0] * cols for _ in range(rows)])
        want = naive_matmul(a, b, in_w, acc_w, signed) if k else [[0] * cols for _ in range(rows)]
        assert got == want


def test_gemm_wraps_modulo_acc_w_exact_values() -> None:
    # unsigned 4-bit, 12-bit acc: 32 * 15*15 = 7200 -> 7200 - 4096 = 3104
    a = [[15] * 32]
    b = [[15] for _ in range(32)]
    assert golden.gemm(a, b, in_w=4, acc_w=12, signed=False) == [[3104]]
    # signed 4-bit, 8-bit acc: 2 * (-8*-8) = 128 -> raw 0x80 = -128 as two's complement
    c = golden.gemm([[-8, -8]], [[-8], [-8]], in_w=4, acc_w=8, signed=True)
    assert c == [[0x80]] and golden.to_signed(c[0][0], 8) == -128
    # signed: min x max accumulates negative, shown as raw two's complement
    c = golden.gemm([[-128] * 3], [[127]] * 3, in_w=8, acc_w=24, signed=True)
    assert golden.to_signed(c[0][0], 24) == 3 * -128 * 127
    # ... and the same sum wraps in 16 bits: -48768 + 65536
    c = golden.gemm([[-128] * 3], [[127]] * 3, in_w=8, acc_w=16, signed=True)
    assert c == [[16768]] and golden.to_signed(c[0][0], 16) == 16768
    # 8x8 INT8 corner: 16 beats of -128*-128 = 262144 fits in 32 bits
    assert golden.gemm([[-128] * 16], [[-128]] * 16, in_w=8, acc_w=32, signed=True) == [[262144]]
    # the operand's bit pattern is what counts: 0xFF is -1 when signed
    assert golden.gemm([[0xFF]], [[2]], in_w=8, acc_w=16, signed=True) == [[0xFFFE]]


def test_gemm_accumulates_onto_c0_and_rejects_bad_shapes() -> None:
    c1 = golden.gemm([[1, 2]], [[3], [4]], in_w=8, acc_w=16, signed=True)
    assert c1 == [[11]]
    assert golden.gemm([[5]], [[6]], in_w=8, acc_w=16, signed=True, c0=c1) == [[41]]
    with pytest.raises(ValueError):
        golden.gemm([[1, 2]], [[3]], in_w=8, acc_w=16, signed=True)
    with pytest.raises(ValueError):
        golden.gemm([[1, 2], [3]], [[1], [2]], in_w=8, acc_w=16, signed=True)


# ---------------------------------------------------------------------- golden: cycle model
@pytest.mark.parametrize("params", [DEFAULT_PARAMS, SMALL_WRAP,
                                    {"ROWS": 1, "COLS": 1, "IN_W": 8, "ACC_W": 16, "SIGNED": 1},
                                    {"ROWS": 1, "COLS": 6, "IN_W": 3, "ACC_W": 6, "SIGNED": 0},
                                    {"ROWS": 5, "COLS": 2, "IN_W": 4, "ACC_W": 8, "SIGNED": 1}])
def test_cycle_model_drains_to_naive_result(params) -> None:
    rng = random.Random(str(params))
    m = golden.SystolicOSModel.from_params(params)
    r, c, w, aw, s = (params[x] for x in ("ROWS", "COLS", "IN_W", "ACC_W", "SIGNED"))
    for bubbles in (None, lambda cyc: rng.random() < 0.5, lambda cyc: cyc % 2 == 0):
        m.reset()
        a, b = rand_mat(rng, r, 24, w, bool(s)), rand_mat(rng, 24, c, w, bool(s))
        run_model(m, a, b, bubbles)
        assert m.acc == naive_matmul(a, b, w, aw, bool(s)) == m.target
        assert m.c_out() == golden.pack_c(m.acc, aw)


def test_cycle_model_latency_and_wavefront() -> None:
    m = golden.SystolicOSModel(rows=3, cols=4, in_w=8, acc_w=32, signed=True)
    assert m.latency == 6
    m.tick(in_valid=True, a_col=[1, 2, 3], b_row=[10, 20, 30, 40])   # accepted at edge 0
    assert m.busy and m.acc == [[0] * 4 for _ in range(3)]
    for edge in range(1, m.latency + 1):
        m.tick()
        for i in range(3):
            for j in range(4):
                done = edge >= 1 + i + j          # PE(i,j) adds at edge t+1+i+j
                assert m.acc[i][j] == ((i + 1) * (j + 1) * 10 if done else 0), (edge, i, j)
        assert m.busy == (edge < m.latency)       # busy falls right after edge t+LATENCY
    assert m.acc == m.target


def test_cycle_model_clear_flushes_in_flight_and_keeps_same_cycle_beat() -> None:
    m = golden.SystolicOSModel(rows=2, cols=2, in_w=8, acc_w=16, signed=False)
    m.tick(in_valid=True, a_col=[1, 1], b_row=[1, 1])
    m.tick(in_valid=True, a_col=[2, 2], b_row=[2, 2])
    assert m.acc[0][0] == 1 and m.busy
    m.tick(clear=True)                                    # flush: nothing in flight survives
    assert m.acc == [[0, 0], [0, 0]] and not m.busy
    for _ in range(5):
        m.tick()
    assert m.acc == [[0, 0], [0, 0]]
    m.tick(in_valid=True, a_col=[3, 3], b_row=[3, 3])
    m.tick(clear=True, in_valid=True, a_col=[5, 6], b_row=[7, 8])   # clear + beat
    assert m.busy
    for _ in range(m.latency):
        m.tick()
    assert m.acc == [[35, 40], [42, 48]] == m.target and not m.busy


def test_cycle_model_reset_drops_same_cycle_beat() -> None:
    m = golden.SystolicOSModel(rows=2, cols=2, in_w=8, acc_w=16, signed=True)
    m.tick(in_valid=True, a_col=[1, 1], b_row=[1, 1])
    m.tick(rst=True, in_valid=True, a_col=[9, 9], b_row=[9, 9])
    assert not m.busy and m.acc == [[0, 0], [0, 0]]
    for _ in range(5):
        m.tick()
    assert m.acc == [[0, 0], [0, 0]] == m.target


def test_cycle_model_accumulates_across_batches_and_wraps() -> None:
    p = SMALL_WRAP
    m = golden.SystolicOSModel.from_params(p)
    a = [[15] * 20 for _ in range(4)]
    b = [[15] * 3 for _ in range(20)]
    run_model(m, a, b)
    run_model(m, a, b)                                     # no clear: keeps accumulating
    assert m.acc == [[(40 * 225) % 4096] * 3 for _ in range(4)]
    assert (40 * 225) % 4096 != 40 * 225                   # really wrapped


def test_cycle_model_rejects_short_beat() -> None:
    m = golden.SystolicOSModel(rows=2, cols=2, in_w=8, acc_w=16, signed=True)
    with pytest.raises(ValueError):
        m.tick(in_valid=True, a_col=[1], b_row=[1, 2])


# ---------------------------------------------------------------------- generator
def _slang(text: str):
    from pyslang.ast import Compilation
    from pyslang.syntax import SyntaxTree

    comp = Compilation()
    comp.addSyntaxTree(SyntaxTree.fromText(text, "systolic_os.v"))
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
    assert list(files) == ["systolic_os.v"]
    comp = _slang(files["systolic_os.v"])
    errors = [d for d in comp.getAllDiagnostics() if d.isError()]
    assert not errors, [str(d.code) for d in errors]
    tops = comp.getRoot().topInstances
    assert [t.name for t in tops] == ["systolic_os"]
    body = tops[0].body
    params = {x.name: int(str(x.value)) for x in body.parameters}
    assert {k: params[k] for k in p} == p
    assert params["LATENCY"] == p["ROWS"] + p["COLS"] - 1 == latency(overrides)
    widths = {"clk": 1, "rst": 1, "clear": 1, "in_valid": 1, "busy": 1,
              "a_in": p["ROWS"] * p["IN_W"], "b_in": p["COLS"] * p["IN_W"],
              "c_out": p["ROWS"] * p["COLS"] * p["ACC_W"]}
    for name, width in widths.items():
        port = body.findPort(name)
        assert port is not None, name
        assert port.type.bitWidth == width, name
        want_dir = ArgumentDirection.Out if name in ("busy", "c_out") else ArgumentDirection.In
        assert port.direction == want_dir, name


def test_generated_rtl_is_verilog_2005_and_deterministic() -> None:
    text = render({})
    assert text == render(dict(DEFAULT_PARAMS))
    code = re.sub(r"//[^\n]*", "", text)                    # comments may say anything
    assert "@" not in code.replace("@(posedge", "")          # every placeholder substituted
    for sv_only in ("logic ", "always_ff", "always_comb", "int ", "bit ", "'0", "'1", "typedef",
                    "interface", "++", "+=", "unique", "priority"):
        assert sv_only not in code, sv_only
    assert "parameter integer ROWS   = 8," in text
    small = render(SMALL_WRAP)
    assert "parameter integer SIGNED = 0" in small and "parameter integer ACC_W  = 12," in small


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
    ({"DEPTH": 4}, "unknown parameter"),
])
def test_generator_rejects_bad_params(bad, fragment) -> None:
    with pytest.raises(ConfigError, match=fragment.replace("(", r"\(")):
        generate(bad)


def test_generator_accepts_bool_signed() -> None:
    assert validate_params({"SIGNED": False})["SIGNED"] == 0
    assert validate_params({"SIGNED": True})["SIGNED"] == 1


def test_template_contract() -> None:
    assert isinstance(TEMPLATE, Template)
    assert TEMPLATE.family == "systolic_os" and TEMPLATE.top == "systolic_os"
    assert TEMPLATE.test_module == "test_systolic_os"
    assert dict(TEMPLATE.default_params) == {"ROWS": 8, "COLS": 8, "IN_W": 8, "ACC_W": 32, "SIGNED": 1}
    assert (TEMPLATE.package_dir / "test_systolic_os.py").is_file()
    assert (TEMPLATE.package_dir / "README.md").is_file()
    assert TEMPLATE.generate is generate and TEMPLATE.summary
    sets = TEMPLATE.regress_sets()
    assert dict(sets[0]) == dict(TEMPLATE.default_params)
    assert any(s["SIGNED"] == 0 and s["ACC_W"] < 2 * s["IN_W"] + 8 for s in sets)  # a wrap case
    for s in sets:
        assert "systolic_os.v" in list(TEMPLATE.generate(TEMPLATE.params(s)))
    with pytest.raises(ConfigError):
        TEMPLATE.params({"K": 16})


def test_template_is_discovered() -> None:
    from rtlsmith.rtl_templates import discover

    assert discover()["systolic_os"] is TEMPLATE
