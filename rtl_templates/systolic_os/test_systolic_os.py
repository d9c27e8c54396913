"""cocotb 2.x tests for the ``systolic_os`` GEMM tile.

Parameters come from the JSON object in ``$RTLSMITH_PARAMS`` (missing -> template
defaults); its optional key ``"seed"`` fixes the random seed, else ``cocotb.RANDOM_SEED``
is used. The design under test must have been generated with the same parameters.

Checking strategy: inputs are driven just after the falling edge, the cycle-accurate golden
model (:class:`golden.SystolicOSModel`) is advanced for the rising edge in between, and
``c_out`` (every element) and ``busy`` are compared after every rising edge. Whenever the
tile has drained, the result is also compared with the purely functional :func:`golden.gemm`
computed from the test's own record of the matrices.
"""
from __future__ import annotations

import random
from typing import Any, Sequence

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

try:
    from rtlsmith.rtl_templates.common import PARAMS_ENV, load_test_config
    from rtlsmith.rtl_templates.systolic_os.generator import validate_params
    from rtlsmith.rtl_templates.systolic_os.golden import (
        Matrix, SystolicOSModel, gemm, operand_range, pack_lanes, to_signed, unpack_c)
except ImportError:  # pragma: no cover - running from a copy of the folder
    from generator import validate_params  # type: ignore[no-redef]
    from golden import (Matrix, SystolicOSModel, gemm, operand_range,  # type: ignore[no-redef]
                        pack_lanes, to_signed, unpack_c)
    from common import PARAMS_ENV, load_test_config  # type: ignore[no-redef]

CLK_PERIOD_NS = 10
MAX_REPORTED_MISMATCHES = 8


def load_config() -> tuple[dict[str, int], int]:
    """(design params, seed) from ``$RTLSMITH_PARAMS``; the seed defaults to cocotb's."""
    return load_test_config(validate_params, cocotb.RANDOM_SEED)


class Tile:
    """Drives the DUT one cycle at a time and checks it against the golden model."""

    def __init__(self, dut: Any, test_name: str) -> None:
        self.dut = dut
        self.p, seed = load_config()
        self.rows, self.cols = self.p["ROWS"], self.p["COLS"]
        self.in_w, self.acc_w = self.p["IN_W"], self.p["ACC_W"]
        self.signed = bool(self.p["SIGNED"])
        self.lo, self.hi = operand_range(self.in_w, self.signed)
        self.latency = self.rows + self.cols - 1
        self.model = SystolicOSModel.from_params(self.p)
        self.rng = random.Random(f"{seed}:{test_name}")
        self.cycle = 0
        dut._log.info("params=%s seed=%d latency=%d", self.p, seed, self.latency)
        self._check_port_widths()

    def _check_port_widths(self) -> None:
        want = {"a_in": self.rows * self.in_w, "b_in": self.cols * self.in_w,
                "c_out": self.rows * self.cols * self.acc_w}
        for port, width in want.items():
            got = len(getattr(self.dut, port))
            assert got == width, (f"port {port} is {got} bits but ${PARAMS_ENV} params {self.p} "
                                  f"imply {width}: the DUT was built with other parameters")

    # ------------------------------------------------------------------ stimulus helpers
    def rand_operand(self) -> int:
        return self.rng.randint(self.lo, self.hi)

    def rand_matrix(self, n_rows: int, n_cols: int) -> Matrix:
        return [[self.rand_operand() for _ in range(n_cols)] for _ in range(n_rows)]

    @staticmethod
    def const_matrix(n_rows: int, n_cols: int, value: int) -> Matrix:
        return [[value] * n_cols for _ in range(n_rows)]

    @staticmethod
    def column(a: Matrix, k: int) -> list[int]:
        return [row[k] for row in a]

    # ------------------------------------------------------------------ cycle driver
    async def start(self) -> None:
        """Start the clock and hold reset for two edges (checked)."""
        self.dut.rst.value = 1
        self.dut.clear.value = 0
        self.dut.in_valid.value = 0
        self.dut.a_in.value = 0
        self.dut.b_in.value = 0
        cocotb.start_soon(Clock(self.dut.clk, CLK_PERIOD_NS, unit="ns").start())
        await FallingEdge(self.dut.clk)
        await self.step(rst=True, check=False)
        await self.step(rst=True, label="reset")

    async def step(self, *, valid: bool = False, a_col: Sequence[int] | None = None,
                   b_row: Sequence[int] | None = None, clear: bool = False, rst: bool = False,
                   check: bool = True, label: str = "") -> None:
        """Drive one cycle's inputs, let one rising edge pass, then check the outputs.

        Lanes not carrying a valid beat are driven with random garbage so that the design
        must honour ``in_valid``.
        """
        a_bus = pack_lanes(a_col, self.in_w) if valid and a_col is not None else \
            self.rng.getrandbits(self.rows * self.in_w)
        b_bus = pack_lanes(b_row, self.in_w) if valid and b_row is not None else \
            self.rng.getrandbits(self.cols * self.in_w)
        self.dut.in_valid.value = int(valid)
        self.dut.a_in.value = a_bus
        self.dut.b_in.value = b_bus
        self.dut.clear.value = int(clear)
        self.dut.rst.value = int(rst)
        self.model.tick(rst=rst, clear=clear, in_valid=valid, a_col=a_col, b_row=b_row)
        await FallingEdge(self.dut.clk)
        self.cycle += 1
        if check:
            self.check_outputs(self.model.acc, self.model.busy,
                               f"cycle {self.cycle}{' (' + label + ')' if label else ''}")

    async def idle(self, n: int = 1, label: str = "idle") -> None:
        for _ in range(n):
            await self.step(label=label)

    async def stream(self, a: Matrix, b: Matrix, *, bubble_p: float = 0.0, max_gap: int = 3,
                     clear_first: bool = False, label: str = "stream") -> None:
        """Present the K beats of A (ROWS x K) and B (K x COLS), optionally with bubbles.

        ``clear_first`` asserts ``clear`` together with the first beat.
        """
        k = len(b)
        for kk in range(k):
            if kk and bubble_p and self.rng.random() < bubble_p:
                await self.idle(self.rng.randint(1, max_gap), label=f"{label} bubble")
            await self.step(valid=True, a_col=self.column(a, kk), b_row=b[kk],
                            clear=clear_first and kk == 0, label=f"{label} beat {kk}")

    async def drain(self, label: str = "drain") -> int:
        """Idle until busy drops; returns the number of edges that took (checked every cycle)."""
        n = 0
        while int(self.dut.busy.value):
            assert n <= self.latency, f"busy still high {n} cycles after the last beat"
            await self.step(label=label)
            n += 1
        return n

    # ------------------------------------------------------------------ checking
    def read_c(self) -> int:
        value = self.dut.c_out.value
        try:
            return value.to_unsigned()   # fast path; raises on X/Z (is_resolvable is per-bit slow)
        except ValueError:
            bits = str(value)[::-1]      # LSB first: element k is bits[k*ACC_W:(k+1)*ACC_W]
            bad = [f"C[{k // self.cols}][{k % self.cols}]" for k in range(self.rows * self.cols)
                   if set(bits[k * self.acc_w:(k + 1) * self.acc_w]) - set("01")]
            raise AssertionError(f"cycle {self.cycle}: c_out has X/Z bits in {len(bad)} element(s): "
                                 + ", ".join(bad[:MAX_REPORTED_MISMATCHES])
                                 + (" ..." if len(bad) > MAX_REPORTED_MISMATCHES else "")) from None

    def fmt(self, raw: int) -> str:
        """An accumulator value as the number it means (signed iff SIGNED) plus its raw bits."""
        shown = to_signed(raw, self.acc_w) if self.signed else raw
        return f"{shown} (raw 0x{raw:0{(self.acc_w + 3) // 4}x})"

    def check_outputs(self, expected: Matrix, exp_busy: bool | None, where: str) -> None:
        """Compare every C element (and busy, unless None) and name each mismatch."""
        got = unpack_c(self.read_c(), self.rows, self.cols, self.acc_w)
        bad = [(i, j) for i in range(self.rows) for j in range(self.cols)
               if got[i][j] != expected[i][j]]
        if bad:
            lines = [f"C[{i}][{j}] (i={i}, j={j}): expected {self.fmt(expected[i][j])}, "
                     f"actual {self.fmt(got[i][j])}" for i, j in bad[:MAX_REPORTED_MISMATCHES]]
            more = len(bad) - MAX_REPORTED_MISMATCHES
            raise AssertionError(f"{where}: {len(bad)} C element(s) differ:\n  " + "\n  ".join(lines)
                                 + (f"\n  ... and {more} more" if more > 0 else ""))
        if exp_busy is not None:
            busy = int(self.dut.busy.value)
            assert busy == int(exp_busy), f"{where}: busy expected {int(exp_busy)}, actual {busy}"

    def check_result(self, a: Matrix, b: Matrix, where: str, c0: Matrix | None = None) -> Matrix:
        """After draining: c_out must equal the functional ``c0 + A x B``; returns it."""
        expected = gemm(a, b, in_w=self.in_w, acc_w=self.acc_w, signed=self.signed, c0=c0)
        assert not int(self.dut.busy.value), f"{where}: busy still high when checking the result"
        self.check_outputs(expected, False, where)
        return expected

    def zeros(self) -> Matrix:
        return self.const_matrix(self.rows, self.cols, 0)


def hcat(x: Matrix, y: Matrix) -> Matrix:
    """Concatenate two ROWS x K matrices along K."""
    return [rx + ry for rx, ry in zip(x, y)]


# ====================================================================== tests
@cocotb.test()
async def test_random_gemm(dut: Any) -> None:
    """Random GEMM, K=16 back-to-back beats; busy falls exactly ROWS+COLS-1 edges after the last beat."""
    t = Tile(dut, "test_random_gemm")
    await t.start()
    t.check_outputs(t.zeros(), False, "after reset")
    k = 16
    a, b = t.rand_matrix(t.rows, k), t.rand_matrix(k, t.cols)
    await t.stream(a, b)
    assert int(dut.busy.value) == 1, "busy must be high right after a beat is accepted"
    edges = await t.drain()
    assert edges == t.latency, f"busy fell {edges} edges after the last beat, expected {t.latency}"
    t.check_result(a, b, "random GEMM K=16")
    # A second, independent GEMM after an explicit clear (idle cycle with clear only).
    await t.step(clear=True, label="clear")
    t.check_outputs(t.zeros(), False, "after clear")
    a, b = t.rand_matrix(t.rows, k), t.rand_matrix(k, t.cols)
    await t.stream(a, b)
    await t.drain()
    t.check_result(a, b, "second random GEMM K=16")


@cocotb.test()
async def test_corner_cases(dut: Any) -> None:
    """Extreme operands (all max, all min, max x min, checkerboard), zeros; K=32 (wraps small ACC_W)."""
    t = Tile(dut, "test_corner_cases")
    await t.start()
    k = 32
    lo, hi = t.lo, t.hi

    def checker(n_rows: int, n_cols: int, phase: int) -> Matrix:
        return [[hi if (r + c + phase) % 2 else lo for c in range(n_cols)] for r in range(n_rows)]

    cases: list[tuple[str, Matrix, Matrix]] = [
        ("all max", t.const_matrix(t.rows, k, hi), t.const_matrix(k, t.cols, hi)),
        ("all min", t.const_matrix(t.rows, k, lo), t.const_matrix(k, t.cols, lo)),
        ("A max x B min", t.const_matrix(t.rows, k, hi), t.const_matrix(k, t.cols, lo)),
        ("A min x B max", t.const_matrix(t.rows, k, lo), t.const_matrix(k, t.cols, hi)),
        ("checkerboard max/min", checker(t.rows, k, 0), checker(k, t.cols, 1)),
        ("zeros", t.const_matrix(t.rows, k, 0), t.const_matrix(k, t.cols, 0)),
        ("A zero x B random", t.const_matrix(t.rows, k, 0), t.rand_matrix(k, t.cols)),
        ("A random x B zero", t.rand_matrix(t.rows, k), t.const_matrix(k, t.cols, 0)),
        ("A ones x B random", t.const_matrix(t.rows, k, 1), t.rand_matrix(k, t.cols)),
    ]
    for n, (name, a, b) in enumerate(cases):
        # alternate: clear on its own idle cycle / clear together with the first beat
        if n % 2 == 0:
            await t.step(clear=True, label=f"clear before {name}")
            await t.stream(a, b, label=name)
        else:
            await t.stream(a, b, clear_first=True, label=name)
        await t.drain()
        t.check_result(a, b, f"corner case '{name}' K={k}")


@cocotb.test()
async def test_accumulate_and_clear(dut: Any) -> None:
    """Two batches accumulate without clear; clear with a beat; clear flushes in-flight beats."""
    t = Tile(dut, "test_accumulate_and_clear")
    await t.start()
    a1, b1 = t.rand_matrix(t.rows, 8), t.rand_matrix(8, t.cols)
    a2, b2 = t.rand_matrix(t.rows, 8), t.rand_matrix(8, t.cols)
    await t.stream(a1, b1, label="batch 1")
    await t.drain()
    c1 = t.check_result(a1, b1, "batch 1")
    await t.idle(3)
    await t.stream(a2, b2, label="batch 2 (no clear)")
    await t.drain()
    t.check_result(a2, b2, "batch 1 + batch 2 accumulated", c0=c1)
    t.check_result(hcat(a1, a2), b1 + b2, "batch 1 + batch 2 as one K=16 GEMM")

    # clear asserted together with the first beat of a new GEMM
    a3, b3 = t.rand_matrix(t.rows, 8), t.rand_matrix(8, t.cols)
    await t.stream(a3, b3, clear_first=True, label="batch 3 (clear with first beat)")
    await t.drain()
    t.check_result(a3, b3, "new GEMM after clear")

    # clear while beats are still in flight: they are discarded, C reads zero at once
    a4, b4 = t.rand_matrix(t.rows, 6), t.rand_matrix(6, t.cols)
    await t.stream(a4, b4, label="batch 4")
    assert int(dut.busy.value), "expected beats in flight before the flushing clear"
    await t.step(clear=True, label="clear while busy")
    t.check_outputs(t.zeros(), False, "clear while busy (in-flight beats must be dropped)")
    await t.idle(t.latency)
    t.check_outputs(t.zeros(), False, "after flushing clear, dropped beats must not reappear")

    # clear mid-stream together with a beat: only beats from that one on count
    a5, b5 = t.rand_matrix(t.rows, 12), t.rand_matrix(12, t.cols)
    cut = 6
    head_a, tail_a = [r[:cut] for r in a5], [r[cut:] for r in a5]
    await t.stream(head_a, b5[:cut], label="batch 5 head")
    await t.stream(tail_a, b5[cut:], clear_first=True, label="batch 5 tail (clear mid-stream)")
    await t.drain()
    t.check_result(tail_a, b5[cut:], "mid-stream clear keeps only beats from the clear on")


@cocotb.test()
async def test_bubbles(dut: Any) -> None:
    """in_valid toggles randomly mid-stream (garbage data in bubbles); result unchanged."""
    t = Tile(dut, "test_bubbles")
    await t.start()
    for rep, p in enumerate((0.5, 0.25)):
        k = 20
        a, b = t.rand_matrix(t.rows, k), t.rand_matrix(k, t.cols)
        await t.step(clear=True, label="clear")
        await t.stream(a, b, bubble_p=p, max_gap=t.latency + 1, label=f"bubbly stream {rep}")
        await t.drain()
        t.check_result(a, b, f"GEMM K={k} with bubbles p={p}")
    # strictly alternating valid/idle
    k = 10
    a, b = t.rand_matrix(t.rows, k), t.rand_matrix(k, t.cols)
    await t.step(clear=True, label="clear")
    for kk in range(k):
        await t.step(valid=True, a_col=t.column(a, kk), b_row=b[kk], label=f"alternating beat {kk}")
        await t.idle(1, label="alternating bubble")
    await t.drain()
    t.check_result(a, b, "GEMM with alternating bubbles")


@cocotb.test()
async def test_reset_mid_operation(dut: Any) -> None:
    """rst during streaming and during drain zeroes C and drops in-flight beats; recovers cleanly."""
    t = Tile(dut, "test_reset_mid_operation")
    await t.start()
    a, b = t.rand_matrix(t.rows, 10), t.rand_matrix(10, t.cols)
    await t.stream([r[:5] for r in a], b[:5], label="stream before reset")
    # reset with a valid beat presented: the beat must be ignored as well
    await t.step(valid=True, a_col=t.column(a, 5), b_row=b[5], rst=True, label="rst with beat")
    await t.step(rst=True, label="rst")
    t.check_outputs(t.zeros(), False, "after mid-stream reset")
    await t.idle(t.latency, label="after reset")
    t.check_outputs(t.zeros(), False, "dropped beats must not reappear after reset")

    a, b = t.rand_matrix(t.rows, 16), t.rand_matrix(16, t.cols)
    await t.stream(a, b, label="GEMM after reset")
    await t.drain()
    t.check_result(a, b, "GEMM after reset")

    # reset while draining
    a, b = t.rand_matrix(t.rows, 8), t.rand_matrix(8, t.cols)
    await t.step(clear=True, label="clear")
    await t.stream(a, b, label="stream before drain reset")
    await t.idle(max(1, t.latency // 2), label="partial drain")
    await t.step(rst=True, label="rst while draining")
    t.check_outputs(t.zeros(), False, "after reset while draining")
    a, b = t.rand_matrix(t.rows, 16), t.rand_matrix(16, t.cols)
    await t.stream(a, b, bubble_p=0.3, label="GEMM after drain reset")
    await t.drain()
    t.check_result(a, b, "GEMM after reset while draining")
