"""cocotb 2.x tests for the ``systolic_ws`` weight-stationary GEMM tile.

Parameters come from the JSON object in ``$RTLSMITH_PARAMS`` (missing -> template
defaults); its optional key ``"seed"`` fixes the random seed, else ``cocotb.RANDOM_SEED``
is used. The design under test must have been generated with the same parameters.

Checking strategy: inputs are driven just after the falling edge, the cycle-accurate golden
model (:class:`golden.SystolicWSModel`) is advanced for the rising edge in between, and
``out_valid`` is compared after every rising edge, ``y_out`` (every lane) in every cycle in
which a result is due. The results of each batch are also compared, in order, with the
purely functional :func:`golden.gemm` computed from the test's own record of A and W.
The stimulus keeps the interface rule (no ``w_load`` while a vector is in flight): the model
raises :class:`golden.ProtocolError` if a test ever broke it.
"""
from __future__ import annotations

import random
from typing import Any, Sequence

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

try:
    from rtlsmith.rtl_templates.common import PARAMS_ENV, load_test_config
    from rtlsmith.rtl_templates.systolic_ws.generator import validate_params
    from rtlsmith.rtl_templates.systolic_ws.golden import (
        Matrix, SystolicWSModel, gemm, operand_range, pack_lanes, to_signed, unpack_lanes)
except ImportError:  # pragma: no cover - running from a copy of the folder
    from generator import validate_params  # type: ignore[no-redef]
    from golden import (Matrix, SystolicWSModel, gemm, operand_range,  # type: ignore[no-redef]
                        pack_lanes, to_signed, unpack_lanes)
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
        self.model = SystolicWSModel.from_params(self.p)
        self.latency = self.model.latency
        self.rng = random.Random(f"{seed}:{test_name}")
        #: index of the current clock cycle: step() drives this cycle's inputs, lets the
        #: rising edge that ends it pass, and checks the outputs of the next one
        self.cycle = 0
        #: results seen on y_out (raw lanes) and the cycles they appeared in, in order,
        #: since the last take_results()
        self.results: list[list[int]] = []
        self.result_cycles: list[int] = []
        dut._log.info("params=%s seed=%d latency=%d", self.p, seed, self.latency)
        self._check_port_widths()

    def _check_port_widths(self) -> None:
        want = {"a_in": self.rows * self.in_w, "w_in": self.cols * self.in_w,
                "y_out": self.cols * self.acc_w}
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

    # ------------------------------------------------------------------ cycle driver
    async def start(self) -> None:
        """Start the clock and hold reset for two edges (checked)."""
        self.dut.rst.value = 1
        self.dut.w_load.value = 0
        self.dut.w_in.value = 0
        self.dut.in_valid.value = 0
        self.dut.a_in.value = 0
        cocotb.start_soon(Clock(self.dut.clk, CLK_PERIOD_NS, unit="ns").start())
        await FallingEdge(self.dut.clk)
        await self.step(rst=True, check=False)
        await self.step(rst=True, label="reset")

    async def step(self, *, valid: bool = False, a_vec: Sequence[int] | None = None,
                   w_load: bool = False, w_row: Sequence[int] | None = None, rst: bool = False,
                   check: bool = True, label: str = "") -> None:
        """Drive one cycle's inputs, let one rising edge pass, then check the outputs.

        Lanes not carrying valid data are driven with random garbage so that the design
        must honour ``in_valid`` / ``w_load``.
        """
        self.dut.in_valid.value = int(valid)
        self.dut.a_in.value = pack_lanes(a_vec, self.in_w) if valid and a_vec is not None else \
            self.rng.getrandbits(self.rows * self.in_w)
        self.dut.w_load.value = int(w_load)
        self.dut.w_in.value = pack_lanes(w_row, self.in_w) if w_load and w_row is not None else \
            self.rng.getrandbits(self.cols * self.in_w)
        self.dut.rst.value = int(rst)
        self.model.tick(rst=rst, w_load=w_load, w_row=w_row, in_valid=valid, a_vec=a_vec)
        await FallingEdge(self.dut.clk)
        self.cycle += 1
        if check:
            self.check_outputs(f"cycle {self.cycle}{' (' + label + ')' if label else ''}")

    async def idle(self, n: int = 1, label: str = "idle") -> None:
        for _ in range(n):
            await self.step(label=label)

    async def load_weights(self, w: Matrix, *, gap_p: float = 0.0, label: str = "load W") -> None:
        """Shift the rows of ``w`` in, row 0 first (so W[i] = w[i] afterwards), optional gaps."""
        for i, row in enumerate(w):
            if i and gap_p and self.rng.random() < gap_p:
                await self.idle(self.rng.randint(1, 3), label=f"{label} gap")
            await self.step(w_load=True, w_row=row, label=f"{label} row {i}")

    async def stream(self, a: Matrix, *, bubble_p: float = 0.0, max_gap: int = 3,
                     label: str = "stream") -> None:
        """Present the rows of ``a`` (N x ROWS) as vectors, optionally with bubbles."""
        for n, vec in enumerate(a):
            if n and bubble_p and self.rng.random() < bubble_p:
                await self.idle(self.rng.randint(1, max_gap), label=f"{label} bubble")
            await self.step(valid=True, a_vec=vec, label=f"{label} vector {n}")

    async def drain(self, label: str = "drain") -> int:
        """Idle until every vector's result has been output; returns the cycles that took."""
        n = 0
        while self.model.in_flight:
            assert n < self.latency, "model still has vectors in flight after LATENCY idle cycles"
            await self.step(label=label)
            n += 1
        return n

    def take_results(self) -> list[list[int]]:
        out, self.results, self.result_cycles = self.results, [], []
        return out

    # ------------------------------------------------------------------ checking
    def read_y(self, where: str) -> int:
        value = self.dut.y_out.value
        try:
            return value.to_unsigned()   # fast path; raises on X/Z
        except ValueError:
            bits = str(value)[::-1]      # LSB first: lane j is bits[j*ACC_W:(j+1)*ACC_W]
            bad = [f"y[{j}]" for j in range(self.cols)
                   if set(bits[j * self.acc_w:(j + 1) * self.acc_w]) - set("01")]
            raise AssertionError(f"{where}: out_valid=1 but y_out has X/Z bits in lane(s) "
                                 + ", ".join(bad[:MAX_REPORTED_MISMATCHES])) from None

    def fmt(self, raw: int) -> str:
        """An output value as the number it means (signed iff SIGNED) plus its raw bits."""
        shown = to_signed(raw, self.acc_w) if self.signed else raw
        return f"{shown} (raw 0x{raw:0{(self.acc_w + 3) // 4}x})"

    def check_outputs(self, where: str) -> None:
        """out_valid every cycle; every y_out lane whenever a result is due."""
        # plain locals in the asserts keep pytest's rewriting from dumping the model
        got_valid, want_valid = str(self.dut.out_valid.value), str(int(self.model.out_valid))
        assert got_valid == want_valid, f"{where}: out_valid expected {want_valid}, actual {got_valid}"
        if want_valid == "0":
            return
        expected = self.model.y
        assert expected is not None
        got = unpack_lanes(self.read_y(where), self.cols, self.acc_w)
        bad = [j for j in range(self.cols) if got[j] != expected[j]]
        if bad:
            lines = [f"y[{j}]: expected {self.fmt(expected[j])}, actual {self.fmt(got[j])}"
                     for j in bad[:MAX_REPORTED_MISMATCHES]]
            more = len(bad) - MAX_REPORTED_MISMATCHES
            raise AssertionError(f"{where}: {len(bad)} y_out lane(s) differ:\n  " + "\n  ".join(lines)
                                 + (f"\n  ... and {more} more" if more > 0 else ""))
        self.results.append(got)
        self.result_cycles.append(self.cycle)

    def check_batch(self, a: Matrix, w: Matrix, where: str) -> None:
        """The results taken since the last call must be exactly ``gemm(a, w)``, in order."""
        got = self.take_results()
        want = gemm(a, w, in_w=self.in_w, acc_w=self.acc_w, signed=self.signed)
        assert len(got) == len(want), f"{where}: {len(got)} results seen, expected {len(want)}"
        for n, (g, e) in enumerate(zip(got, want)):
            assert g == e, f"{where}: result {n} is {g}, expected {e} (functional A x W)"


# ====================================================================== tests
@cocotb.test()
async def test_random_stream(dut: Any) -> None:
    """Random W, 16 back-to-back vectors: results in consecutive cycles, the first exactly
    LATENCY cycles after the first vector; W reloaded in the very cycle the last result
    appears (the earliest legal cycle) and a second batch streamed."""
    t = Tile(dut, "test_random_stream")
    await t.start()
    w = t.rand_matrix(t.rows, t.cols)
    await t.load_weights(w)
    a = t.rand_matrix(16, t.rows)
    first = t.cycle                                     # cycle in which a[0] is presented
    await t.stream(a, label="batch 1")
    await t.drain()
    want_cycles = list(range(first + t.latency, first + t.latency + len(a)))
    assert t.result_cycles == want_cycles, (
        f"results appeared in cycles {t.result_cycles}, expected {want_cycles} "
        f"(vector n presented in cycle {first}+n, LATENCY={t.latency})")
    t.check_batch(a, w, "random batch 1")
    w2 = t.rand_matrix(t.rows, t.cols)
    await t.load_weights(w2, label="reload W")          # starts in the last result's cycle
    a2 = t.rand_matrix(12, t.rows)
    await t.stream(a2, label="batch 2")
    await t.drain()
    t.check_batch(a2, w2, "random batch 2 after reload")


@cocotb.test()
async def test_corner_cases(dut: Any) -> None:
    """Extreme operands (max/min in every combination, checkerboard), zeros, one-hot and
    identity patterns that expose lane/row mix-ups; wraps when ACC_W is small."""
    t = Tile(dut, "test_corner_cases")
    await t.start()
    r, c, lo, hi = t.rows, t.cols, t.lo, t.hi

    def checker(n_rows: int, n_cols: int, phase: int) -> Matrix:
        return [[hi if (i + j + phase) % 2 else lo for j in range(n_cols)] for i in range(n_rows)]

    extremes = [[hi] * r, [lo] * r, checker(1, r, 0)[0], checker(1, r, 1)[0], [0] * r, [1] * r]
    # distinct weights W[i][j] (mod range) so a one-hot vector reveals which row was used
    distinct = [[lo + (i * c + j + 1) % (hi - lo + 1) for j in range(c)] for i in range(r)]
    one_hot = [[(5 if k == i else 0) for k in range(r)] for i in range(r)]
    identity = [[1 if i == j else 0 for j in range(c)] for i in range(r)]
    cases: list[tuple[str, Matrix, Matrix]] = [
        ("W all max", t.const_matrix(r, c, hi), extremes),
        ("W all min", t.const_matrix(r, c, lo), extremes),
        ("W checkerboard", checker(r, c, 0), extremes),
        ("W zero", t.const_matrix(r, c, 0), extremes[:3] + t.rand_matrix(2, r)),
        ("W distinct, one-hot a", distinct, one_hot),
        ("W identity, random a", identity, t.rand_matrix(4, r)),
    ]
    for name, w, a in cases:
        await t.load_weights(w, label=f"load {name}")
        await t.stream(a, label=name)
        await t.drain()
        t.check_batch(a, w, f"corner case '{name}'")


@cocotb.test()
async def test_weight_shift(dut: Any) -> None:
    """W is a shift register: loads with gaps (garbage on w_in meanwhile), more than ROWS
    loads keep the last ROWS rows, a partial reload of k rows shifts the old ones up."""
    t = Tile(dut, "test_weight_shift")
    await t.start()
    extra = t.rand_matrix(2, t.cols)
    w = t.rand_matrix(t.rows, t.cols)
    await t.load_weights(extra + w, gap_p=0.4, label="over-load")
    a = t.rand_matrix(6, t.rows)
    await t.stream(a, label="after over-load")
    await t.drain()
    t.check_batch(a, w, "W = last ROWS rows loaded")
    k = max(1, t.rows // 2)
    new = t.rand_matrix(k, t.cols)
    await t.load_weights(new, label="partial reload")
    w = w[k:] + new
    assert t.model.weights == [[v % (1 << t.in_w) for v in row] for row in w]
    a = t.rand_matrix(6, t.rows)
    await t.stream(a, bubble_p=0.3, label="after partial reload")
    await t.drain()
    t.check_batch(a, w, f"partial reload of {k} row(s) shifts W up")


@cocotb.test()
async def test_bubbles(dut: Any) -> None:
    """in_valid toggles randomly (garbage on a_in in bubbles); results and timing unchanged."""
    t = Tile(dut, "test_bubbles")
    await t.start()
    w = t.rand_matrix(t.rows, t.cols)
    await t.load_weights(w)
    for rep, p in enumerate((0.5, 0.25)):
        a = t.rand_matrix(14, t.rows)
        await t.stream(a, bubble_p=p, max_gap=t.latency + 1, label=f"bubbly stream {rep}")
        await t.drain()
        t.check_batch(a, w, f"stream with bubbles p={p}")
    a = t.rand_matrix(8, t.rows)
    for n, vec in enumerate(a):                         # strictly alternating valid/idle
        await t.step(valid=True, a_vec=vec, label=f"alternating vector {n}")
        await t.idle(1, label="alternating bubble")
    await t.drain()
    t.check_batch(a, w, "alternating bubbles")


@cocotb.test()
async def test_reset_mid_operation(dut: Any) -> None:
    """rst mid-stream (with a vector and a weight load presented) drops in-flight vectors
    and zeroes W; rst during a weight load; clean recovery."""
    t = Tile(dut, "test_reset_mid_operation")
    await t.start()
    w = t.rand_matrix(t.rows, t.cols)
    await t.load_weights(w)
    a = t.rand_matrix(6, t.rows)
    await t.stream(a[:5], label="stream before reset")
    await t.step(valid=True, a_vec=a[5], rst=True, label="rst with a vector")
    await t.step(w_load=True, w_row=[t.hi] * t.cols, rst=True, label="rst with a weight load")
    t.take_results()                                    # results out before the reset are fine
    await t.idle(t.latency, label="after reset (no result may appear)")
    assert not t.results, "a vector in flight at reset produced a result"
    a = t.rand_matrix(4, t.rows)
    await t.stream(a, label="vectors with W zeroed by reset")
    await t.drain()
    t.check_batch(a, t.const_matrix(t.rows, t.cols, 0), "after reset W must be zero")

    w = t.rand_matrix(t.rows, t.cols)
    await t.load_weights(w[: max(1, t.rows // 2)], label="load interrupted by reset")
    await t.step(rst=True, label="rst during weight load")
    await t.load_weights(w, label="full reload")
    a = t.rand_matrix(10, t.rows)
    await t.stream(a, bubble_p=0.3, label="after reload")
    await t.drain()
    t.check_batch(a, w, "stream after reset and reload")
