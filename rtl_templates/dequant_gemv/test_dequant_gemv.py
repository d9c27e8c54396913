"""cocotb 2.x tests for the ``dequant_gemv`` engine.

Parameters come from the JSON object in ``$RTLSMITH_PARAMS`` (missing -> template
defaults); its optional key ``"seed"`` fixes the random seed, else ``cocotb.RANDOM_SEED``
is used. The design under test must have been generated with the same parameters.

Checking strategy: inputs are driven just after the falling edge, the cycle-accurate golden
model (:class:`golden.DequantGemvModel`) is advanced for the rising edge in between, and
``out_valid`` is compared after every rising edge; whenever it is high, ``y_out`` and
``y_sat`` are compared too. Every row result is also checked against the functional
:func:`golden.dequant_row` computed from the test's own record of the row. Inputs that the
design must ignore (everything while ``in_valid`` is low; ``scale_in``/``zero_in`` on beats
that do not start a group) are driven with random garbage.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

try:
    from rtlsmith.rtl_templates.common import PARAMS_ENV, load_test_config
    from rtlsmith.rtl_templates.dequant_gemv.generator import validate_params
    from rtlsmith.rtl_templates.dequant_gemv.golden import (
        DequantGemvModel, RowResult, dequant_row, out_range, pack_lanes, scale_range, to_signed)
except ImportError:  # pragma: no cover - running from a copy of the folder
    from generator import validate_params  # type: ignore[no-redef]
    from golden import (DequantGemvModel, RowResult, dequant_row,  # type: ignore[no-redef]
                        out_range, pack_lanes, scale_range, to_signed)
    from common import PARAMS_ENV, load_test_config  # type: ignore[no-redef]

CLK_PERIOD_NS = 10


def load_config() -> tuple[dict[str, int], int]:
    """(design params, seed) from ``$RTLSMITH_PARAMS``; the seed defaults to cocotb's."""
    return load_test_config(validate_params, cocotb.RANDOM_SEED)


@dataclass
class Row:
    """One matrix row: K weight codes, K activations, one scale and zero code per group."""

    q: list[int]
    x: list[int]
    scales: list[int]
    zeros: list[int]


class Engine:
    """Drives the DUT one cycle at a time and checks it against the golden model."""

    def __init__(self, dut: Any, test_name: str) -> None:
        self.dut = dut
        self.p, seed = load_config()
        p = self.p
        self.lanes, self.gs, self.k = p["LANES"], p["GROUP_SIZE"], p["K"]
        self.wbits, self.scale_w, self.frac, self.out_w = p["WBITS"], p["SCALE_W"], p["FRAC"], p["OUT_W"]
        self.scale_signed = bool(p["SCALE_SIGNED"])
        self.qmax = (1 << self.wbits) - 1
        self.smin, self.smax = scale_range(self.scale_w, self.scale_signed)
        self.ymin, self.ymax = out_range(self.out_w)
        self.n_groups = self.k // self.gs
        self.beats_per_row = self.k // self.lanes
        self.beats_per_group = self.gs // self.lanes
        self.model = DequantGemvModel(p)
        self.rng = random.Random(f"{seed}:{test_name}")
        self.cycle = 0
        self.outputs: list[tuple[int, int, bool]] = []   # (cycle, y raw, sat) seen on the DUT
        dut._log.info("params=%s seed=%d", p, seed)
        self._check_port_widths()

    def _check_port_widths(self) -> None:
        want = {"w_in": self.lanes * self.wbits, "x_in": self.lanes * 8, "scale_in": self.scale_w,
                "zero_in": self.wbits, "y_out": self.out_w}
        for port, width in want.items():
            got = len(getattr(self.dut, port))
            assert got == width, (f"port {port} is {got} bits but ${PARAMS_ENV} params {self.p} "
                                  f"imply {width}: the DUT was built with other parameters")

    # ------------------------------------------------------------------ stimulus helpers
    def rand_row(self, full_scale: bool = False) -> Row:
        """Random codes, activations and zero-points.

        Scales are drawn so that a typical row lands well inside the output range (most
        random results are then checked digit for digit, not just clamped); with
        ``full_scale`` they span the whole scale range (such rows mostly saturate).
        """
        r = self.rng
        s_lo, s_hi = self.smin, self.smax
        if not full_scale:
            # |y| ~ sqrt(K) * std(q - zero) * std(x) * scale / 2^FRAC; aim at ~ymax/4
            spread = math.sqrt(self.k) * (self.qmax / math.sqrt(6)) * 74 / (1 << self.frac)
            lim = max(1, min(self.smax, int(self.ymax / 4 / spread)))
            s_lo, s_hi = max(self.smin, -lim), lim
        return Row(q=[r.randint(0, self.qmax) for _ in range(self.k)],
                   x=[r.randint(-128, 127) for _ in range(self.k)],
                   scales=[r.randint(s_lo, s_hi) for _ in range(self.n_groups)],
                   zeros=[r.randint(0, self.qmax) for _ in range(self.n_groups)])

    def const_row(self, q: int, x: int, scale: int, zero: int) -> Row:
        return Row([q] * self.k, [x] * self.k, [scale] * self.n_groups, [zero] * self.n_groups)

    def row_for_acc(self, target: int) -> Row | None:
        """A row whose exact pre-rounding sum is ``target`` (None if out of reach).

        Greedy: every group but the last takes the nearest multiple of the largest scale,
        the last group (scale 1) takes the exact remainder. zero = 0, so a weight code is
        the factor d = q - zero; unused elements get q = 0 with a random activation.
        """
        cap = self.gs * self.qmax * 127              # |S_g| reachable with x in -127..127
        big = max(self.smax, 1)
        row = Row([], [], [], [])
        rest = target
        for g in range(self.n_groups):
            last = g == self.n_groups - 1
            scale = 1 if last else big
            s_g = (rest + scale // 2) // scale     # nearest: leaves |rest| <= scale/2
            s_g = max(-cap, min(cap, s_g))
            rest -= s_g * scale
            row.scales.append(scale)
            row.zeros.append(0)
            q, x = self.spread(s_g)
            row.q += q
            row.x += x
        return row if rest == 0 else None

    def spread(self, s: int) -> tuple[list[int], list[int]]:
        """GROUP_SIZE (q, x) pairs with zero-point 0 whose products sum to ``s`` exactly."""
        sign = 1 if s >= 0 else -1
        rest = abs(s)
        q, x = [], []
        for _ in range(self.gs):
            if rest >= self.qmax:
                m = min(127, rest // self.qmax)
                q.append(self.qmax)
                x.append(sign * m)
                rest -= self.qmax * m
            elif rest:
                q.append(rest)
                x.append(sign)
                rest = 0
            else:
                q.append(0)
                x.append(self.rng.randint(-128, 127))
        assert rest == 0, f"group sum {s} out of reach"
        return q, x

    # ------------------------------------------------------------------ cycle driver
    async def start(self) -> None:
        """Start the clock and hold reset for two edges (checked)."""
        self.dut.rst.value = 1
        self.dut.in_valid.value = 0
        self.dut.w_in.value = 0
        self.dut.x_in.value = 0
        self.dut.scale_in.value = 0
        self.dut.zero_in.value = 0
        cocotb.start_soon(Clock(self.dut.clk, CLK_PERIOD_NS, unit="ns").start())
        await FallingEdge(self.dut.clk)
        await self.step(rst=True, check=False)
        await self.step(rst=True, label="reset")

    async def step(self, *, valid: bool = False, w: list[int] | None = None, x: list[int] | None = None,
                   scale: int | None = None, zero: int | None = None, rst: bool = False,
                   check: bool = True, label: str = "") -> None:
        """Drive one cycle's inputs, let one rising edge pass, then check the outputs.

        Anything not given (or not meaningful this cycle) is driven with random garbage.
        """
        rng = self.rng
        w_bus = pack_lanes(w, self.wbits) if valid and w is not None else rng.getrandbits(self.lanes * self.wbits)
        x_bus = pack_lanes(x, 8) if valid and x is not None else rng.getrandbits(self.lanes * 8)
        s_raw = rng.getrandbits(self.scale_w) if scale is None else scale & ((1 << self.scale_w) - 1)
        z_raw = rng.getrandbits(self.wbits) if zero is None else zero
        self.dut.in_valid.value = int(valid)
        self.dut.w_in.value = w_bus
        self.dut.x_in.value = x_bus
        self.dut.scale_in.value = s_raw
        self.dut.zero_in.value = z_raw
        self.dut.rst.value = int(rst)
        self.model.tick(rst=rst, in_valid=valid, w=w, x=x, scale=s_raw, zero=z_raw)
        await FallingEdge(self.dut.clk)
        self.cycle += 1
        if check:
            self.check_outputs(f"cycle {self.cycle}{' (' + label + ')' if label else ''}")

    async def idle(self, n: int = 1, label: str = "idle") -> None:
        for _ in range(n):
            await self.step(label=label)

    async def stream(self, row: Row, *, bubble_p: float = 0.0, max_gap: int = 3,
                     label: str = "row") -> None:
        """Present the K/LANES beats of ``row``, optionally with random bubbles."""
        for b in range(self.beats_per_row):
            if b and bubble_p and self.rng.random() < bubble_p:
                await self.idle(self.rng.randint(1, max_gap), label=f"{label} bubble")
            lo = b * self.lanes
            g_start = b % self.beats_per_group == 0
            g = lo // self.gs
            await self.step(valid=True, w=row.q[lo:lo + self.lanes], x=row.x[lo:lo + self.lanes],
                            scale=row.scales[g] if g_start else None,
                            zero=row.zeros[g] if g_start else None, label=f"{label} beat {b}")

    async def run_row(self, row: Row, label: str, *, bubble_p: float = 0.0) -> RowResult:
        """Stream one row, wait exactly LATENCY edges and check its result functionally."""
        n_out = len(self.outputs)
        await self.stream(row, bubble_p=bubble_p, label=label)
        await self.idle(self.model.latency, label=f"{label} drain")
        return self.expect_result(row, label, n_out)

    # ------------------------------------------------------------------ checking
    def read(self, port: str) -> int:
        value = getattr(self.dut, port).value
        try:
            return int(value)         # unsigned; raises ValueError on X/Z
        except ValueError:
            raise AssertionError(f"cycle {self.cycle}: {port} has X/Z bits: {value}") from None

    def fmt(self, raw: int) -> str:
        return f"{to_signed(raw, self.out_w)} (raw 0x{raw:0{(self.out_w + 3) // 4}x})"

    def check_outputs(self, where: str) -> None:
        """out_valid every cycle; y_out and y_sat whenever out_valid is expected high."""
        m = self.model
        valid = self.read("out_valid")
        assert valid == int(m.out_valid), (f"{where}: out_valid expected {int(m.out_valid)}, actual {valid}"
                                           f" (row results appear {m.latency} edges after the last beat)")
        if m.out_valid:
            y, sat = self.read("y_out"), self.read("y_sat")
            assert y == m.y_out, f"{where}: y_out expected {self.fmt(m.y_out)}, actual {self.fmt(y)}"
            assert sat == int(m.y_sat), f"{where}: y_sat expected {int(m.y_sat)}, actual {sat} (y={self.fmt(y)})"
            self.outputs.append((self.cycle, y, bool(sat)))

    def expect_result(self, row: Row, where: str, n_out_before: int) -> RowResult:
        """The one output since ``n_out_before`` must be the functional result of ``row``."""
        want = dequant_row(row.q, row.x, row.scales, row.zeros, self.p)
        got = self.outputs[n_out_before:]
        assert len(got) == 1, f"{where}: expected exactly one result, the DUT produced {len(got)}"
        _, y, sat = got[0]
        assert (y, sat) == (want.y_raw(self.out_w), want.sat), (
            f"{where}: y_out={self.fmt(y)} y_sat={int(sat)}, expected y={want.y} sat={int(want.sat)} "
            f"(exact sum {want.acc} / 2^{self.frac}, group sums {list(want.group_sums)})")
        return want


# ====================================================================== tests
@cocotb.test()
async def test_random_rows(dut: Any) -> None:
    """7 random rows back to back (2 with full-range scales); results exactly LATENCY edges after each last beat."""
    e = Engine(dut, "test_random_rows")
    await e.start()
    rows = [e.rand_row() for _ in range(5)] + [e.rand_row(full_scale=True) for _ in range(2)]
    for n, row in enumerate(rows):
        await e.stream(row, label=f"row {n}")       # the next row follows without a gap
    await e.idle(e.model.latency, label="drain")
    assert len(e.outputs) == len(rows), f"{len(rows)} rows streamed, {len(e.outputs)} results seen"
    for n, (row, (cyc, y, sat)) in enumerate(zip(rows, e.outputs)):
        want = dequant_row(row.q, row.x, row.scales, row.zeros, e.p)
        assert (y, sat) == (want.y_raw(e.out_w), want.sat), f"row {n}: y={e.fmt(y)} sat={sat}, want {want}"
        assert cyc == 2 + e.beats_per_row * (n + 1) + e.model.latency, \
            f"row {n}: result at cycle {cyc}, expected {e.model.latency} edges after its last beat"
    # one more random row with a single idle cycle before and after
    await e.idle(1)
    await e.run_row(e.rand_row(), "isolated row")


@cocotb.test()
async def test_corner_cases(dut: Any) -> None:
    """Extremes, saturation both ways (incl. exact boundaries), zero scale, rounding ties."""
    e = Engine(dut, "test_corner_cases")
    await e.start()
    hi = e.qmax
    cases: list[tuple[str, Row | None]] = [
        ("q == zero everywhere", e.const_row(5 % (hi + 1), 127, e.smax, 5 % (hi + 1))),
        ("max d, x=127, max scale", e.const_row(hi, 127, e.smax, 0)),
        ("max d, x=-128, max scale", e.const_row(hi, -128, e.smax, 0)),
        ("min d, x=-128, max scale", e.const_row(0, -128, e.smax, hi)),
        ("min d, x=127, max scale", e.const_row(0, 127, e.smax, hi)),
        ("zero scale", Row(e.rand_row().q, e.rand_row().x, [0] * e.n_groups, e.rand_row().zeros)),
        ("min scale, max d, x=127", e.const_row(hi, 127, e.smin, 0)),
        ("min scale, min d, x=-128", e.const_row(0, -128, e.smin, hi)),
        ("all x zero", Row(e.rand_row().q, [0] * e.k, e.rand_row().scales, e.rand_row().zeros)),
    ]
    half = 1 << (e.frac - 1) if e.frac else 0
    one = 1 << e.frac
    targets = {
        "exactly y=max": e.ymax * one,
        "just below the tie above max": e.ymax * one + half - 1,
        "tie rounds up past max (saturates)": e.ymax * one + half,
        "exactly y=min": e.ymin * one,
        "tie at min-0.5 rounds up to min (no saturation)": e.ymin * one - half,
        "just below min-0.5 (saturates)": e.ymin * one - half - 1,
        "+0.5 rounds to 1": half, "-0.5 rounds to 0": -half,
        "+1.5 rounds to 2": 3 * half, "-1.5 rounds to -1": -3 * half,
        "-0.5 - 1 lsb rounds to -1": -half - 1, "+0.5 - 1 lsb rounds to 0": half - 1,
    }
    for name, acc in targets.items():
        cases.append((f"{name} (exact sum {acc})", e.row_for_acc(acc)))
    for name, row in cases:
        if row is None:
            dut._log.info("corner case '%s' is out of reach for these parameters: skipped", name)
            continue
        await e.run_row(row, f"corner case '{name}'")


@cocotb.test()
async def test_bubbles(dut: Any) -> None:
    """in_valid gaps (garbage on every input) inside and between rows; results unchanged."""
    e = Engine(dut, "test_bubbles")
    await e.start()
    for n, p in enumerate((0.5, 0.3)):
        await e.run_row(e.rand_row(), f"bubbly row {n} p={p}", bubble_p=p)
    # strictly alternating valid/idle over a whole row, then a row with the longest gaps
    row = e.rand_row()
    n_out = len(e.outputs)
    for b in range(e.beats_per_row):
        lo, g = b * e.lanes, (b * e.lanes) // e.gs
        start = b % e.beats_per_group == 0
        await e.step(valid=True, w=row.q[lo:lo + e.lanes], x=row.x[lo:lo + e.lanes],
                     scale=row.scales[g] if start else None, zero=row.zeros[g] if start else None,
                     label=f"alternating beat {b}")
        await e.idle(1, label="alternating bubble")
    await e.idle(e.model.latency)
    e.expect_result(row, "row with alternating bubbles", n_out)
    # bubbles between rows: the next row's first beat right after the result, and gaps
    # that put the next row's beats in the previous row's pipeline shadow
    rows = [e.rand_row() for _ in range(3)]
    n_out = len(e.outputs)
    for n, row in enumerate(rows):
        await e.stream(row, bubble_p=0.2, max_gap=e.model.latency + 1, label=f"shadow row {n}")
        await e.idle(n % 2, label="gap between rows")
    await e.idle(e.model.latency)
    assert len(e.outputs) - n_out == 3
    for n, row in enumerate(rows):
        want = dequant_row(row.q, row.x, row.scales, row.zeros, e.p)
        assert e.outputs[n_out + n][1:] == (want.y_raw(e.out_w), want.sat), f"shadow row {n}"


@cocotb.test()
async def test_reset_mid_operation(dut: Any) -> None:
    """rst mid-row (with a beat) and while a finished row drains; the next rows are clean."""
    e = Engine(dut, "test_reset_mid_operation")
    await e.start()
    row = e.rand_row()
    half = max(1, e.beats_per_row // 2)
    # stream part of a row (only if the row has more than one beat), then reset with a beat
    for b in range(min(half, e.beats_per_row - 1)):
        lo, g = b * e.lanes, (b * e.lanes) // e.gs
        start = b % e.beats_per_group == 0
        await e.step(valid=True, w=row.q[lo:lo + e.lanes], x=row.x[lo:lo + e.lanes],
                     scale=row.scales[g] if start else None, zero=row.zeros[g] if start else None,
                     label=f"partial row beat {b}")
    await e.step(valid=True, w=row.q[:e.lanes], x=row.x[:e.lanes], rst=True, label="rst with a beat")
    await e.idle(3, label="after reset")
    assert not e.outputs, "no result may appear from a row interrupted by reset"
    await e.run_row(e.rand_row(), "row after mid-row reset")
    # reset while a completed row is still in the pipeline: its result must be dropped
    for delay in range(e.model.latency):
        n_out = len(e.outputs)
        await e.stream(e.rand_row(), label=f"row reset {delay} edge(s) after its last beat")
        await e.idle(delay, label="drain before reset")
        await e.step(rst=True, label="rst while draining")
        await e.idle(e.model.latency + 1, label="after drain reset")
        assert len(e.outputs) == n_out, "a row result survived a reset"
    await e.run_row(e.rand_row(), "row after drain reset", bubble_p=0.3)
