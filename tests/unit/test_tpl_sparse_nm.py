"""Unit tests for the sparse_nm template: golden model and generator (no simulator)."""
from __future__ import annotations

import random
import re

import pytest

from rtlsmith.errors import ConfigError
from rtlsmith.rtl_templates.base import Template
from rtlsmith.rtl_templates.sparse_nm import TEMPLATE
from rtlsmith.rtl_templates.sparse_nm import golden
from rtlsmith.rtl_templates.sparse_nm.generator import (DEFAULT_PARAMS, generate, latency, render,
                                                        validate_params)

SET2 = {"N": 2, "M": 8, "LANES": 2, "IN_W": 4, "ACC_W": 12, "SIGNED": 0}
ONE = {"N": 2, "M": 4, "LANES": 1, "IN_W": 8, "ACC_W": 32, "SIGNED": 1}


def rand_beat(rng: random.Random, p: dict) -> tuple[list[int], list[int], list[int]]:
    lo, hi = golden.operand_range(p["IN_W"], bool(p["SIGNED"]))
    pos: list[int] = []
    for _ in range(p["LANES"]):
        pos += sorted(rng.sample(range(p["M"]), p["N"]))
    return ([rng.randint(lo, hi) for _ in range(p["LANES"] * p["N"])], pos,
            [rng.randint(lo, hi) for _ in range(p["LANES"] * p["M"])])


# ---------------------------------------------------------------------- the N:M format
def test_compress_canonical_and_padded() -> None:
    # 2:4, two groups: [0, 5, 0, -3] and [0, 0, 0, 7] (one nonzero: padded with a zero slot)
    values, positions = golden.compress([0, 5, 0, -3, 0, 0, 0, 7], 2, 4)
    assert values == [5, -3, 0, 7] and positions == [1, 3, 0, 3]
    assert golden.compress([0, 0, 0, 0], 2, 4) == ([0, 0], [0, 1])
    assert golden.compress([1, 2, 3, 4], 4, 4) == ([1, 2, 3, 4], [0, 1, 2, 3])   # N = M: dense
    with pytest.raises(golden.EncodingError, match="3 nonzeros"):
        golden.compress([1, 2, 3, 0], 2, 4)
    with pytest.raises(golden.EncodingError, match="whole number"):
        golden.compress([1, 2, 3], 2, 4)


def test_decompress_inverts_compress_and_rejects_invalid() -> None:
    rng = random.Random(3)
    for n, m in ((2, 4), (2, 8), (1, 2), (4, 16), (3, 8)):
        for _ in range(20):
            dense = [0] * (3 * m)
            for g in range(3):
                for j in rng.sample(range(m), rng.randint(0, n)):
                    dense[g * m + j] = rng.randint(-8, 8) or 1
            values, positions = golden.compress(dense, n, m)
            assert len(values) == 3 * n
            assert golden.decompress(values, positions, n, m) == dense
            for g in range(3):
                grp = positions[g * n:(g + 1) * n]
                assert grp == sorted(set(grp))               # canonical: strictly ascending
    assert golden.decompress([5, -3], [3, 1], 2, 4) == [0, -3, 0, 5]   # any order is valid
    with pytest.raises(golden.EncodingError, match="duplicate"):
        golden.decompress([5, -3], [2, 2], 2, 4)
    with pytest.raises(golden.EncodingError, match="outside"):
        golden.decompress([5, -3], [1, 4], 2, 4)
    with pytest.raises(golden.EncodingError):
        golden.decompress([5], [1, 2], 2, 4)
    golden.check_encoding([0, 1, 3, 2], 2, 4)
    with pytest.raises(golden.EncodingError, match="group 1"):
        golden.check_encoding([0, 1, 3, 3], 2, 4)


# ---------------------------------------------------------------------- arithmetic
def test_beat_dot_hand_computed() -> None:
    # one 2:4 group: w = [3, -2] at positions [1, 3]; x = [10, 20, 30, 40] -> 3*20 - 2*40
    assert golden.beat_dot([3, -2], [1, 3], [10, 20, 30, 40], ONE) == -20
    # duplicate positions (invalid encoding): each slot still uses the activation it selects
    assert golden.beat_dot([3, -2], [2, 2], [10, 20, 30, 40], ONE) == 30
    # bit patterns: 0xFF is -1 for SIGNED=1
    assert golden.beat_dot([0xFF, 1], [0, 1], [7, 0x80, 0, 0], ONE) == -7 - 128
    # unsigned 4-bit, 2 groups of 8 (SET2): 15*15 + 15*15 + 1*2 + 0
    x = [0] * 16
    x[5], x[6], x[8 + 7] = 15, 15, 2
    assert golden.beat_dot([15, 15, 1, 9], [5, 6, 7, 0], x, SET2) == 452
    with pytest.raises(ValueError):
        golden.beat_dot([1], [0], [1, 2, 3, 4], ONE)


@pytest.mark.parametrize("params", [DEFAULT_PARAMS, SET2, ONE,
                                    {"N": 1, "M": 2, "LANES": 3, "IN_W": 2, "ACC_W": 4, "SIGNED": 1},
                                    {"N": 4, "M": 16, "LANES": 2, "IN_W": 16, "ACC_W": 40, "SIGNED": 0}])
def test_sparse_dot_equals_dense_dot_on_decompressed_weights(params) -> None:
    p = validate_params(params)
    rng = random.Random(str(p))
    for _ in range(30):
        values, positions, x = rand_beat(rng, p)
        dense = golden.decompress(values, positions, p["N"], p["M"])
        want = golden.dense_dot(dense, x, in_w=p["IN_W"], acc_w=p["ACC_W"], signed=bool(p["SIGNED"]))
        assert golden.wrap(golden.beat_dot(values, positions, x, p), p["ACC_W"]) == want


def test_dense_dot_wraps() -> None:
    # unsigned 4-bit, 12-bit result: 20 * 225 = 4500 -> 404
    assert golden.dense_dot([15] * 20, [15] * 20, in_w=4, acc_w=12, signed=False) == 4500 - 4096
    assert golden.dense_dot([-8, -8], [7, 7], in_w=4, acc_w=8, signed=True) == golden.wrap(-112, 8)
    with pytest.raises(ValueError):
        golden.dense_dot([1, 2], [1], in_w=4, acc_w=8, signed=True)


# ---------------------------------------------------------------------- cycle model
def test_cycle_model_latency_and_first_last() -> None:
    p = validate_params(ONE)
    m = golden.SparseNMModel(p)
    assert m.latency == golden.LATENCY == latency(p) == 2
    b1 = ([1, 2], [0, 1], [10, 20, 0, 0])        # 50
    b2 = ([3, 0], [2, 3], [0, 0, 5, 9])          # 15
    m.tick(in_valid=True, first=True, last=False, values=b1[0], positions=b1[1], x=b1[2])   # edge 0
    m.tick(in_valid=True, first=False, last=True, values=b2[0], positions=b2[1], x=b2[2])   # edge 1
    assert not m.out_valid
    m.tick()                                                                                # edge 2
    assert not m.out_valid and m.acc == 50
    m.tick()                                                                                # edge 3
    assert m.out_valid and m.dot_out == 65
    m.tick()
    assert not m.out_valid and m.dot_out == 65                                              # held
    # no in_first: keeps accumulating onto 65; in_last on every beat gives running sums
    outs = []
    for b in (b1, b2):
        m.tick(in_valid=True, last=True, values=b[0], positions=b[1], x=b[2])
        outs.append((m.out_valid, m.dot_out))
    for _ in range(2):
        m.tick()
        outs.append((m.out_valid, m.dot_out))
    assert outs == [(False, 65), (False, 65), (True, 115), (True, 130)]
    # in_first restarts even in the middle; flags without in_valid do nothing
    m.tick(first=True, last=True)
    m.tick(in_valid=True, first=True, last=True, values=b2[0], positions=b2[1], x=b2[2])
    m.tick()
    m.tick()
    assert m.out_valid and m.dot_out == 15


def test_cycle_model_reset_and_wrap() -> None:
    p = validate_params(SET2)
    m = golden.SparseNMModel(p)
    beat = ([15, 15, 15, 15], [0, 1, 0, 1], [15] * 16)      # 4 * 225 = 900 per beat
    for k in range(5):
        m.tick(in_valid=True, first=k == 0, last=k == 4, values=beat[0], positions=beat[1], x=beat[2])
    m.tick()
    m.tick()
    assert m.out_valid and m.dot_out == (5 * 900) % 4096
    m.tick(in_valid=True, first=True, last=True, values=beat[0], positions=beat[1], x=beat[2])
    m.tick(rst=True)
    assert not m.out_valid and m.acc == 0 and m.dot_out == 0
    for _ in range(3):
        m.tick()
        assert not m.out_valid
    with pytest.raises(ValueError):
        m.tick(in_valid=True)


# ---------------------------------------------------------------------- generator
def _slang(text: str):
    from pyslang.ast import Compilation
    from pyslang.syntax import SyntaxTree

    comp = Compilation()
    comp.addSyntaxTree(SyntaxTree.fromText(text, "sparse_nm.v"))
    return comp


PARSE_SETS = [
    {}, SET2, ONE,
    {"N": 1, "M": 2, "LANES": 1, "IN_W": 2, "ACC_W": 4},
    {"N": 16, "M": 16, "LANES": 4, "IN_W": 16, "ACC_W": 32},
    {"N": 3, "M": 8, "LANES": 3, "IN_W": 5, "ACC_W": 64, "SIGNED": 0},
]


@pytest.mark.parametrize("overrides", PARSE_SETS)
def test_generated_rtl_elaborates_with_pyslang(overrides) -> None:
    from pyslang.ast import ArgumentDirection

    p = validate_params(overrides)
    files = generate(overrides)
    assert list(files) == ["sparse_nm.v"]
    comp = _slang(files["sparse_nm.v"])
    errors = [d for d in comp.getAllDiagnostics() if d.isError()]
    assert not errors, [str(d.code) for d in errors]
    tops = comp.getRoot().topInstances
    assert [t.name for t in tops] == ["sparse_nm"]
    body = tops[0].body
    params = {x.name: int(str(x.value)) for x in body.parameters}
    assert {k: params[k] for k in p} == p
    assert params["IDX_W"] == golden.idx_width(p["M"])
    slots = p["LANES"] * p["N"]
    port_w = {"clk": 1, "rst": 1, "in_valid": 1, "in_first": 1, "in_last": 1, "out_valid": 1,
              "w_in": slots * p["IN_W"], "idx_in": slots * golden.idx_width(p["M"]),
              "x_in": p["LANES"] * p["M"] * p["IN_W"], "dot_out": p["ACC_W"]}
    for name, width in port_w.items():
        port = body.findPort(name)
        assert port is not None, name
        assert port.type.bitWidth == width, name
        want_dir = ArgumentDirection.Out if name in ("out_valid", "dot_out") else ArgumentDirection.In
        assert port.direction == want_dir, name


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
    assert "parameter integer M      = 4," in text
    assert "parameter integer SIGNED = 0" in render(SET2)


@pytest.mark.parametrize("bad,fragment", [
    ({"N": 0}, "N=0"),
    ({"N": 5}, "N=5 is out of range; allowed 1..M=4"),
    ({"M": 6}, "M=6 is out of range; allowed 2, 4, 8, 16"),
    ({"M": 32}, "M=32"),
    ({"LANES": 0}, "LANES=0"),
    ({"LANES": 16, "N": 8, "M": 8}, "LANES=16 is out of range for N=8"),
    ({"IN_W": 1}, "IN_W=1"),
    ({"IN_W": 17, "ACC_W": 64}, "IN_W=17"),
    ({"ACC_W": 15}, "ACC_W=15 is out of range; allowed 2*IN_W=16..64"),
    ({"ACC_W": 65}, "ACC_W=65"),
    ({"SIGNED": 2}, "SIGNED=2"),
    ({"N": "2"}, "N must be an integer"),
    ({"M": 4.0}, "M must be an integer"),
    ({"LANES": True}, "LANES must be an integer"),
    ({"K": 4}, "unknown parameter"),
])
def test_generator_rejects_bad_params(bad, fragment) -> None:
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        generate(bad)


def test_generator_accepts_bool_signed() -> None:
    assert validate_params({"SIGNED": False})["SIGNED"] == 0


def test_template_contract() -> None:
    assert isinstance(TEMPLATE, Template)
    assert TEMPLATE.family == "sparse_nm" and TEMPLATE.top == "sparse_nm"
    assert TEMPLATE.test_module == "test_sparse_nm"
    assert (TEMPLATE.package_dir / "test_sparse_nm.py").is_file()
    assert (TEMPLATE.package_dir / "README.md").is_file()
    sets = TEMPLATE.regress_sets()
    assert dict(sets[0]) == dict(TEMPLATE.default_params) == DEFAULT_PARAMS
    assert {(s["N"], s["M"]) for s in sets} == {(2, 4), (2, 8)}
    assert any(s["SIGNED"] == 0 and s["ACC_W"] < 2 * s["IN_W"] + 8 for s in sets)   # a wrap case
    for s in sets:
        assert "sparse_nm.v" in list(TEMPLATE.generate(TEMPLATE.params(s)))
    for name, values in TEMPLATE.param_space.items():
        assert name in DEFAULT_PARAMS and 3 <= len(values) <= 6, name
        for v in values:
            validate_params({name: v})
    assert TEMPLATE.latency is not None and TEMPLATE.latency(DEFAULT_PARAMS) == 2
    with pytest.raises(ConfigError):
        TEMPLATE.params({"ROWS": 4})


def test_template_is_discovered() -> None:
    from rtlsmith.rtl_templates import discover

    assert discover()["sparse_nm"] is TEMPLATE

