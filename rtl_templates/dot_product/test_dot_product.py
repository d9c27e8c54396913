"""cocotb 2.x tests for the ``dot_product`` pipelined dot-product / MAC unit.

Parameters come from the JSON object in ``$RTLSMITH_PARAMS`` (missing -> template
defaults); its optional key ``"seed"`` fixes the random seed, else ``cocotb.RANDOM_SEED``
is used. The design under test must have been generated with the same parameters.

Checking strategy: inputs are driven just after the falling edge, the cycle-accurate golden
model (:class:`golden.DotProductModel`) is advanced for the rising edge in between, and
``out_valid`` and ``acc_out`` are compared after every rising edge (``acc_out`` is defined
in every cycle: zero after reset, holding between results). The results of each run are
also compared, in order, with the purely functional :func:`golden.accumulate` computed from
the test's own record of the beats.
"""
from __future__ import annotations

import random
from typing import Any, Sequence

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

try:
    from rtlsmith.rtl_templates.common import PARAMS_ENV, load_test_config
    from rtlsmith.rtl_templates.dot_product.generator import validate_params
    from rtlsmith.rtl_templates.dot_product.golden import (
        DotProductModel, accumulate, operand_range, pack_lanes, to_signed)
except ImportError:  # pragma: no cover - running from a copy of the folder
    from generator import validate_params  # type: ignore[no-redef]
    from golden import (DotProductModel, accumulate, operand_range,  # type: ignore[no-redef]
                        pack_lanes, to_signed)
    from common import PARAMS_ENV, load_test_config  # type: ignore[no-redef]

CLK_PERIOD_NS = 10

Beat = tuple[list[int], list[int], bool]   # (a lanes, b lanes, acc_clear)


def load_config() -> tuple[dict[str, int], int]:
    """(design params, seed) from ``$RTLSMITH_PARAMS``; the seed defaults to cocotb's."""
    return load_test_config(validate_params, cocotb.RANDOM_SEED)


class Unit:
    """Drives the DUT one cycle at a time and checks it against the golden model."""

    def __init__(self, dut: Any, test_name: str) -> None:
        self.dut = dut
        self.p, seed = load_config()
        self.lanes, self.in_w, self.acc_w = self.p["LANES"], self.p["IN_W"], self.p["ACC_W"]
        self.signed = bool(self.p["SIGNED"])
        self.lo, self.hi = operand_range(self.in_w, self.signed)
        self.model = DotProductModel.from_params(self.p)
        self.latency = self.model.latency
        self.rng = random.Random(f"{seed}:{test_name}")
        #: index of the current clock cycle: step() drives this cycle's inputs, lets the
        #: rising edge that ends it pass, and checks the outputs of the next one
        self.cycle = 0
        #: accumulator values seen with out_valid, and their cycles, since take_results()
        self.results: list[int] = []
        self.result_cycles: list[int] = []
        dut._log.info("params=%s seed=%d latency=%d", self.p, seed, self.latency)
        self._check_port_widths()

    def _check_port_widths(self) -> None:
        want = {"a_in": self.lanes * self.in_w, "b_in": self.lanes * self.in_w,
                "acc_out": self.acc_w}
        for port, width in want.items():
            got = len(getattr(self.dut, port))
            assert got == width, (f"port {port} is {got} bits but ${PARAMS_ENV} params {self.p} "
                                  f"imply {width}: the DUT was built with other parameters")

    # ------------------------------------------------------------------ stimulus helpers
    def rand_vec(self) -> list[int]:
        return [self.rng.randint(self.lo, self.hi) for _ in range(self.lanes)]

    def rand_beats(self, n: int, clear_p: float = 1.0) -> list[Beat]:
        """``n`` random beats; the first clears, later ones with probability ``clear_p``."""
        return [(self.rand_vec(), self.rand_vec(), k == 0 or self.rng.random() < clear_p)
                for k in range(n)]

    # ------------------------------------------------------------------ cycle driver
    async def start(self) -> None:
        """Start the clock and hold reset for two edges (checked)."""
        self.dut.rst.value = 1
        self.dut.in_valid.value = 0
        self.dut.acc_clear.value = 0
        self.dut.a_in.value = 0
        self.dut.b_in.value = 0
        cocotb.start_soon(Clock(self.dut.clk, CLK_PERIOD_NS, unit="ns").start())
        await FallingEdge(self.dut.clk)
        await self.step(rst=True, check=False)
        await self.step(rst=True, label="reset")

    async def step(self, *, valid: bool = False, a: Sequence[int] | None = None,
                   b: Sequence[int] | None = None, clear: bool = False, rst: bool = False,
                   check: bool = True, label: str = "") -> None:
        """Drive one cycle's inputs, let one rising edge pass, then check the outputs.

        Without a valid beat the data lanes and ``acc_clear`` carry random garbage so that
        the design must honour ``in_valid``.
        """
        width = self.lanes * self.in_w
        self.dut.in_valid.value = int(valid)
        self.dut.a_in.value = pack_lanes(a, self.in_w) if valid and a is not None else \
            self.rng.getrandbits(width)
        self.dut.b_in.value = pack_lanes(b, self.in_w) if valid and b is not None else \
            self.rng.getrandbits(width)
        self.dut.acc_clear.value = int(clear) if valid else self.rng.getrandbits(1)
        self.dut.rst.value = int(rst)
        self.model.tick(rst=rst, in_valid=valid, a=a, b=b, acc_clear=clear)
        await FallingEdge(self.dut.clk)
        self.cycle += 1
        if check:
            self.check_outputs(f"cycle {self.cycle}{' (' + label + ')' if label else ''}")

    async def idle(self, n: int = 1, label: str = "idle") -> None:
        for _ in range(n):
            await self.step(label=label)

    async def run(self, beats: Sequence[Beat], *, bubble_p: float = 0.0, max_gap: int = 3,
                  label: str = "beats") -> None:
        """Present ``beats`` (optionally with random bubbles) and drain."""
        for n, (a, b, clear) in enumerate(beats):
            if n and bubble_p and self.rng.random() < bubble_p:
                await self.idle(self.rng.randint(1, max_gap), label=f"{label} bubble")
            await self.step(valid=True, a=a, b=b, clear=clear, label=f"{label} beat {n}")
        await self.drain(label=f"{label} drain")

    async def drain(self, label: str = "drain") -> None:
        n = 0
        while self.model.in_flight:
            assert n < self.latency, "model still has beats in flight after LATENCY idle cycles"
            await self.step(label=label)
            n += 1

    def take_results(self) -> list[int]:
        out, self.results, self.result_cycles = self.results, [], []
        return out

    # ------------------------------------------------------------------ checking
    def fmt(self, raw: int) -> str:
        """An accumulator value as the number it means (signed iff SIGNED) plus its raw bits."""
        shown = to_signed(raw, self.acc_w) if self.signed else raw
        return f"{shown} (raw 0x{raw:0{(self.acc_w + 3) // 4}x})"

    def check_outputs(self, where: str) -> None:
        """out_valid and acc_out, every cycle."""
        # plain locals in the asserts keep pytest's rewriting from dumping the model
        got_valid, want_valid = str(self.dut.out_valid.value), str(int(self.model.out_valid))
        assert got_valid == want_valid, f"{where}: out_valid expected {want_valid}, actual {got_valid}"
        value = self.dut.acc_out.value
        try:
            got = value.to_unsigned()
        except ValueError:
            raise AssertionError(f"{where}: acc_out has X/Z bits: {value}") from None
        want = self.model.acc
        assert got == want, f"{where}: acc_out expected {self.fmt(want)}, actual {self.fmt(got)}"
        if want_valid == "1":
            self.results.append(got)
            self.result_cycles.append(self.cycle)

    def check_run(self, beats: Sequence[Beat], where: str, acc0: int = 0) -> None:
        """The results taken since the last call must be :func:`accumulate` of ``beats``."""
        got = self.take_results()
        want = accumulate(beats, in_w=self.in_w, acc_w=self.acc_w, signed=self.signed, acc0=acc0)
        assert len(got) == len(want), f"{where}: {len(got)} results seen, expected {len(want)}"
        for n, (g, e) in enumerate(zip(got, want)):
            assert g == e, (f"{where}: result {n} is {self.fmt(g)}, expected {self.fmt(e)} "
                            "(functional model)")


# ====================================================================== tests
@cocotb.test()
async def test_random_beats(dut: Any) -> None:
    """48 back-to-back random dot products (acc_clear on every beat): results in
    consecutive cycles, the first exactly LATENCY cycles after the first beat; then a
    48-beat back-to-back run with random acc_clear."""
    u = Unit(dut, "test_random_beats")
    await u.start()
    beats = u.rand_beats(48)
    first = u.cycle                                     # cycle in which beat 0 is presented
    await u.run(beats, label="dot products")
    want_cycles = list(range(first + u.latency, first + u.latency + len(beats)))
    assert u.result_cycles == want_cycles, (
        f"results appeared in cycles {u.result_cycles}, expected {want_cycles} "
        f"(beat n presented in cycle {first}+n, LATENCY={u.latency})")
    u.check_run(beats, "random dot products")
    beats = u.rand_beats(48, clear_p=0.3)
    await u.run(beats, label="mixed accumulate")
    u.check_run(beats, "random accumulate/clear mix")


@cocotb.test()
async def test_corner_cases(dut: Any) -> None:
    """Extreme operands (max/min in every combination, alternating signs), zeros, one-hot
    lanes that expose lane mix-ups; 40-beat accumulations of the largest products (wrap
    when ACC_W is small)."""
    u = Unit(dut, "test_corner_cases")
    await u.start()
    n, lo, hi = u.lanes, u.lo, u.hi
    alt = [hi if k % 2 else lo for k in range(n)]
    alt_inv = [lo if k % 2 else hi for k in range(n)]
    distinct = [lo + (3 * k + 1) % (hi - lo + 1) for k in range(n)]
    vectors = [
        ([hi] * n, [hi] * n), ([lo] * n, [lo] * n), ([hi] * n, [lo] * n), ([lo] * n, [hi] * n),
        (alt, alt), (alt, alt_inv), ([0] * n, u.rand_vec()), (u.rand_vec(), [0] * n),
        ([1] * n, u.rand_vec()),
    ] + [(distinct, [(7 if j == k else 0) for j in range(n)]) for k in range(n)]  # one-hot b
    beats: list[Beat] = [(a, b, True) for a, b in vectors]
    await u.run(beats, label="extreme dot products")
    u.check_run(beats, "extreme dot products")
    for name, (a, b) in (("max*max", ([hi] * n, [hi] * n)), ("min*min", ([lo] * n, [lo] * n)),
                         ("max*min", ([hi] * n, [lo] * n))):
        beats = [(a, b, k == 0) for k in range(40)]
        await u.run(beats, label=f"accumulate {name}")
        u.check_run(beats, f"40-beat accumulation of {name}")


@cocotb.test()
async def test_accumulate_and_clear(dut: Any) -> None:
    """Runs of different lengths, each started by acc_clear; accumulation continues across
    idle gaps (garbage acc_clear while in_valid is low must be ignored); acc_clear on
    consecutive beats; acc_out holds between results."""
    u = Unit(dut, "test_accumulate_and_clear")
    await u.start()
    for length in (1, 2, 5, 9):
        beats = u.rand_beats(length, clear_p=0.0)
        await u.run(beats, label=f"run of {length}")
        u.check_run(beats, f"run of {length} beats")
        await u.idle(3, label="hold")
    acc0 = u.model.acc
    beats = u.rand_beats(6, clear_p=0.0)
    beats[0] = (beats[0][0], beats[0][1], False)         # continue the previous run
    await u.run(beats, bubble_p=0.5, max_gap=u.latency + 2, label="continue across gaps")
    u.check_run(beats, "accumulation continued across idle gaps", acc0=acc0)
    beats = [(u.rand_vec(), u.rand_vec(), True) for _ in range(4)] + u.rand_beats(4, clear_p=0.5)
    await u.run(beats, label="consecutive clears")
    u.check_run(beats, "acc_clear on consecutive beats")


@cocotb.test()
async def test_bubbles(dut: Any) -> None:
    """in_valid toggles randomly (garbage data and acc_clear in bubbles); results unchanged."""
    u = Unit(dut, "test_bubbles")
    await u.start()
    for rep, p in enumerate((0.5, 0.25)):
        beats = u.rand_beats(16, clear_p=0.25)
        await u.run(beats, bubble_p=p, max_gap=u.latency + 1, label=f"bubbly run {rep}")
        u.check_run(beats, f"beats with bubbles p={p}")
    beats = u.rand_beats(8, clear_p=0.25)
    for k, (a, b, clear) in enumerate(beats):           # strictly alternating valid/idle
        await u.step(valid=True, a=a, b=b, clear=clear, label=f"alternating beat {k}")
        await u.idle(1, label="alternating bubble")
    await u.drain()
    u.check_run(beats, "alternating bubbles")


@cocotb.test()
async def test_reset_mid_operation(dut: Any) -> None:
    """rst with beats in flight (and one presented with it) zeroes the accumulator and drops
    them; the next run without acc_clear adds to zero; rst right after a result."""
    u = Unit(dut, "test_reset_mid_operation")
    await u.start()
    beats = u.rand_beats(6, clear_p=0.0)
    for k, (a, b, clear) in enumerate(beats[:5]):
        await u.step(valid=True, a=a, b=b, clear=clear, label=f"beat {k} before reset")
    await u.step(valid=True, a=beats[5][0], b=beats[5][1], rst=True, label="rst with a beat")
    await u.idle(u.latency + 1, label="after reset (no result may appear)")
    u.take_results()                                    # results before the reset are fine
    beats = u.rand_beats(5, clear_p=0.0)
    beats[0] = (beats[0][0], beats[0][1], False)         # no clear: must start from zero
    await u.run(beats, label="run after reset")
    u.check_run(beats, "accumulation after reset starts from zero")
    await u.step(rst=True, label="rst after a result")
    beats = u.rand_beats(10, clear_p=0.2)
    await u.run(beats, bubble_p=0.3, label="run after second reset")
    u.check_run(beats, "run after second reset")
