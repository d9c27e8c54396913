"""cocotb 2.x tests for the ``pim_ctrl`` DRAM-PIM command scheduler.

Parameters come from the JSON object in ``$RTLSMITH_PARAMS`` (missing -> template
defaults); its optional key ``"seed"`` fixes the random seed, else ``cocotb.RANDOM_SEED``
is used. The design under test must have been generated with the same parameters.

Checking strategy: the family's spec is a set of rules, so the tests do not expect one
exact schedule. Every cycle, after the inputs have settled (ReadOnly), the command of every
channel, ``busy`` and ``req_ready`` go to the rule checker (:class:`golden.PimChecker`),
which keeps the DRAM's bank state and the accepted-but-unserved requests and reports any
timing violation (tRCD, tRAS, tRP, tRFC), refresh outside its window or with a bank open,
ACT/PRE the requests do not need (open-row policy), out-of-order or wrong service, a wrong
``busy``, or a refused request to a bank with room. Tests then check completion (every
request served), refresh cadence, row-hit reuse and bank-level parallelism (row misses
spread over the banks finish in at most 0.8 x the time any one-request-at-a-time controller
needs).
"""
from __future__ import annotations

import random
from typing import Any, Sequence

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly

try:
    from rtlsmith.rtl_templates.common import PARAMS_ENV, load_test_config
    from rtlsmith.rtl_templates.pim_ctrl.generator import validate_params
    from rtlsmith.rtl_templates.pim_ctrl.golden import (
        ACT, CMD_NAMES, CMD_W, MAC, OP_MAC, OP_READOUT, PARALLEL_FACTOR, REF, Command, PimChecker, Request,
        Timing, parallelism_required, ref_window, refresh_blocked, serial_cycles)
except ImportError:  # pragma: no cover - running from a copy of the folder
    from generator import validate_params  # type: ignore[no-redef]
    from golden import (ACT, CMD_NAMES, CMD_W, MAC, OP_MAC, OP_READOUT,  # type: ignore[no-redef]
                        PARALLEL_FACTOR, REF, Command, PimChecker, Request, Timing,
                        parallelism_required, ref_window, refresh_blocked, serial_cycles)
    from common import PARAMS_ENV, load_test_config  # type: ignore[no-redef]

CLK_PERIOD_NS = 10


def load_config() -> tuple[dict[str, int], int]:
    """(design params, seed) from ``$RTLSMITH_PARAMS``; the seed defaults to cocotb's."""
    return load_test_config(validate_params, cocotb.RANDOM_SEED)


def _field(value: Any, lsb: int, width: int) -> int | None:
    """Bits [lsb +: width] of a bus value, or None if any of them is X/Z."""
    try:
        return (value.to_unsigned() >> lsb) & ((1 << width) - 1)
    except ValueError:
        bits = str(value)[::-1][lsb:lsb + width]          # LSB first
        return int(bits[::-1], 2) if set(bits) <= set("01") else None


class Bench:
    """Drives requests, samples every channel's command each cycle and feeds the checker."""

    def __init__(self, dut: Any, test_name: str) -> None:
        self.dut = dut
        self.p, seed = load_config()
        self.ch_n, self.banks, self.qdepth = self.p["CHANNELS"], self.p["BANKS"], self.p["QDEPTH"]
        self.row_w, self.col_w = self.p["ROW_W"], self.p["COL_W"]
        self.ch_w = max(1, (self.ch_n - 1).bit_length())
        self.bank_w = max(1, (self.banks - 1).bit_length())
        self.t = Timing.from_params(self.p)
        self.window = ref_window(self.t, self.banks)
        self.chk = PimChecker.from_params(self.p)
        self.rng = random.Random(f"{seed}:{test_name}")
        self.cycle = 0                      # == self.chk.cycle outside reset
        self.log: list[list[Command]] = []  # commands per cycle since the last reset
        dut._log.info("params=%s seed=%d refresh window=%d", self.p, seed, self.window)
        self._check_port_widths()

    def _check_port_widths(self) -> None:
        want = {"req_ch": self.ch_w, "req_bank": self.bank_w, "req_row": self.row_w, "req_col": self.col_w,
                "cmd": CMD_W * self.ch_n, "cmd_bank": self.bank_w * self.ch_n,
                "cmd_row": self.row_w * self.ch_n, "cmd_col": self.col_w * self.ch_n}
        for port, width in want.items():
            got = len(getattr(self.dut, port))
            assert got == width, (f"port {port} is {got} bits but ${PARAMS_ENV} params {self.p} "
                                  f"imply {width}: the DUT was built with other parameters")

    # ------------------------------------------------------------------ stimulus helpers
    def mac(self, ch: int, bank: int, row: int, col: int | None = None) -> Request:
        return Request(OP_MAC, ch, bank, row, self.rng.getrandbits(self.col_w) if col is None else col)

    def readout(self, ch: int, bank: int) -> Request:
        return Request(OP_READOUT, ch, bank)

    def rand_req(self, rows: int | None = None, readout_p: float = 0.1) -> Request:
        ch, bank = self.rng.randrange(self.ch_n), self.rng.randrange(self.banks)
        if self.rng.random() < readout_p:
            return self.readout(ch, bank)
        row_space = 1 << self.row_w if rows is None else min(rows, 1 << self.row_w)
        return self.mac(ch, bank, self.rng.randrange(row_space))

    # ------------------------------------------------------------------ cycle driver
    async def start(self) -> None:
        """Start the clock and hold reset for two edges."""
        dut = self.dut
        dut.rst.value = 1
        dut.req_valid.value = 0
        for name in ("req_op", "req_ch", "req_bank", "req_row", "req_col"):
            getattr(dut, name).value = 0
        cocotb.start_soon(Clock(dut.clk, CLK_PERIOD_NS, unit="ns").start())
        await FallingEdge(dut.clk)
        await self.step(rst=True)
        await self.step(rst=True)

    def sample_commands(self) -> list[Command]:
        dut = self.dut
        cmd_v, bank_v, row_v, col_v = dut.cmd.value, dut.cmd_bank.value, dut.cmd_row.value, dut.cmd_col.value
        out = []
        for ch in range(self.ch_n):
            code = _field(cmd_v, ch * CMD_W, CMD_W)
            where = f"cycle {self.cycle}: ch{ch}"
            assert code is not None, f"{where}: cmd has X/Z bits ({cmd_v})"
            bank = row = col = 0
            if code not in (0, REF):
                bank = _field(bank_v, ch * self.bank_w, self.bank_w)
                assert bank is not None, f"{where}: {CMD_NAMES.get(code, code)} with X/Z on cmd_bank"
            if code == ACT:
                row = _field(row_v, ch * self.row_w, self.row_w)
                assert row is not None, f"{where}: ACT with X/Z on cmd_row"
            if code == MAC:
                col = _field(col_v, ch * self.col_w, self.col_w)
                assert col is not None, f"{where}: MAC with X/Z on cmd_col"
            out.append(Command(code, bank, row, col))
        return out

    async def step(self, req: Request | None = None, *, rst: bool = False, label: str = "") -> bool:
        """Drive one cycle, check it once settled, pass the rising edge. True = req accepted."""
        dut = self.dut
        if req is not None:
            dut.req_valid.value = 1
            dut.req_op.value = req.op
            dut.req_ch.value = req.ch
            dut.req_bank.value = req.bank
            # row/col of a READOUT carry no meaning: garbage
            dut.req_row.value = req.row if req.op == OP_MAC else self.rng.getrandbits(self.row_w)
            dut.req_col.value = req.col if req.op == OP_MAC else self.rng.getrandbits(self.col_w)
        else:
            dut.req_valid.value = 0
            dut.req_op.value = self.rng.getrandbits(1)
            dut.req_ch.value = self.rng.randrange(self.ch_n)
            dut.req_bank.value = self.rng.getrandbits(self.bank_w)
            dut.req_row.value = self.rng.getrandbits(self.row_w)
            dut.req_col.value = self.rng.getrandbits(self.col_w)
        dut.rst.value = int(rst)
        await ReadOnly()
        accepted = False
        if rst:
            self.chk.reset()
            self.cycle = 0
            self.log = []
        else:
            ready = bool(int(dut.req_ready.value)) if req is not None else False
            accepted = req is not None and ready
            cmds = self.sample_commands()
            errs = self.chk.check_busy(bool(int(dut.busy.value)))
            if req is not None:
                errs += self.chk.check_ready(req, ready)
            errs += self.chk.step(cmds, req if accepted else None)
            if errs:
                raise AssertionError((f"[{label}] " if label else "") + "\n".join(errs[:6]))
            self.log.append(cmds)
            self.cycle += 1
        await FallingEdge(dut.clk)
        return accepted

    # ------------------------------------------------------------------ sequences
    async def send(self, req: Request, *, label: str = "", max_wait: int = 0) -> int:
        """Present ``req`` until accepted; returns the cycle it was accepted in."""
        limit = max_wait or 4 * self.t.tREFI + 64 * (self.t.tRAS + self.t.tRP + self.t.tRCD)
        for _ in range(limit):
            cyc = self.cycle
            if await self.step(req, label=label or str(req)):
                return cyc
        raise AssertionError(f"cycle {self.cycle}: {req} not accepted within {limit} cycles")

    async def run(self, reqs: Sequence[Request], *, valid_p: float = 1.0, label: str = "") -> int:
        """Send ``reqs`` in order with random bubbles; returns the first acceptance cycle."""
        first = -1
        for req in reqs:
            while self.rng.random() >= valid_p:
                await self.step(None, label=f"{label} bubble")
            cyc = await self.send(req, label=f"{label} {req}")
            first = cyc if first < 0 else first
        return first

    async def drain(self, label: str = "drain") -> int:
        """Idle until every accepted request is served; returns the cycles that took."""
        n = 0
        limit = 2 * self.t.tREFI + 64 * (self.t.tRAS + self.t.tRP + self.t.tRCD) * self.qdepth
        while self.chk.busy:
            assert n < limit, (f"cycle {self.cycle}: requests still unserved {n} cycles into the drain: "
                               + "; ".join(self.chk.describe(ch) for ch in range(self.ch_n)))
            await self.step(None, label=label)
            n += 1
        errs = self.chk.finish()
        assert not errs, "\n".join(errs[:6])
        return n

    async def idle(self, n: int, label: str = "idle") -> None:
        for _ in range(n):
            await self.step(None, label=label)

    def count(self, code: int, ch: int | None = None, since: int = 0) -> int:
        return sum(1 for cmds in self.log[since:] for c, cmd in enumerate(cmds)
                   if cmd.cmd == code and (ch is None or c == ch))

    def check_refresh_count(self, where: str) -> None:
        """Every refresh due so far was issued, except one still inside its window."""
        due = self.chk.refs_due()
        for ch in range(self.ch_n):
            done = self.chk.refs_done[ch]
            in_window = self.cycle <= due * self.t.tREFI + self.window
            assert done == due or (done == due - 1 and in_window), (
                f"{where}: ch{ch} issued {done} REF(s) by cycle {self.cycle}, {due} due")


# ====================================================================== tests
@cocotb.test()
async def test_random_traffic(dut: Any) -> None:
    """Random MAC/READOUT streams (hits, misses, hot bank, bubbles): zero violations, all served."""
    b = Bench(dut, "test_random_traffic")
    await b.start()
    await b.run([b.rand_req(rows=4) for _ in range(80)], label="few rows (hits and misses)")
    await b.run([b.rand_req() for _ in range(40)], valid_p=0.5, label="random rows with bubbles")
    hot = [b.mac(0, 0, b.rng.randrange(3)) if b.rng.random() < 0.7 else b.rand_req(rows=4) for _ in range(30)]
    await b.run(hot, label="hot bank (queue full)")
    await b.drain()
    b.check_refresh_count("after random traffic")
    assert b.chk.stats.served == 150, f"served {b.chk.stats.served} of 150 requests"


@cocotb.test()
async def test_row_hits(dut: Any) -> None:
    """Open-row policy: a run of MACs to one row needs one ACT; a new row needs PRE + ACT."""
    b = Bench(dut, "test_row_hits")
    await b.start()
    runs = [(3, 10), (5, 10), (5, 6)]                   # (row, length)
    bank = b.banks - 1
    for ch in range(b.ch_n):
        since = len(b.log)
        refs_before = b.chk.refs_done[ch]
        for row, n in runs:
            await b.run([b.mac(ch, bank, row % (1 << b.row_w)) for _ in range(n)], label=f"row {row} x{n}")
        await b.drain()
        row_runs = len({r % (1 << b.row_w) for r, _ in runs[:2]})  # 3 and 5 differ when ROW_W > 1
        refs = b.chk.refs_done[ch] - refs_before
        acts = b.count(ACT, ch, since)
        assert acts <= row_runs + refs, (f"ch{ch}: {acts} ACTs for {row_runs} row change(s) and {refs} "
                                         "refresh(es): row hits must reuse the open row")
        assert b.count(MAC, ch, since) == sum(n for _, n in runs)
    # READOUT between MACs on the same row does not close it
    since = len(b.log)
    refs_before = b.chk.refs_done[0]
    await b.run([b.mac(0, 0, 1), b.readout(0, 0), b.mac(0, 0, 1), b.readout(0, 0), b.mac(0, 0, 1)],
                label="MAC/READOUT mix")
    await b.drain()
    assert b.count(ACT, 0, since) <= 1 + (b.chk.refs_done[0] - refs_before)


@cocotb.test()
async def test_bank_parallelism(dut: Any) -> None:
    """Row misses spread over all banks finish well before a one-request-at-a-time schedule."""
    b = Bench(dut, "test_bank_parallelism")
    await b.start()
    n = 6 * b.banks
    required = parallelism_required(b.banks, b.t)
    for ch in range(b.ch_n):
        # request i -> bank i % BANKS, rows alternate per bank: every request is a row miss
        reqs = [b.mac(ch, i % b.banks, (i // b.banks) % 2 * ((1 << b.row_w) - 1)) for i in range(n)]
        bound = serial_cycles(reqs, b.t)
        await b.drain()
        first = await b.run(reqs, label=f"ch{ch} misses over all banks")
        await b.drain()
        last = b.chk.stats.last_serve
        took = last - first + 1
        blocked = refresh_blocked(b.chk, ch, first, last)
        dut._log.info("ch%d: %d row misses over %d banks in %d cycles (%d of them refresh-blocked); serial "
                      "bound %d: ratio %.2f", ch, n, b.banks, took, blocked, bound, (took - blocked) / bound)
        if required:
            assert took - blocked <= PARALLEL_FACTOR * bound, (
                f"ch{ch}: {n} row misses round-robin over {b.banks} banks took {took} cycles ({blocked} inside "
                f"refresh spans); serving one request at a time needs >= {bound}; required <= "
                f"{PARALLEL_FACTOR} x that, not counting refresh spans (bank-level parallelism)")
    b.check_refresh_count("after parallelism")


@cocotb.test()
async def test_refresh_cadence(dut: Any) -> None:
    """Idle refreshes every tREFI; refreshes with rows open force PREs; windows and tRFC hold."""
    b = Bench(dut, "test_refresh_cadence")
    await b.start()
    await b.idle(2 * b.t.tREFI + b.window + 1, label="idle")
    b.check_refresh_count("idle")
    for ch in range(b.ch_n):
        assert b.chk.refs_done[ch] == 2, f"ch{ch}: {b.chk.refs_done[ch]} REFs in 2 idle intervals"
    # open a row in every bank shortly before the next refresh is due
    due = (b.chk.refs_due() + 1) * b.t.tREFI
    lead = b.banks * b.ch_n + b.t.tRCD + 8
    await b.idle(max(0, due - lead - b.cycle), label="wait for pre-refresh")
    opens = [b.mac(ch, bank, b.rng.randrange(1 << b.row_w)) for bank in range(b.banks) for ch in range(b.ch_n)]
    await b.run(opens, label="open every bank before a refresh")
    await b.idle(max(0, due - b.cycle), label="until the refresh is due")
    open_at_due = [sum(s.open for s in b.chk.state[ch]) for ch in range(b.ch_n)]
    # keep hitting the open rows across the refresh boundary
    hits = [b.mac(r.ch, r.bank, r.row) for r in opens for _ in range(2)]
    await b.run(hits, label="hits across the refresh")
    await b.drain()
    await b.idle(b.t.tREFI + b.window, label="idle after")
    b.check_refresh_count("after forced refresh")
    for ch in range(b.ch_n):
        cycles = b.chk.stats.ref_cycles[ch]
        late = [c - (k + 1) * b.t.tREFI for k, c in enumerate(cycles)]
        dut._log.info("ch%d REF cycles %s (lateness %s, window %d); %d bank(s) open when refresh %d was due",
                      ch, cycles, late, b.window, open_at_due[ch], due // b.t.tREFI)
        assert all(0 <= x <= b.window for x in late)


@cocotb.test()
async def test_queue_backpressure(dut: Any) -> None:
    """A full bank stalls only its own requests; others are accepted in the same cycle."""
    b = Bench(dut, "test_queue_backpressure")
    await b.start()
    refused = 0
    # flood bank 0 of channel 0 with row misses; whenever refused, offer another bank instead
    other = b.banks - 1 if b.banks > 1 else None
    other_ch = b.ch_n - 1
    for i in range(3 * b.qdepth + 2):
        req = b.mac(0, 0, i % 2 * ((1 << b.row_w) - 1))
        while not await b.step(req, label=f"flood bank 0 #{i}"):
            refused += 1
            if other is not None or other_ch != 0:
                alt = b.mac(other_ch, other if other is not None else 0, b.rng.randrange(1 << b.row_w))
                await b.step(alt, label="other bank while bank 0 is full")
    dut._log.info("bank 0 refused %d time(s)", refused)
    await b.drain()
    # READOUTs can fill a queue too; then every bank at once
    await b.run([b.readout(0, 0) for _ in range(b.qdepth + 2)], label="READOUT flood")
    await b.run([b.rand_req(rows=2, readout_p=0.3) for _ in range(4 * b.banks * b.ch_n)], label="all banks")
    await b.drain()


@cocotb.test()
async def test_reset_mid_operation(dut: Any) -> None:
    """rst with requests queued, rows open and a request presented drops everything; clean restart."""
    b = Bench(dut, "test_reset_mid_operation")
    await b.start()
    await b.run([b.rand_req(rows=4) for _ in range(3 * b.banks)], label="before reset")
    assert b.chk.busy or b.count(ACT) > 0
    await b.step(b.rand_req(), rst=True, label="rst with a request presented")
    await b.step(None, rst=True, label="rst")
    await b.idle(b.t.tRCD + 2, label="after reset: nothing pending, no command")
    assert b.count(ACT) == 0 and not b.chk.busy
    # reset right after a REF (inside tRFC), then full traffic again
    await b.run([b.rand_req(rows=4) for _ in range(2 * b.banks)], label="traffic")
    await b.idle(max(0, b.t.tREFI - b.cycle), label="until refresh due")
    for _ in range(b.window + 1):
        if b.chk.refs_done[0]:
            break
        await b.step(None, label="wait for REF")
    await b.step(None, rst=True, label="rst inside tRFC")
    await b.run([b.rand_req(rows=4) for _ in range(40)], valid_p=0.7, label="after reset in tRFC")
    await b.drain()
    b.check_refresh_count("after reset")
