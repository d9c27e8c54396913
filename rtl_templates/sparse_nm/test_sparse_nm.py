"""cocotb 2.x tests for the ``sparse_nm`` N:M structured-sparse MAC.

Parameters come from the JSON object in ``$RTLSMITH_PARAMS`` (missing -> template
defaults); its optional key ``"seed"`` fixes the random seed, else ``cocotb.RANDOM_SEED``
is used. The design under test must have been generated with the same parameters.

Checking strategy: inputs are driven just after the falling edge, the cycle-accurate golden
model (:class:`golden.SparseNMModel`) is advanced for the rising edge in between, and
``out_valid`` is compared after every rising edge, ``dot_out`` whenever ``out_valid`` is
high. Every dot product built from valid encodings is also checked against the reference
:func:`golden.dense_dot` on the *decompressed* weights (the golden decompressor rejects
invalid encodings). Inputs the design must ignore (all of them while ``in_valid`` is low,
flags included) are driven with random garbage.
"""
from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from typing import Any, Sequence

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

try:
    from rtlsmith.rtl_templates.common import PARAMS_ENV, load_test_config
    from rtlsmith.rtl_templates.sparse_nm.generator import validate_params
    from rtlsmith.rtl_templates.sparse_nm.golden import (
        EncodingError, SparseNMModel, beat_dot, compress, decompress, dense_dot, idx_width,
        operand_range, pack_lanes, to_signed, wrap)
except ImportError:  # pragma: no cover - running from a copy of the folder
    from generator import validate_params  # type: ignore[no-redef]
    from golden import (EncodingError, SparseNMModel, beat_dot,  # type: ignore[no-redef]
                        compress, decompress, dense_dot, idx_width, operand_range, pack_lanes,
                        to_signed, wrap)
    from common import PARAMS_ENV, load_test_config  # type: ignore[no-redef]

CLK_PERIOD_NS = 10


def load_config() -> tuple[dict[str, int], int]:
    """(design params, seed) from ``$RTLSMITH_PARAMS``; the seed defaults to cocotb's."""
    return load_test_config(validate_params, cocotb.RANDOM_SEED)


@dataclass
class Beat:
    """One beat: LANES*N compressed weights + positions and LANES*M dense activations."""

    values: list[int]
    positions: list[int]
    x: list[int]


class Mac:
    """Drives the DUT one cycle at a time and checks it against the golden model."""

    def __init__(self, dut: Any, test_name: str) -> None:
        self.dut = dut
        self.p, seed = load_config()
        p = self.p
        self.n, self.m, self.lanes = p["N"], p["M"], p["LANES"]
        self.in_w, self.acc_w, self.signed = p["IN_W"], p["ACC_W"], bool(p["SIGNED"])
        self.idx_w = idx_width(self.m)
        self.lo, self.hi = operand_range(self.in_w, self.signed)
        self.model = SparseNMModel(p)
        self.rng = random.Random(f"{seed}:{test_name}")
        self.cycle = 0
        self.outputs: list[tuple[int, int]] = []     # (cycle, dot_out) seen with out_valid
        dut._log.info("params=%s seed=%d", p, seed)
        self._check_port_widths()

    def _check_port_widths(self) -> None:
        slots = self.lanes * self.n
        want = {"w_in": slots * self.in_w, "idx_in": slots * self.idx_w,
                "x_in": self.lanes * self.m * self.in_w, "dot_out": self.acc_w}
        for port, width in want.items():
            got = len(getattr(self.dut, port))
            assert got == width, (f"port {port} is {got} bits but ${PARAMS_ENV} params {self.p} "
                                  f"imply {width}: the DUT was built with other parameters")

    # ------------------------------------------------------------------ stimulus helpers
    def rand_operand(self) -> int:
        return self.rng.randint(self.lo, self.hi)

    def rand_positions(self) -> list[int]:
        """Canonical positions for every group: N distinct, ascending."""
        out: list[int] = []
        for _ in range(self.lanes):
            out += sorted(self.rng.sample(range(self.m), self.n))
        return out

    def rand_beat(self) -> Beat:
        slots = self.lanes * self.n
        return Beat([self.rand_operand() for _ in range(slots)], self.rand_positions(),
                    [self.rand_operand() for _ in range(self.lanes * self.m)])

    def beat_from_dense(self, dense_w: Sequence[int], x: Sequence[int]) -> Beat:
        """Compress LANES*M dense weights (at most N nonzeros per group) into a beat."""
        values, positions = compress(dense_w, self.n, self.m)
        return Beat(values, positions, list(x))

    def dense(self, beat: Beat) -> list[int]:
        return decompress(beat.values, beat.positions, self.n, self.m)

    def expected_dot(self, beats: Sequence[Beat]) -> int:
        """Reference result of a dot product over ``beats``: decompress, then dense dot."""
        w = [v for b in beats for v in self.dense(b)]
        x = [v for b in beats for v in b.x]
        return dense_dot(w, x, in_w=self.in_w, acc_w=self.acc_w, signed=self.signed)

    # ------------------------------------------------------------------ cycle driver
    async def start(self) -> None:
        """Start the clock and hold reset for two edges (checked)."""
        for port in ("rst", "in_valid", "in_first", "in_last", "w_in", "idx_in", "x_in"):
            getattr(self.dut, port).value = 1 if port == "rst" else 0
        cocotb.start_soon(Clock(self.dut.clk, CLK_PERIOD_NS, unit="ns").start())
        await FallingEdge(self.dut.clk)
        await self.step(rst=True, check=False)
        await self.step(rst=True, label="reset")

    async def step(self, beat: Beat | None = None, *, first: bool = False, last: bool = False,
                   rst: bool = False, check: bool = True, label: str = "") -> None:
        """Drive one cycle (a beat if ``beat`` is given, else garbage with in_valid low),
        let one rising edge pass, then check the outputs."""
        rng = self.rng
        slots = self.lanes * self.n
        valid = beat is not None
        if beat is not None:
            w_bus = pack_lanes(beat.values, self.in_w)
            i_bus = pack_lanes(beat.positions, self.idx_w)
            x_bus = pack_lanes(beat.x, self.in_w)
        else:
            w_bus = rng.getrandbits(slots * self.in_w)
            i_bus = rng.getrandbits(slots * self.idx_w)
            x_bus = rng.getrandbits(self.lanes * self.m * self.in_w)
            first, last = bool(rng.getrandbits(1)), bool(rng.getrandbits(1))
        self.dut.in_valid.value = int(valid)
        self.dut.in_first.value = int(first)
        self.dut.in_last.value = int(last)
        self.dut.w_in.value = w_bus
        self.dut.idx_in.value = i_bus
        self.dut.x_in.value = x_bus
        self.dut.rst.value = int(rst)
        self.model.tick(rst=rst, in_valid=valid, first=first, last=last,
                        values=beat.values if beat else None, positions=beat.positions if beat else None,
                        x=beat.x if beat else None)
        await FallingEdge(self.dut.clk)
        self.cycle += 1
        if check:
            self.check_outputs(f"cycle {self.cycle}{' (' + label + ')' if label else ''}")

    async def idle(self, n: int = 1, label: str = "idle") -> None:
        for _ in range(n):
            await self.step(label=label)

    async def dot(self, beats: Sequence[Beat], *, bubble_p: float = 0.0, max_gap: int = 3,
                  first: bool = True, last: bool = True, label: str = "dot") -> None:
        """Present ``beats`` as one dot product: in_first on the first, in_last on the last."""
        for k, b in enumerate(beats):
            if k and bubble_p and self.rng.random() < bubble_p:
                await self.idle(self.rng.randint(1, max_gap), label=f"{label} bubble")
            await self.step(b, first=first and k == 0, last=last and k == len(beats) - 1,
                            label=f"{label} beat {k}")

    async def run_dot(self, beats: Sequence[Beat], label: str, *, bubble_p: float = 0.0) -> int:
        """One isolated dot product: stream, wait LATENCY edges, check against the reference."""
        n_out = len(self.outputs)
        await self.dot(beats, bubble_p=bubble_p, label=label)
        await self.idle(self.model.latency, label=f"{label} drain")
        got = [v for _, v in self.outputs[n_out:]]
        want = self.expected_dot(beats)
        assert got == [want], f"{label}: dot_out results {[self.fmt(v) for v in got]}, expected [{self.fmt(want)}]"
        return want

    # ------------------------------------------------------------------ checking
    def read(self, port: str) -> int:
        value = getattr(self.dut, port).value
        try:
            return int(value)         # unsigned; raises ValueError on X/Z
        except ValueError:
            raise AssertionError(f"cycle {self.cycle}: {port} has X/Z bits: {value}") from None

    def fmt(self, raw: int) -> str:
        shown = to_signed(raw, self.acc_w) if self.signed else raw
        return f"{shown} (raw 0x{raw:0{(self.acc_w + 3) // 4}x})"

    def check_outputs(self, where: str) -> None:
        m = self.model
        valid = self.read("out_valid")
        assert valid == int(m.out_valid), (f"{where}: out_valid expected {int(m.out_valid)}, actual {valid} "
                                           f"(results appear {m.latency} edges after the in_last beat)")
        if m.out_valid:
            got = self.read("dot_out")
            assert got == m.dot_out, f"{where}: dot_out expected {self.fmt(m.dot_out)}, actual {self.fmt(got)}"
            self.outputs.append((self.cycle, got))


# ====================================================================== tests
@cocotb.test()
async def test_random_dot_products(dut: Any) -> None:
    """Random dot products of 1..6 beats back to back; each result exactly LATENCY edges after in_last."""
    t = Mac(dut, "test_random_dot_products")
    await t.start()
    dots = [[t.rand_beat() for _ in range(t.rng.randint(1, 6))] for _ in range(8)]
    last_cycles = []
    for n, beats in enumerate(dots):
        await t.dot(beats, label=f"dot {n}")            # the next one starts without a gap
        last_cycles.append(t.cycle)
    await t.idle(t.model.latency, label="drain")
    assert len(t.outputs) == len(dots), f"{len(dots)} dot products, {len(t.outputs)} results"
    for n, (beats, (cyc, got), lc) in enumerate(zip(dots, t.outputs, last_cycles)):
        want = t.expected_dot(beats)
        assert got == want, f"dot {n}: {t.fmt(got)}, expected {t.fmt(want)}"
        assert cyc == lc + t.model.latency, f"dot {n}: result {cyc - lc} edges after in_last"


@cocotb.test()
async def test_corner_cases(dut: Any) -> None:
    """Operand extremes over 13 beats (wraps small ACC_W), zeros, every position subset, sparse groups."""
    t = Mac(dut, "test_corner_cases")
    await t.start()
    slots, width = t.lanes * t.n, t.lanes * t.m
    lo, hi = t.lo, t.hi

    def const(wv: int, xv: int) -> Beat:
        return Beat([wv] * slots, t.rand_positions(), [xv] * width)

    k = 13      # odd: modular coincidences (e.g. 16 x a multiple of 256) cannot hide a bug
    for name, wv, xv in (("max x max", hi, hi), ("min x min", lo, lo), ("max x min", hi, lo),
                         ("min x max", lo, hi), ("zero weights", 0, hi), ("zero activations", hi, 0)):
        await t.run_dot([const(wv, xv) for _ in range(k)], f"'{name}' K={k}")
    await t.run_dot([Beat([t.rand_operand() for _ in range(slots)], t.rand_positions(),
                          [0 if j % 2 else hi for j in range(width)]) for _ in range(4)],
                    "alternating zero/max activations")

    # every N-subset of positions, each with its own activation pattern (one-hot-ish x)
    subsets = list(itertools.combinations(range(t.m), t.n))
    beats = []
    for start in range(0, len(subsets), t.lanes):
        chunk = [subsets[(start + g) % len(subsets)] for g in range(t.lanes)]
        x = [t.rand_operand() for _ in range(width)]
        beats.append(Beat([t.rand_operand() for _ in range(slots)], [p for c in chunk for p in c], x))
    await t.run_dot(beats, f"all {len(subsets)} position subsets")
    # positions in descending (non-canonical) order: still a valid encoding
    await t.run_dot([Beat(b.values, [p for g in range(t.lanes)
                                     for p in sorted(b.positions[g * t.n:(g + 1) * t.n], reverse=True)], b.x)
                     for b in (t.rand_beat() for _ in range(3))], "descending positions")
    # groups with fewer than N nonzeros: compress pads with zero-weight slots
    sparse_beats = []
    for _ in range(3):
        dense_w = [0] * width
        for g in range(t.lanes):
            for j in t.rng.sample(range(t.m), t.rng.randint(0, t.n)):
                dense_w[g * t.m + j] = t.rng.choice([v for v in (lo, hi, 1, -1) if lo <= v <= hi])
        sparse_beats.append(t.beat_from_dense(dense_w, [t.rand_operand() for _ in range(width)]))
    await t.run_dot(sparse_beats, "groups with fewer than N nonzeros")


@cocotb.test()
async def test_duplicate_positions(dut: Any) -> None:
    """Invalid (duplicate-position) encodings: rejected by the golden decompressor; the
    hardware, as documented, multiplies the selected activation once per slot."""
    t = Mac(dut, "test_duplicate_positions")
    await t.start()
    if t.n < 2:
        dut._log.info("N=1: no duplicate position is possible; skipped")
        return
    beats = []
    for _ in range(3):
        b = t.rand_beat()
        b.positions = [t.rng.randrange(t.m)] * len(b.positions)   # every slot of a group alike
        beats.append(b)
    try:
        t.dense(beats[0])
    except EncodingError:
        pass
    else:
        raise AssertionError("golden decompress accepted duplicate positions")
    n_out = len(t.outputs)
    await t.dot(beats, label="duplicate positions")
    await t.idle(t.model.latency)
    want = wrap(sum(beat_dot(b.values, b.positions, b.x, t.p) for b in beats), t.acc_w)
    assert [v for _, v in t.outputs[n_out:]] == [want], "duplicate positions: slot-wise sum expected"


@cocotb.test()
async def test_first_last_control(dut: Any) -> None:
    """Single-beat dot products every cycle; in_last without in_first keeps accumulating
    (running sums); in_first mid-way restarts; flags with in_valid low are ignored."""
    t = Mac(dut, "test_first_last_control")
    await t.start()
    singles = [t.rand_beat() for _ in range(6)]
    n_out = len(t.outputs)
    for n, b in enumerate(singles):
        await t.step(b, first=True, last=True, label=f"single {n}")
    await t.idle(t.model.latency)
    assert [v for _, v in t.outputs[n_out:]] == [t.expected_dot([b]) for b in singles]

    # running sums: first only on beat 0, last on every beat
    beats = [t.rand_beat() for _ in range(5)]
    n_out = len(t.outputs)
    for n, b in enumerate(beats):
        await t.step(b, first=n == 0, last=True, label=f"running sum beat {n}")
    await t.idle(t.model.latency)
    assert [v for _, v in t.outputs[n_out:]] == [t.expected_dot(beats[:n + 1]) for n in range(5)]

    # a dot product without in_first continues from the previous result
    more = [t.rand_beat() for _ in range(2)]
    n_out = len(t.outputs)
    await t.dot(more, first=False, label="continued")
    await t.idle(t.model.latency)
    assert [v for _, v in t.outputs[n_out:]] == [t.expected_dot(beats + more)]

    # in_first in the middle of an accumulation drops the beats before it
    head, tail = [t.rand_beat() for _ in range(3)], [t.rand_beat() for _ in range(3)]
    n_out = len(t.outputs)
    await t.dot(head, last=False, label="aborted head")
    await t.dot(tail, label="restart with in_first")
    await t.idle(t.model.latency)
    assert [v for _, v in t.outputs[n_out:]] == [t.expected_dot(tail)]


@cocotb.test()
async def test_bubbles(dut: Any) -> None:
    """in_valid gaps (garbage data and flags) inside and between dot products."""
    t = Mac(dut, "test_bubbles")
    await t.start()
    for n, p in enumerate((0.5, 0.3)):
        await t.run_dot([t.rand_beat() for _ in range(8)], f"bubbly dot {n} p={p}", bubble_p=p)
    dots = [[t.rand_beat() for _ in range(t.rng.randint(1, 4))] for _ in range(4)]
    n_out = len(t.outputs)
    for n, beats in enumerate(dots):
        await t.dot(beats, bubble_p=0.4, max_gap=t.model.latency + 1, label=f"dot {n}")
        await t.idle(n % 3, label="gap")
    await t.idle(t.model.latency)
    assert [v for _, v in t.outputs[n_out:]] == [t.expected_dot(b) for b in dots]


@cocotb.test()
async def test_reset_mid_operation(dut: Any) -> None:
    """rst mid-accumulation (with a beat) and while beats are in flight; clean recovery."""
    t = Mac(dut, "test_reset_mid_operation")
    await t.start()
    await t.dot([t.rand_beat() for _ in range(3)], last=False, label="partial")
    await t.step(t.rand_beat(), last=True, rst=True, label="rst with an in_last beat")
    await t.idle(t.model.latency + 1, label="after reset")
    assert not t.outputs, "no result may appear from a dot product interrupted by reset"
    # after reset the accumulator is 0: a dot product WITHOUT in_first starts from zero
    beats = [t.rand_beat() for _ in range(3)]
    n_out = len(t.outputs)
    await t.dot(beats, first=False, label="after reset, no in_first")
    await t.idle(t.model.latency)
    assert [v for _, v in t.outputs[n_out:]] == [t.expected_dot(beats)]
    for delay in range(t.model.latency):
        n_out = len(t.outputs)
        await t.dot([t.rand_beat() for _ in range(2)], label=f"reset {delay} edge(s) after in_last")
        await t.idle(delay)
        await t.step(rst=True, label="rst while in flight")
        await t.idle(t.model.latency + 1)
        assert len(t.outputs) == n_out, "a result survived a reset"
    await t.run_dot([t.rand_beat() for _ in range(4)], "dot after reset", bubble_p=0.3)
