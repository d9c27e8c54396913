"""Unit tests for the kv_cache template: golden model and generator (no simulator)."""
from __future__ import annotations

import random
import re

import pytest

from rtlsmith.errors import ConfigError
from rtlsmith.rtl_templates.base import Template
from rtlsmith.rtl_templates.kv_cache import TEMPLATE
from rtlsmith.rtl_templates.kv_cache import golden
from rtlsmith.rtl_templates.kv_cache.generator import DEFAULT_PARAMS, generate, latency, render, validate_params
from rtlsmith.rtl_templates.kv_cache.golden import OP_APPEND, OP_CLEAR, OP_NOP, OP_READ

SMALL = {"HEADS": 3, "MAX_POS": 5, "D": 5, "BITS": 4, "READ_LAT": 1}


# ---------------------------------------------------------------------- formats
def test_int4_packing_nibble_order_and_sign_extension() -> None:
    # element 0 -> low nibble of byte 0, element 1 -> high nibble of byte 0, ...
    assert golden.pack_word([1, 2, 3], 4) == 0x321
    assert golden.pack_word([-1, 0], 4) == 0x0F
    assert golden.pack_word([-8, 7], 4) == 0x78
    assert golden.unpack_word(0x78, 2, 4) == [-8, 7]
    assert golden.unpack_word(0xF0F, 3, 4) == [-1, 0, -1]
    # responses: sign-extended 8-bit lanes
    assert golden.rsp_data_of(0x78, 2, 4) == 0x07F8           # lanes: 0xF8 (-8), 0x07 (7)
    assert golden.rsp_data_of(0xF, 1, 4) == 0xFF              # -1 -> 0xFF
    assert golden.rsp_data_of(0x7, 1, 4) == 0x07
    assert golden.unpack_lanes8(golden.rsp_data_of(0x8F, 2, 4), 2) == [-1, -8]


def test_int8_passthrough_and_ranges() -> None:
    assert golden.pack_word([-128, 127, -1], 8) == 0xFF7F80
    assert golden.rsp_data_of(0xFF7F80, 3, 8) == 0xFF7F80
    assert golden.unpack_lanes8(0xFF7F80, 3) == [-128, 127, -1]
    assert golden.elem_range(4) == (-8, 7) and golden.elem_range(8) == (-128, 127)
    assert golden.to_signed(0x8, 4) == -8 and golden.to_signed(0x7, 4) == 7


def test_pack_unpack_roundtrip() -> None:
    rng = random.Random(3)
    for bits in (4, 8):
        lo, hi = golden.elem_range(bits)
        for d in (1, 2, 5, 8, 17):
            vals = [rng.randint(lo, hi) for _ in range(d)]
            word = golden.pack_word(vals, bits)
            assert word < 1 << (d * bits)
            assert golden.unpack_word(word, d, bits) == vals
            assert golden.unpack_lanes8(golden.rsp_data_of(word, d, bits), d) == vals


# ---------------------------------------------------------------------- functional model
def test_ring_buffer_read_relative_to_oldest_and_wrap() -> None:
    c = golden.KVCache(heads=2, max_pos=3, d=1, bits=8)
    assert c.read(0, 0).err and c.read(0, 0).data == 0          # empty
    for v in (10, 11):
        c.append(0, v)
    assert c.length(0) == 2 and c.length(1) == 0
    assert [c.read_word(0, p) for p in range(3)] == [10, 11, None]
    for v in (12, 13, 14):                                       # 13 overwrites 10, 14 overwrites 11
        c.append(0, v)
    assert c.length(0) == 3                                      # saturates at MAX_POS
    assert [c.read_word(0, p) for p in range(3)] == [12, 13, 14]
    assert c.read(0, 3).err
    assert c.read(1, 0).err                                      # other head untouched
    c.clear(0)
    assert c.length(0) == 0 and c.read(0, 0).err
    c.append(0, 20)
    assert c.read_word(0, 0) == 20


def test_bad_heads_are_errors_or_ignored() -> None:
    c = golden.KVCache(heads=3, max_pos=4, d=2, bits=4)
    c.append(3, 0x12)                                            # ignored
    c.clear(3)
    assert c.read(3, 0).err and all(c.length(h) == 0 for h in range(3))
    assert c.apply(OP_NOP, 0, 0, 0x55) is None and c.length(0) == 0
    assert c.apply(OP_APPEND, 1, 0, 0x1F) is None                # word masked to D*BITS bits
    assert c.read_word(1, 0) == 0x1F
    c.append(1, 0x1FF)
    assert c.read_word(1, 1) == 0xFF


def test_ring_matches_naive_list_model() -> None:
    """Random ops against an independent list-based ring (slot arithmetic like the RTL)."""
    rng = random.Random(7)
    heads, m = 3, 5
    c = golden.KVCache(heads, m, d=2, bits=8)
    slots = [[None] * m for _ in range(heads)]
    wr = [0] * heads
    ln = [0] * heads
    for _ in range(2000):
        h = rng.randrange(heads)
        r = rng.random()
        if r < 0.45:
            w = rng.getrandbits(16)
            c.append(h, w)
            slots[h][wr[h]] = w
            wr[h] = (wr[h] + 1) % m
            ln[h] = min(ln[h] + 1, m)
        elif r < 0.5:
            c.clear(h)
            ln[h] = 0
        else:
            pos = rng.randrange(m + 1)
            want = slots[h][(wr[h] - ln[h] + pos) % m] if pos < ln[h] else None
            assert c.read_word(h, pos) == want


# ---------------------------------------------------------------------- cycle model
def test_cycle_model_latency_and_full_rate() -> None:
    for lat in (1, 2, 4):
        mdl = golden.KVCacheModel(heads=1, max_pos=4, d=1, bits=8, read_lat=lat)
        mdl.tick(req_valid=True, op=OP_APPEND, head=0, data=0x42)
        seen = []
        for k in range(6):
            assert mdl.req_ready(True)
            mdl.tick(req_valid=k < 2, op=OP_READ, head=0, pos=k)       # two reads at cycles 1, 2
            seen.append(mdl.rsp)
        # read accepted in cycle c responds in cycle c+lat: after lat ticks the response shows
        assert seen[lat - 1] == golden.Response(False, 0x42, 0, 0)
        assert seen[lat] is not None and seen[lat].err                 # pos 1 does not exist
        assert all(r is None for i, r in enumerate(seen) if i not in (lat - 1, lat))


def test_cycle_model_backpressure_stalls_everything() -> None:
    mdl = golden.KVCacheModel(heads=2, max_pos=4, d=1, bits=8, read_lat=2)
    mdl.tick(req_valid=True, op=OP_APPEND, head=0, data=7)
    mdl.tick(req_valid=True, op=OP_READ, head=0, pos=0)
    mdl.tick(req_valid=True, op=OP_READ, head=1, pos=0)
    assert mdl.rsp == golden.Response(False, 7, 0, 0)
    assert not mdl.req_ready(False) and mdl.req_ready(True)
    for _ in range(3):                                   # held: nothing moves, nothing accepted
        assert not mdl.tick(req_valid=True, op=OP_APPEND, head=0, data=9, rsp_ready=False)
        assert mdl.rsp == golden.Response(False, 7, 0, 0)
    assert mdl.cache.length(0) == 1
    assert mdl.tick(req_valid=True, op=OP_APPEND, head=0, data=9, rsp_ready=True)
    assert mdl.rsp is not None and mdl.rsp.err and mdl.rsp.head == 1
    assert mdl.cache.length(0) == 2
    # an empty output never blocks, whatever rsp_ready says
    mdl.tick(rsp_ready=True)
    mdl.tick(rsp_ready=True)
    assert mdl.rsp is None and mdl.req_ready(False)


def test_cycle_model_reset_drops_in_flight() -> None:
    mdl = golden.KVCacheModel.from_params(SMALL)
    mdl.tick(req_valid=True, op=OP_APPEND, head=0, data=1)
    mdl.tick(req_valid=True, op=OP_READ, head=0, pos=0)
    assert mdl.rsp_valid
    mdl.tick(rst=True, req_valid=True, op=OP_APPEND, head=0, data=2)
    assert not mdl.rsp_valid and mdl.cache.length(0) == 0
    mdl.tick(req_valid=True, op=OP_CLEAR, head=0)
    assert mdl.rsp is None


# ---------------------------------------------------------------------- generator
def _slang(text: str):
    from pyslang.ast import Compilation
    from pyslang.syntax import SyntaxTree

    comp = Compilation()
    comp.addSyntaxTree(SyntaxTree.fromText(text, "kv_cache.v"))
    return comp


@pytest.mark.parametrize("overrides", [
    {}, SMALL,
    {"HEADS": 1, "MAX_POS": 2, "D": 1, "BITS": 4, "READ_LAT": 4},
    {"HEADS": 64, "MAX_POS": 1024, "D": 128, "BITS": 8, "READ_LAT": 3},
    {"HEADS": 5, "MAX_POS": 7, "D": 3, "BITS": 8, "READ_LAT": 2},
])
def test_generated_rtl_elaborates_with_pyslang(overrides) -> None:
    from pyslang.ast import ArgumentDirection

    p = validate_params(overrides)
    files = generate(overrides)
    assert list(files) == ["kv_cache.v"]
    comp = _slang(files["kv_cache.v"])
    errors = [d for d in comp.getAllDiagnostics() if d.isError()]
    assert not errors, [str(d.code) for d in errors]
    tops = comp.getRoot().topInstances
    assert [t.name for t in tops] == ["kv_cache"]
    body = tops[0].body
    params = {x.name: str(x.value) for x in body.parameters}
    assert {k: int(params[k]) for k in p} == p
    head_w = max(1, (p["HEADS"] - 1).bit_length())
    pos_w = (p["MAX_POS"] - 1).bit_length()
    widths = {"clk": 1, "rst": 1, "req_valid": 1, "req_ready": 1, "req_op": 2, "req_head": head_w,
              "req_pos": pos_w, "req_data": p["D"] * p["BITS"], "rsp_valid": 1, "rsp_ready": 1,
              "rsp_err": 1, "rsp_data": p["D"] * 8}
    outs = {"req_ready", "rsp_valid", "rsp_err", "rsp_data"}
    for name, width in widths.items():
        port = body.findPort(name)
        assert port is not None, name
        assert port.type.bitWidth == width, name
        assert port.direction == (ArgumentDirection.Out if name in outs else ArgumentDirection.In), name


def test_generated_rtl_is_plain_verilog_and_deterministic() -> None:
    text = render({})
    assert text == render(dict(DEFAULT_PARAMS))
    code = re.sub(r"//[^\n]*", "", text)
    assert "@" not in code.replace("@(posedge", "")
    for sv_only in ("logic ", "always_ff", "always_comb", "'0", "'1", "typedef", "++", "+=", "unique"):
        assert sv_only not in code, sv_only
    for banned in ("$display", "$finish", "initial", "$readmem"):
        assert banned not in code
    assert "parameter integer READ_LAT = 2" in text
    assert "reg [WORD_W-1:0] mem [0:DEPTH-1];" in text               # inferable RAM
    assert "parameter integer BITS     = 4" in render(SMALL)


@pytest.mark.parametrize("bad,fragment", [
    ({"HEADS": 0}, "HEADS=0"),
    ({"HEADS": 65}, "HEADS=65"),
    ({"MAX_POS": 1}, "MAX_POS=1"),
    ({"D": 0}, "D=0"),
    ({"D": 129}, "D=129"),
    ({"BITS": 6}, "BITS=6"),
    ({"BITS": 16}, "BITS=16"),
    ({"READ_LAT": 0}, "READ_LAT=0"),
    ({"READ_LAT": 5}, "READ_LAT=5"),
    ({"HEADS": 64, "MAX_POS": 2048}, "HEADS\\*MAX_POS=131072"),
    ({"D": "8"}, "D must be an integer"),
    ({"BITS": True}, "BITS must be an integer"),
    ({"WIDTH": 4}, "unknown parameter"),
])
def test_generator_rejects_bad_params(bad, fragment) -> None:
    with pytest.raises(ConfigError, match=fragment):
        generate(bad)
    with pytest.raises(ConfigError):
        validate_params([("HEADS", 2)])  # type: ignore[arg-type]


def test_latency_is_read_lat() -> None:
    assert latency({}) == 2 and latency(SMALL) == 1 and latency({"READ_LAT": 4}) == 4


def test_template_contract() -> None:
    assert isinstance(TEMPLATE, Template)
    assert TEMPLATE.family == "kv_cache" and TEMPLATE.top == "kv_cache"
    assert TEMPLATE.test_module == "test_kv_cache"
    assert (TEMPLATE.package_dir / "test_kv_cache.py").is_file()
    assert (TEMPLATE.package_dir / "README.md").is_file()
    sets = TEMPLATE.regress_sets()
    assert dict(sets[0]) == dict(TEMPLATE.default_params) == DEFAULT_PARAMS
    assert {s["BITS"] for s in sets} == {4, 8}
    assert TEMPLATE.latency is latency
    for name, values in TEMPLATE.param_space.items():
        assert 2 <= len(values) <= 6
        for v in values:
            validate_params({name: v})
    for s in sets:
        assert "kv_cache.v" in list(TEMPLATE.generate(TEMPLATE.params(s)))
    from rtlsmith.rtl_templates import discover
    assert discover()["kv_cache"] is TEMPLATE

