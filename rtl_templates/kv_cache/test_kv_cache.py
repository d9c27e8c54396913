"""cocotb 2.x tests for the ``kv_cache`` controller.

Parameters come from the JSON object in ``$RTLSMITH_PARAMS`` (missing -> template
defaults); its optional key ``"seed"`` fixes the random seed, else ``cocotb.RANDOM_SEED``
is used. The design under test must have been generated with the same parameters.

Checking strategy: inputs are driven just after the falling edge; once they have settled
(ReadOnly) every output is compared with the cycle-accurate golden model
(:class:`golden.KVCacheModel`): ``req_ready`` (a function of ``rsp_ready``), ``rsp_valid``,
and, whenever ``rsp_valid`` is high, ``rsp_err`` and every lane of ``rsp_data``. Then the
model is advanced for the rising edge. Request fields that carry no meaning in a cycle
(``req_valid`` low, ``req_pos`` of an APPEND, ...) are driven with random garbage.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Sequence

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge, ReadOnly

try:
    from rtlsmith.rtl_templates.common import PARAMS_ENV, load_test_config
    from rtlsmith.rtl_templates.kv_cache.generator import validate_params
    from rtlsmith.rtl_templates.kv_cache.golden import (
        OP_APPEND, OP_CLEAR, OP_NAMES, OP_NOP, OP_READ, KVCacheModel, elem_range, pack_word,
        unpack_lanes8)
except ImportError:  # pragma: no cover - running from a copy of the folder
    from generator import validate_params  # type: ignore[no-redef]
    from golden import (OP_APPEND, OP_CLEAR, OP_NAMES, OP_NOP, OP_READ,  # type: ignore[no-redef]
                        KVCacheModel, elem_range, pack_word, unpack_lanes8)
    from common import PARAMS_ENV, load_test_config  # type: ignore[no-redef]

CLK_PERIOD_NS = 10


def load_config() -> tuple[dict[str, int], int]:
    """(design params, seed) from ``$RTLSMITH_PARAMS``; the seed defaults to cocotb's."""
    return load_test_config(validate_params, cocotb.RANDOM_SEED)


@dataclass(frozen=True)
class Req:
    op: int
    head: int = 0
    pos: int = 0
    word: int = 0

    def __str__(self) -> str:
        if self.op == OP_READ:
            return f"READ(head={self.head}, pos={self.pos})"
        if self.op == OP_APPEND:
            return f"APPEND(head={self.head}, data=0x{self.word:x})"
        return f"{OP_NAMES[self.op]}(head={self.head})"


class Bench:
    """Drives the DUT one cycle at a time and checks it against the golden model."""

    def __init__(self, dut: Any, test_name: str) -> None:
        self.dut = dut
        self.p, seed = load_config()
        self.heads, self.max_pos = self.p["HEADS"], self.p["MAX_POS"]
        self.d, self.bits, self.lat = self.p["D"], self.p["BITS"], self.p["READ_LAT"]
        self.head_w = max(1, (self.heads - 1).bit_length())
        self.pos_w = (self.max_pos - 1).bit_length()
        self.model = KVCacheModel.from_params(self.p)
        self.rng = random.Random(f"{seed}:{test_name}")
        self.cycle = 0
        self.responses = 0
        dut._log.info("params=%s seed=%d", self.p, seed)
        self._check_port_widths()

    def _check_port_widths(self) -> None:
        want = {"req_head": self.head_w, "req_pos": self.pos_w, "req_data": self.d * self.bits,
                "rsp_data": self.d * 8, "req_op": 2}
        for port, width in want.items():
            got = len(getattr(self.dut, port))
            assert got == width, (f"port {port} is {got} bits but ${PARAMS_ENV} params {self.p} "
                                  f"imply {width}: the DUT was built with other parameters")

    # ------------------------------------------------------------------ stimulus helpers
    def rand_elems(self) -> list[int]:
        lo, hi = elem_range(self.bits)
        return [self.rng.randint(lo, hi) for _ in range(self.d)]

    def rand_word(self) -> int:
        return self.rng.getrandbits(self.d * self.bits)

    def append(self, head: int, elems: Sequence[int] | None = None) -> Req:
        word = pack_word(elems, self.bits) if elems is not None else self.rand_word()
        return Req(OP_APPEND, head, self.rng.getrandbits(self.pos_w), word)

    def read(self, head: int, pos: int) -> Req:
        return Req(OP_READ, head, pos, self.rand_word())

    def clear(self, head: int) -> Req:
        return Req(OP_CLEAR, head, self.rng.getrandbits(self.pos_w), self.rand_word())

    # ------------------------------------------------------------------ cycle driver
    async def start(self) -> None:
        """Start the clock and hold reset for two edges."""
        self.dut.rst.value = 1
        self.dut.req_valid.value = 0
        self.dut.req_op.value = 0
        self.dut.req_head.value = 0
        self.dut.req_pos.value = 0
        self.dut.req_data.value = 0
        self.dut.rsp_ready.value = 1
        cocotb.start_soon(Clock(self.dut.clk, CLK_PERIOD_NS, unit="ns").start())
        await FallingEdge(self.dut.clk)
        await self.step(rst=True)
        await self.step(rst=True)

    async def step(self, req: Req | None = None, *, rsp_ready: bool = True, rst: bool = False,
                   label: str = "") -> bool:
        """Drive one cycle, check every output once settled, pass the rising edge.

        Returns True when ``req`` was accepted at that edge.
        """
        dut = self.dut
        if req is not None:
            dut.req_valid.value = 1
            dut.req_op.value = req.op
            dut.req_head.value = req.head
            dut.req_pos.value = req.pos
            dut.req_data.value = req.word
        else:
            dut.req_valid.value = 0
            dut.req_op.value = self.rng.getrandbits(2)
            dut.req_head.value = self.rng.getrandbits(self.head_w)
            dut.req_pos.value = self.rng.getrandbits(self.pos_w)
            dut.req_data.value = self.rand_word()
        dut.rsp_ready.value = int(rsp_ready)
        dut.rst.value = int(rst)
        await ReadOnly()
        where = f"cycle {self.cycle}" + (f" ({label})" if label else "")
        if not rst:
            self.check_outputs(rsp_ready, where)
        accepted = self.model.tick(rst=rst, req_valid=req is not None, op=req.op if req else OP_NOP,
                                   head=req.head if req else 0, pos=req.pos if req else 0,
                                   data=req.word if req else 0, rsp_ready=rsp_ready)
        await FallingEdge(dut.clk)
        self.cycle += 1
        return accepted

    def check_outputs(self, rsp_ready: bool, where: str) -> None:
        dut = self.dut
        exp = self.model.rsp
        valid = int(dut.rsp_valid.value)
        assert valid == (exp is not None), (
            f"{where}: rsp_valid expected {int(exp is not None)}, actual {valid}"
            + (f" (expected the response to {exp.head=}, {exp.pos=})" if exp else ""))
        ready = int(dut.req_ready.value)
        want_ready = int(self.model.req_ready(rsp_ready))
        assert ready == want_ready, (f"{where}: req_ready expected {want_ready} (rsp_valid={valid}, "
                                     f"rsp_ready={int(rsp_ready)}), actual {ready}")
        if exp is None:
            return
        err = int(dut.rsp_err.value)
        what = f"response to READ(head={exp.head}, pos={exp.pos})"
        assert err == int(exp.err), (f"{where}: {what}: rsp_err expected {int(exp.err)}, actual {err} "
                                     f"(head length is now {self.model.cache.length(exp.head)})")
        try:
            raw = dut.rsp_data.value.to_unsigned()
        except ValueError:
            raise AssertionError(f"{where}: {what}: rsp_data has X/Z bits: {dut.rsp_data.value}") from None
        if raw != exp.data:
            got, want = unpack_lanes8(raw, self.d), unpack_lanes8(exp.data, self.d)
            bad = [f"lane {i}: expected {want[i]}, actual {got[i]}" for i in range(self.d) if got[i] != want[i]]
            raise AssertionError(f"{where}: {what}: rsp_data differs in {len(bad)} lane(s): "
                                 + "; ".join(bad[:6]) + (" ..." if len(bad) > 6 else ""))
        if rsp_ready:
            self.responses += 1

    # ------------------------------------------------------------------ sequences
    async def send(self, req: Req, *, ready_p: float = 1.0, label: str = "") -> None:
        """Present ``req`` until accepted (rsp_ready high with probability ``ready_p``)."""
        for _ in range(64):
            if await self.step(req, rsp_ready=self.rng.random() < ready_p, label=label or str(req)):
                return
        raise AssertionError(f"cycle {self.cycle}: {req} not accepted within 64 cycles")

    async def run(self, reqs: Sequence[Req], *, valid_p: float = 1.0, ready_p: float = 1.0,
                  label: str = "") -> None:
        """Send ``reqs`` in order with random bubbles (valid_p) and back-pressure (ready_p)."""
        for req in reqs:
            while self.rng.random() >= valid_p:
                await self.step(None, rsp_ready=self.rng.random() < ready_p, label=f"{label} bubble")
            await self.send(req, ready_p=ready_p, label=f"{label} {req}")

    async def drain(self, label: str = "drain") -> None:
        """Idle with rsp_ready high until the pipeline is empty (checked every cycle)."""
        for _ in range(self.lat + 1):
            await self.step(None, label=label)
        assert not self.model.rsp_valid


def all_reads(b: Bench, head: int, upto: int | None = None) -> list[Req]:
    """Reads of every position 0..len (the last one is out of range) of ``head``."""
    n = b.model.cache.length(head) if upto is None else upto
    return [b.read(head, pos) for pos in range(min(n + 1, 1 << b.pos_w))]


# ====================================================================== tests
@cocotb.test()
async def test_append_then_read(dut: Any) -> None:
    """Different fill levels per head (incl. empty); read every position back to back; bad heads."""
    b = Bench(dut, "test_append_then_read")
    await b.start()
    # first cycle after reset: every head is empty
    await b.run([b.read(h, 0) for h in range(b.heads)], label="read empty")
    fills = [min(b.max_pos, 1 + (3 * h) % (b.max_pos + 1)) for h in range(b.heads)]
    if b.heads > 1:
        fills[-1] = 0                                   # one head stays empty
    for h, n in enumerate(fills):
        await b.run([b.append(h) for _ in range(n)], label=f"fill head {h}")
    for h in range(b.heads):
        await b.run(all_reads(b, h), label=f"read head {h}")
    # responses stream out one per cycle, READ_LAT cycles after acceptance (model-checked)
    if (1 << b.head_w) > b.heads:
        await b.run([b.read(h, 0) for h in range(b.heads, 1 << b.head_w)], label="head >= HEADS")
        await b.run([b.append(b.heads), b.clear(b.heads)], label="append/clear to head >= HEADS")
        await b.run(all_reads(b, 0), label="head 0 unchanged")
    await b.drain()
    assert b.responses > 0


@cocotb.test()
async def test_wrap_around(dut: Any) -> None:
    """Ring overwrite: MAX_POS+3 appends to one head, oldest/newest read after every append."""
    b = Bench(dut, "test_wrap_around")
    await b.start()
    h = b.heads - 1
    for n in range(b.max_pos + 3):
        await b.send(b.append(h), label=f"append #{n}")
        length = b.model.cache.length(h)
        assert length == min(n + 1, b.max_pos)
        await b.run([b.read(h, 0), b.read(h, length - 1)], label=f"oldest/newest after #{n}")
        if length < (1 << b.pos_w):
            await b.send(b.read(h, length), label="one past the newest")
    await b.run(all_reads(b, h), label="read the whole wrapped ring")
    # a second full lap with a CLEAR in the middle
    other = 0
    await b.run([b.append(other) for _ in range(b.max_pos)], label="fill head 0 exactly")
    await b.run(all_reads(b, other), label="exactly full")
    await b.send(b.clear(other), label="clear head 0")
    await b.run(all_reads(b, other), label="after clear")
    await b.run([b.append(other) for _ in range(b.max_pos // 2 + 1)], label="refill after clear")
    await b.run(all_reads(b, other) + all_reads(b, h), label="after refill")
    await b.drain()


@cocotb.test()
async def test_element_formats(dut: Any) -> None:
    """Every element value incl. min/max in every lane: packing order and sign extension."""
    b = Bench(dut, "test_element_formats")
    await b.start()
    lo, hi = elem_range(b.bits)
    vectors = [
        [lo] * b.d,
        [hi] * b.d,
        [-1] * b.d,
        [0] * b.d,
        [lo if i % 2 == 0 else hi for i in range(b.d)],      # INT4: low nibble min, high nibble max
        [hi if i % 2 == 0 else lo for i in range(b.d)],
        [(i % (hi - lo + 1)) + lo for i in range(b.d)],      # distinct per lane: catches lane swaps
        [hi - (i % (hi - lo + 1)) for i in range(b.d)],
    ]
    span = hi - lo + 1
    vectors += [[lo + (i + k) % span for i in range(b.d)] for k in range(0, span, max(1, span // 8))]
    head = 0
    for n, vec in enumerate(vectors):
        if b.model.cache.length(head) == b.max_pos:
            await b.run(all_reads(b, head), label=f"read formats head {head}")
            head = (head + 1) % b.heads
            await b.send(b.clear(head))
        await b.send(b.append(head, vec), label=f"format vector {n}")
        await b.send(b.read(head, b.model.cache.length(head) - 1), label=f"read format vector {n}")
    await b.run(all_reads(b, head), label="read all formats")
    await b.drain()


@cocotb.test()
async def test_random_interleaving(dut: Any) -> None:
    """Random READ/APPEND/CLEAR/NOP across heads with bubbles and rsp_ready back-pressure."""
    b = Bench(dut, "test_random_interleaving")
    await b.start()
    for phase, (n, valid_p, ready_p) in enumerate(((160, 1.0, 1.0), (160, 0.7, 0.6), (80, 0.9, 0.3))):
        for _ in range(n):
            # the request is chosen from the state the cache will have when it is sent
            r = b.rng.random()
            h = b.rng.randrange(1 << b.head_w) if b.rng.random() < 0.05 else b.rng.randrange(b.heads)
            if r < 0.50:
                length = b.model.cache.length(h)
                pos = b.rng.randrange(1 << b.pos_w) if b.rng.random() < 0.15 or length == 0 \
                    else b.rng.randrange(length)          # mostly valid positions
                req = b.read(h, pos)
            elif r < 0.93:
                req = b.append(h)
            elif r < 0.97:
                req = b.clear(h)
            else:
                req = Req(OP_NOP, h, b.rng.getrandbits(b.pos_w), b.rand_word())
            await b.run([req], valid_p=valid_p, ready_p=ready_p, label=f"random phase {phase}")
    await b.drain()


@cocotb.test()
async def test_backpressure(dut: Any) -> None:
    """A response held for many cycles stays stable and blocks every request; then full rate."""
    b = Bench(dut, "test_backpressure")
    await b.start()
    await b.run([b.append(h) for h in range(b.heads) for _ in range(2)], label="two per head")
    reads = [b.read(h, p) for h in range(b.heads) for p in range(3)]
    # fill the pipeline, then hold rsp_ready low while requests (incl. an APPEND) wait
    for req in reads[:b.lat]:
        await b.step(req, rsp_ready=True, label="fill pipeline")
    waiting = b.append(0)
    for k in range(6):
        assert not await b.step(waiting, rsp_ready=False, label=f"stalled {k}"), \
            "a request was accepted while the response was held"
    await b.step(waiting, rsp_ready=True, label="release")
    # rsp_ready toggling every cycle while requests stream
    t = 0
    for req in reads + [b.read(0, 2)]:
        while True:
            t += 1
            if await b.step(req, rsp_ready=bool(t % 2), label=f"toggle {req}"):
                break
    await b.drain()


@cocotb.test()
async def test_reset_mid_operation(dut: Any) -> None:
    """rst with reads in flight (and a request presented) empties every head and drops responses."""
    b = Bench(dut, "test_reset_mid_operation")
    await b.start()
    await b.run([b.append(h) for h in range(b.heads) for _ in range(3)], label="fill")
    for p in range(b.lat):
        await b.step(b.read(0, p % 3), label="reads in flight")
    await b.step(b.append(0), rst=True, label="rst with an APPEND presented")
    await b.step(b.read(0, 0), rst=True, label="rst with a READ presented")
    await b.run([b.read(h, 0) for h in range(b.heads)], label="all heads empty after reset")
    await b.drain()
    await b.run([b.append(h) for h in range(b.heads) for _ in range(2)], label="refill after reset")
    await b.run([r for h in range(b.heads) for r in all_reads(b, h)], ready_p=0.7, label="read after reset")
    # reset while the output is stalled
    await b.step(b.read(0, 0), label="read before stalled reset")
    for _ in range(b.lat):
        await b.step(None, rsp_ready=False, label="stall")
    await b.step(None, rsp_ready=False, rst=True, label="rst while stalled")
    await b.drain(label="after stalled reset")
    await b.run(all_reads(b, 0), label="head 0 empty again")
    await b.drain()
