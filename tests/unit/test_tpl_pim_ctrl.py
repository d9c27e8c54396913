"""Unit tests for the pim_ctrl template: rule checker, reference scheduler, generator (no simulator)."""
from __future__ import annotations

import random
import re

import pytest

from rtlsmith.errors import ConfigError
from rtlsmith.rtl_templates.base import Template
from rtlsmith.rtl_templates.pim_ctrl import TEMPLATE
from rtlsmith.rtl_templates.pim_ctrl import golden
from rtlsmith.rtl_templates.pim_ctrl.generator import (DEFAULT_PARAMS, generate, latency, min_trefi, render,
                                                       validate_params)
from rtlsmith.rtl_templates.pim_ctrl.golden import (ACT, MAC, NOP, OP_MAC, OP_READOUT, PRE, RDOUT, REF, Command,
                                                    PimChecker, ReferenceScheduler, Request, Timing)

SET2 = {"CHANNELS": 1, "BANKS": 8, "QDEPTH": 2, "ROW_W": 3, "COL_W": 3,
        "tRCD": 4, "tRP": 4, "tRAS": 9, "tRFC": 10, "tREFI": 90}
TINY = {"CHANNELS": 1, "BANKS": 1, "QDEPTH": 1, "ROW_W": 1, "COL_W": 1,
        "tRCD": 1, "tRP": 1, "tRAS": 1, "tRFC": 1, "tREFI": 8}
T = Timing(tRCD=2, tRP=3, tRAS=5, tRFC=4, tREFI=40)


def checker(banks: int = 2, channels: int = 1, qdepth: int = 2, timing: Timing = T) -> PimChecker:
    return PimChecker(channels, banks, qdepth, timing)


def run(chk: PimChecker, script: dict[int, Command], until: int, accepts: dict[int, Request] | None = None,
        ) -> list[str]:
    """Feed a one-channel command script (cycle -> command); returns all violation messages."""
    errs: list[str] = []
    accepts = accepts or {}
    while chk.cycle < until:
        c = chk.cycle
        errs += chk.step([script.get(c, Command(NOP))], accepts.get(c))
    return errs


def mac(bank: int, row: int, col: int = 0, ch: int = 0) -> Request:
    return Request(OP_MAC, ch, bank, row, col)


# ---------------------------------------------------------------------- checker: legal streams
def test_legal_hand_schedule_passes() -> None:
    chk = checker()
    acc = {0: mac(0, 7, 1), 1: mac(0, 7, 2), 2: mac(0, 9, 3), 3: Request(OP_READOUT, 0, 0)}
    script = {
        1: Command(ACT, 0, row=7),       # request 0 can be served from cycle 1
        3: Command(MAC, 0, col=1),       # ACT + tRCD
        4: Command(MAC, 0, col=2),       # row hit, no ACT
        6: Command(PRE, 0),              # ACT + tRAS = 6
        9: Command(ACT, 0, row=9),       # PRE + tRP = 9
        11: Command(MAC, 0, col=3),
        12: Command(RDOUT, 0),
        40: Command(PRE, 0),             # refresh 1 due at 40: close the open row
        43: Command(REF),                # PRE + tRP
    }
    assert run(chk, script, 48, acc) == []
    assert chk.finish() == [] and not chk.busy
    assert chk.stats.served == 4 and chk.stats.ref_cycles == [[43]]
    assert chk.stats.commands[ACT] == 2 and chk.stats.commands[REF] == 1


@pytest.mark.parametrize("params", [DEFAULT_PARAMS, SET2, TINY,
                                    {**DEFAULT_PARAMS, "CHANNELS": 4, "BANKS": 2, "QDEPTH": 1},
                                    {**DEFAULT_PARAMS, "BANKS": 16, "QDEPTH": 16, "tRFC": 1, "tRCD": 1}])
def test_reference_scheduler_is_legal_and_complete(params) -> None:
    p = validate_params(params)
    rng = random.Random(str(p))
    reqs = [Request(OP_READOUT if rng.random() < 0.15 else OP_MAC, rng.randrange(p["CHANNELS"]),
                    rng.randrange(p["BANKS"]), rng.randrange(min(4, 1 << p["ROW_W"])),
                    rng.randrange(1 << p["COL_W"])) for _ in range(400)]
    cycles, chk = golden.simulate_reference(p, reqs)      # raises on any violation
    assert chk.stats.served == 400 and chk.finish() == []
    due = cycles // p["tREFI"]
    assert all(len(r) >= due - 1 for r in chk.stats.ref_cycles)
    for r in chk.stats.ref_cycles:
        for k, c in enumerate(r, start=1):
            assert k * p["tREFI"] <= c <= k * p["tREFI"] + golden.ref_window(Timing.from_params(p), p["BANKS"])


def test_reference_idle_refresh_exactly_on_schedule_and_latency() -> None:
    p = validate_params({})
    sched = ReferenceScheduler.from_params(p)
    chk = PimChecker.from_params(p)
    for _ in range(3 * p["tREFI"] + 1):
        assert chk.step(sched.commands()) == []
        sched.tick()
    assert chk.stats.ref_cycles == [[100, 200, 300], [100, 200, 300]]
    # MAC to an idle bank: ACT the cycle after acceptance, MAC tRCD later -> latency tRCD + 1
    sched, chk = ReferenceScheduler.from_params(p), PimChecker.from_params(p)
    req = mac(2, 5, 3, ch=1)
    issued = {}
    for c in range(10):
        cmds = sched.commands()
        assert chk.step(cmds, req if c == 0 else None) == []
        for cmd in cmds:
            if cmd.cmd != NOP:
                issued[cmd.cmd] = c
        sched.tick(req if c == 0 else None)
    assert issued == {ACT: 1, MAC: 1 + p["tRCD"]}
    assert latency(p) == p["tRCD"] + 1 == issued[MAC] - 0


def test_bank_parallel_beats_serial_and_one_bank() -> None:
    for params in (DEFAULT_PARAMS, SET2):
        p = validate_params(params)
        t = Timing.from_params(p)
        assert golden.parallelism_required(p["BANKS"], t)
        n = 8 * p["BANKS"]
        spread = [mac(i % p["BANKS"], (i // p["BANKS"]) % 2 * 3) for i in range(n)]
        one_bank = [mac(0, i % 2 * 3) for i in range(n)]
        c_spread, chk = golden.simulate_reference(p, spread)
        c_one, _ = golden.simulate_reference(p, one_bank)
        assert c_one >= (n - 1) * golden.row_cycle(t)          # one bank: a row cycle per miss
        took = chk.stats.last_serve + 1                        # first request accepted in cycle 0
        blocked = golden.refresh_blocked(chk, 0, 0, took - 1)
        assert took - blocked <= 0.6 * golden.serial_cycles(spread, t)
        assert c_spread < 0.5 * c_one


def test_serial_cycles_and_row_cycle_hand_computed() -> None:
    t = Timing(tRCD=2, tRP=3, tRAS=5, tRFC=4, tREFI=40)
    reqs = [mac(0, 1), mac(0, 1), mac(0, 2), Request(OP_READOUT, 0, 0), mac(1, 1, ch=0), mac(0, 2)]
    # closed: 3, hit: 1, miss: 6, readout: 1, other bank closed: 3, hit: 1
    assert golden.serial_cycles(reqs, t) == 3 + 1 + 6 + 1 + 3 + 1
    assert golden.row_cycle(t) == 8                            # max(5, 3) + 3
    assert golden.row_cycle(Timing(tRCD=6, tRP=1, tRAS=6, tRFC=1, tREFI=40)) == 8   # tRCD + 1 dominates


def test_parallelism_rule_applicability() -> None:
    # ideal parallel time per miss max(3, row_cycle/BANKS) must be <= 0.45 x (tRP + tRCD + 1)
    assert not golden.parallelism_required(1, Timing(9, 9, 20, 4, 400))
    assert golden.parallelism_required(4, Timing.from_params(DEFAULT_PARAMS))        # 3 <= 0.45 * 7
    assert not golden.parallelism_required(4, Timing(tRCD=2, tRP=3, tRAS=5, tRFC=4, tREFI=40))  # 3 > 0.45*6
    # two banks can at best halve the serial time (row_cycle >= tRP + tRCD + 1): never required
    assert not golden.parallelism_required(2, Timing(tRCD=6, tRP=6, tRAS=6, tRFC=4, tREFI=99))
    assert golden.parallelism_required(8, Timing(tRCD=4, tRP=4, tRAS=9, tRFC=10, tREFI=90))   # 3 <= 4.05
def test_refresh_blocked_spans() -> None:
    chk = checker()                                            # tREFI 40, tRFC 4, window 10
    run(chk, {43: Command(REF)}, 100)
    # refresh 1: due 40, REF 43 -> span 40..46; refresh 2 due 80 still pending at 99 -> 80..99
    assert chk.stats.ref_cycles == [[43]] and golden.refresh_blocked(chk, 0, 0, 99) == 7 + 20
    assert golden.refresh_blocked(chk, 0, 0, 45) == 6
    assert golden.refresh_blocked(chk, 0, 44, 60) == 3
    assert golden.refresh_blocked(chk, 0, 0, 39) == 0


# ---------------------------------------------------------------------- checker: each rule
def _one(errs: list[str], fragment: str) -> None:
    assert errs, f"expected a violation containing {fragment!r}"
    assert any(fragment in e for e in errs), errs


def test_trcd_violation() -> None:
    _one(run(checker(), {1: Command(ACT, 0, row=4), 2: Command(MAC, 0, col=0)}, 3, {0: mac(0, 4)}),
         "ACT->MAC 1 cycles < tRCD=2")


def test_tras_violation() -> None:
    acc = {0: mac(0, 4), 1: mac(0, 6)}
    _one(run(checker(), {1: Command(ACT, 0, row=4), 3: Command(MAC, 0), 4: Command(PRE, 0)}, 5, acc),
         "ACT->PRE 3 cycles < tRAS=5")


def test_trp_violation() -> None:
    acc = {0: mac(0, 4), 1: mac(0, 6)}
    script = {1: Command(ACT, 0, row=4), 3: Command(MAC, 0), 6: Command(PRE, 0), 8: Command(ACT, 0, row=6)}
    _one(run(checker(), script, 9, acc), "PRE->ACT 2 cycles < tRP=3")


def test_refresh_rules() -> None:
    # REF before it is due
    _one(run(checker(), {5: Command(REF)}, 6), "no refresh is due")
    # REF with a bank open
    chk = checker()
    errs = run(chk, {1: Command(ACT, 0, row=1), 3: Command(MAC, 0), 40: Command(REF)}, 41, {0: mac(0, 1)})
    _one(errs, "REF while bank 0 has row 1 open")
    # REF too soon after PRE
    chk = checker()
    errs = run(chk, {1: Command(ACT, 0, row=1), 3: Command(MAC, 0), 40: Command(PRE, 0), 41: Command(REF)},
               42, {0: mac(0, 1)})
    _one(errs, "PRE->REF on bank 0: 1 cycles < tRP=3")
    # commands inside tRFC
    chk = checker()
    _one(run(chk, {40: Command(REF), 42: Command(ACT, 1, row=0)}, 43, {41: mac(1, 0)}), "command during tRFC")
    # overdue: window = tRAS + tRP + BANKS = 5 + 3 + 2 = 10 -> deadline cycle 50
    chk = checker()
    assert run(chk, {}, 51) == []
    _one(chk.step([Command(NOP)]), "refresh 1 (due in cycle 40) was not issued by its deadline, cycle 50")
    assert chk.step([Command(NOP)]) == []                     # reported once


def test_due_refresh_blocks_act_and_allows_pre() -> None:
    chk = checker()
    acc = {0: mac(0, 1), 38: mac(1, 2)}
    script = {1: Command(ACT, 0, row=1), 3: Command(MAC, 0), 40: Command(PRE, 0), 41: Command(ACT, 1, row=2)}
    _one(run(chk, script, 42, acc), "ACT while a refresh is due")
    # the PRE at 40 itself was legal although bank 0 has no pending request
    chk = checker()
    assert run(chk, {1: Command(ACT, 0, row=1), 3: Command(MAC, 0), 40: Command(PRE, 0), 43: Command(REF)},
               44, {0: mac(0, 1)}) == []


def test_open_row_policy_violations() -> None:
    # ACT with nothing pending
    _one(run(checker(), {2: Command(ACT, 1, row=3)}, 3), "ACT not needed")
    # ACT of the wrong row
    _one(run(checker(), {2: Command(ACT, 0, row=3)}, 3, {0: mac(0, 4)}), "needs row 4")
    # PRE although the next request hits the open row
    acc = {0: mac(0, 4), 1: mac(0, 4)}
    _one(run(checker(), {1: Command(ACT, 0, row=4), 3: Command(MAC, 0), 6: Command(PRE, 0)}, 7, acc),
         "PRE not needed")
    # PRE with an empty queue (the row should stay open)
    _one(run(checker(), {1: Command(ACT, 0, row=4), 3: Command(MAC, 0), 7: Command(PRE, 0)}, 8, {0: mac(0, 4)}),
         "PRE not needed")
    # PRE to an idle bank
    _one(run(checker(), {3: Command(PRE, 1)}, 4), "already precharged")
    # ACT to a bank with a row open
    acc = {0: mac(0, 4), 1: mac(0, 5)}
    _one(run(checker(), {1: Command(ACT, 0, row=4), 3: Command(MAC, 0), 8: Command(ACT, 0, row=5)}, 9, acc),
         "still open")


def test_service_order_and_fields() -> None:
    acc = {0: mac(0, 4, col=2), 1: Request(OP_READOUT, 0, 0)}
    # RDOUT before the MAC it follows
    _one(run(checker(), {2: Command(RDOUT, 0)}, 3, acc), "RDOUT but the bank's next request is MAC")
    # wrong column
    _one(run(checker(), {1: Command(ACT, 0, row=4), 3: Command(MAC, 0, col=1)}, 4, acc), "MAC col 1")
    # MAC with the bank closed
    _one(run(checker(), {3: Command(MAC, 0, col=2)}, 4, acc), "no open row")
    # serving in the same cycle as acceptance is too early
    _one(run(checker(), {0: Command(RDOUT, 0)}, 1, {0: Request(OP_READOUT, 0, 0)}), "next request is none")
    # illegal code and bank
    _one(run(checker(), {0: Command(7)}, 1), "illegal command code 7")
    _one(run(checker(), {0: Command(RDOUT, 5)}, 1), "bank 5 does not exist")


def test_busy_ready_and_finish() -> None:
    chk = checker(qdepth=2)
    assert chk.check_busy(False) == []
    chk.step([Command(NOP)], mac(0, 1))
    _one(chk.check_busy(False), "busy is 0 but 1 accepted request(s) are unserved")
    assert chk.check_ready(mac(0, 1), False)                 # 1 < QDEPTH: must accept
    assert chk.check_ready(mac(1, 1), False)
    chk.step([Command(NOP)], mac(0, 2))
    assert chk.check_ready(mac(0, 3), False) == []           # bank 0 full: may refuse
    assert chk.check_ready(mac(0, 3), True) == []            # ... or accept (more buffering)
    _one(chk.finish(), "was never served")
    assert chk.outstanding(0, 0) == 2 and chk.busy
    chk.reset()
    assert chk.cycle == 0 and not chk.busy and chk.finish() == []
    with pytest.raises(ValueError):
        chk.step([])


def test_describe_mentions_state() -> None:
    chk = checker()
    run(chk, {1: Command(ACT, 0, row=4)}, 2, {0: mac(0, 4, col=1)})
    text = chk.describe(0)
    assert "bank 0: open row 4 (ACT@1)" in text and "next MAC(ch=0, bank=0, row=4, col=1)" in text
    assert str(Command(ACT, 1, row=2)) == "ACT(bank=1, row=2)" and str(Command(REF)) == "REF"


# ---------------------------------------------------------------------- generator
def _slang(text: str):
    from pyslang.ast import Compilation
    from pyslang.syntax import SyntaxTree

    comp = Compilation()
    comp.addSyntaxTree(SyntaxTree.fromText(text, "pim_ctrl.v"))
    return comp


@pytest.mark.parametrize("overrides", [
    {}, SET2, TINY,
    {"CHANNELS": 4, "BANKS": 16, "QDEPTH": 16, "ROW_W": 16, "COL_W": 12,
     "tRCD": 63, "tRP": 63, "tRAS": 127, "tRFC": 1023, "tREFI": 65535},
    {"CHANNELS": 2, "BANKS": 2, "QDEPTH": 3},
])
def test_generated_rtl_elaborates_with_pyslang(overrides) -> None:
    from pyslang.ast import ArgumentDirection

    p = validate_params(overrides)
    files = generate(overrides)
    assert list(files) == ["pim_ctrl.v"]
    comp = _slang(files["pim_ctrl.v"])
    errors = [d for d in comp.getAllDiagnostics() if d.isError()]
    assert not errors, [str(d.code) for d in errors]
    tops = comp.getRoot().topInstances
    assert [t.name for t in tops] == ["pim_ctrl"]
    body = tops[0].body
    params = {x.name: str(x.value) for x in body.parameters}
    assert {k: int(params[k]) for k in p} == p
    ch_w = max(1, (p["CHANNELS"] - 1).bit_length())
    bank_w = max(1, (p["BANKS"] - 1).bit_length())
    n = p["CHANNELS"]
    widths = {"clk": 1, "rst": 1, "req_valid": 1, "req_ready": 1, "req_op": 1, "req_ch": ch_w,
              "req_bank": bank_w, "req_row": p["ROW_W"], "req_col": p["COL_W"], "cmd": 3 * n,
              "cmd_bank": bank_w * n, "cmd_row": p["ROW_W"] * n, "cmd_col": p["COL_W"] * n, "busy": 1}
    outs = {"req_ready", "cmd", "cmd_bank", "cmd_row", "cmd_col", "busy"}
    for name, width in widths.items():
        port = body.findPort(name)
        assert port is not None, name
        assert port.type.bitWidth == width, name
        assert port.direction == (ArgumentDirection.Out if name in outs else ArgumentDirection.In), name


def test_generated_rtl_is_plain_verilog_and_deterministic() -> None:
    text = render({})
    assert text == render(dict(DEFAULT_PARAMS))
    code = re.sub(r"//[^\n]*", "", text)
    assert "@" not in code.replace("@(posedge", "").replace("@*", "")
    for sv_only in ("logic ", "always_ff", "always_comb", "'0", "'1", "typedef", "++", "+=", "unique"):
        assert sv_only not in code, sv_only
    for banned in ("$display", "$finish", "initial", "$readmem"):
        assert banned not in code
    for module in ("module pim_ctrl #", "module pim_ctrl_bank #"):
        assert module in text
    assert "parameter integer tREFI    = 100" in text
    assert "parameter integer tREFI    = 90" in render(SET2)


@pytest.mark.parametrize("bad,fragment", [
    ({"CHANNELS": 3}, "CHANNELS=3 must be a power of two"),
    ({"CHANNELS": 8}, "CHANNELS=8 is out of range"),
    ({"BANKS": 6}, "BANKS=6 must be a power of two"),
    ({"BANKS": 0}, "BANKS=0"),
    ({"QDEPTH": 0}, "QDEPTH=0"),
    ({"QDEPTH": 17}, "QDEPTH=17"),
    ({"ROW_W": 17}, "ROW_W=17"),
    ({"COL_W": 0}, "COL_W=0"),
    ({"tRCD": 0}, "tRCD=0"),
    ({"tRAS": 2, "tRCD": 3}, "tRAS=2 must be >= tRCD=3"),
    ({"tREFI": 24}, "tREFI=24 is too small"),
    ({"tRFC": 1024}, "tRFC=1024"),
    ({"tRP": 3.0}, "tRP must be an integer"),
    ({"BANKS": True}, "BANKS must be an integer"),
    ({"tWR": 4}, "unknown parameter"),
])
def test_generator_rejects_bad_params(bad, fragment) -> None:
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        generate(bad)


def test_min_trefi_and_latency() -> None:
    assert min_trefi(DEFAULT_PARAMS) == 7 + 3 + 4 + 10 + 1
    validate_params({"tREFI": min_trefi(DEFAULT_PARAMS)})
    assert latency({}) == 4 and latency(SET2) == 5


def test_template_contract() -> None:
    assert isinstance(TEMPLATE, Template)
    assert TEMPLATE.family == "pim_ctrl" and TEMPLATE.top == "pim_ctrl"
    assert TEMPLATE.test_module == "test_pim_ctrl"
    assert (TEMPLATE.package_dir / "test_pim_ctrl.py").is_file()
    assert (TEMPLATE.package_dir / "README.md").is_file()
    sets = TEMPLATE.regress_sets()
    assert dict(sets[0]) == dict(TEMPLATE.default_params) == DEFAULT_PARAMS
    assert len(sets) == 2 and {s["CHANNELS"] for s in sets} == {1, 2}
    for name, values in TEMPLATE.param_space.items():
        assert 3 <= len(values) <= 6
        for v in values:
            validate_params({name: v})
    for s in sets:
        assert "pim_ctrl.v" in list(TEMPLATE.generate(TEMPLATE.params(s)))
    from rtlsmith.rtl_templates import discover
    assert discover()["pim_ctrl"] is TEMPLATE
