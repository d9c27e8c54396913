"""cocotb 2.x tests for the ``softmax`` unit (online single-pass fixed-point softmax).

Parameters come from the JSON object in ``$RTLSMITH_PARAMS`` (missing -> template
defaults); its optional key ``"seed"`` fixes the random seed, else ``cocotb.RANDOM_SEED``
is used. The design under test must have been generated with the same parameters.

Checking strategy: a cycle-level monitor (:class:`Unit`) reads every output once per cycle
(just after the falling edge, i.e. the values the next rising edge will sample), checks the
interface rules of the spec in that cycle, then drives the inputs. The rules:

* ``in_ready`` is exactly 1 while a vector is being collected (from reset, or from the cycle
  after the previous vector's last probability was taken, until the N-th element is
  accepted) and 0 otherwise; while it is 0 the test drives ``in_valid`` with garbage, which
  must be ignored;
* ``out_valid`` is 0 while collecting; the first probability of a vector comes at most
  LATENCY cycles after the cycle of the N-th acceptance; from then ``out_valid`` stays 1
  until the N-th probability is taken; while ``out_valid & ~out_ready`` the outputs hold;
* every probability taken (``out_valid & out_ready``) equals the bit-exact golden model
  (:func:`golden.softmax`), in arrival order, with ``out_last`` on the N-th only.

Each finished vector is also checked against floating-point softmax: every output within
:func:`golden.error_bound_lsb`, the sum of the outputs near ``2**OUT_W``, and the ordering of
the inputs preserved.
"""
from __future__ import annotations

import random
from collections import deque
from typing import Any, Callable, Sequence

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

try:
    from rtlsmith.rtl_templates.common import PARAMS_ENV, load_test_config
    from rtlsmith.rtl_templates.softmax.generator import latency, validate_params
    from rtlsmith.rtl_templates.softmax.golden import (
        ExpTable, Formats, error_bound_lsb, error_lsb, mask, signed_range, softmax, sum_bound_lsb)
except ImportError:  # pragma: no cover - running from a copy of the folder
    from generator import latency, validate_params  # type: ignore[no-redef]
    from golden import (ExpTable, Formats, error_bound_lsb, error_lsb,  # type: ignore[no-redef]
                        mask, signed_range, softmax, sum_bound_lsb)
    from common import PARAMS_ENV, load_test_config  # type: ignore[no-redef]

CLK_PERIOD_NS = 10


def load_config() -> tuple[dict[str, int], int]:
    """(design params, seed) from ``$RTLSMITH_PARAMS``; the seed defaults to cocotb's."""
    return load_test_config(validate_params, cocotb.RANDOM_SEED)


def read_bits(handle: Any, name: str, cycle: int) -> int:
    """A port's value as an unsigned int; X/Z fails the test naming the port and cycle."""
    value = handle.value
    if not hasattr(value, "to_unsigned"):                # a 1-bit port reads as a Logic
        bit = str(value)
        if bit not in ("0", "1"):
            raise AssertionError(f"cycle {cycle}: {name} is {bit}, not 0/1")
        return int(bit)
    try:
        return value.to_unsigned()
    except ValueError:
        raise AssertionError(f"cycle {cycle}: {name} has X/Z bits: {value}") from None


class Unit:
    """Cycle-level driver and protocol/data checker for one DUT."""

    def __init__(self, dut: Any, test_name: str) -> None:
        self.dut = dut
        self.p, seed = load_config()
        self.fmt = Formats.from_params(self.p)
        self.n, self.in_w, self.out_w = self.p["N"], self.p["IN_W"], self.p["OUT_W"]
        self.lo, self.hi = signed_range(self.in_w)
        self.exp = ExpTable(self.fmt)
        self.latency = latency(self.p)
        self.bound = error_bound_lsb(self.fmt)
        self.rng = random.Random(f"{seed}:{test_name}")
        self.cycle = 0
        self.source: deque[int] = deque()        # elements still to be accepted
        self.collected: list[int] = []           # elements of the vector being collected
        self.expected: deque[tuple[list[int], tuple[int, ...]]] = deque()   # vectors awaiting output
        self.out_index = 0                       # outputs taken of the oldest expected vector
        self.got: list[int] = []
        self.busy_since: int | None = None       # cycle of the N-th acceptance
        self.started = False                     # first output of the current vector seen
        self.prev_stall: tuple[int, int] | None = None   # (data, last) held under back-pressure
        self.done_vectors = 0
        self.worst_latency = 0
        dut._log.info("params=%s seed=%d latency=%d bound=%.3f LSB", self.p, seed, self.latency,
                      self.bound)
        self._check_port_widths()

    def _check_port_widths(self) -> None:
        for port, width in {"in_data": self.in_w, "out_data": self.out_w}.items():
            got = len(getattr(self.dut, port))
            assert got == width, (f"port {port} is {got} bits but ${PARAMS_ENV} params {self.p} "
                                  f"imply {width}: the DUT was built with other parameters")

    # ------------------------------------------------------------------ stimulus
    def clamp(self, x: int) -> int:
        return max(self.lo, min(self.hi, x))

    def rand_vector(self) -> list[int]:
        """One of several distributions: full range, clustered, wide cluster, near-ties."""
        kind = self.rng.randrange(4)
        if kind == 0:
            return [self.rng.randint(self.lo, self.hi) for _ in range(self.n)]
        spread = {1: 1 << self.fmt.frac, 2: 4 << self.fmt.frac, 3: 3}[kind]
        centre = self.rng.randint(self.lo, self.hi)
        return [self.clamp(centre + self.rng.randint(-spread, spread)) for _ in range(self.n)]

    def corner_vectors(self) -> list[tuple[str, list[int]]]:
        n, lo, hi = self.n, self.lo, self.hi
        one = 1 << self.fmt.frac
        ramp_base = self.clamp(-n // 2)
        return [
            ("all equal", [7 % (hi + 1)] * n),
            ("all max", [hi] * n),
            ("all min", [lo] * n),
            ("one dominant first", [hi] + [lo] * (n - 1)),
            ("one dominant last", [lo] * (n - 1) + [hi]),
            ("two equal maxima", [hi, lo] * (n // 2) + [hi] * (n % 2)),
            ("ascending ramp, 1 LSB steps", [self.clamp(ramp_base + i) for i in range(n)]),
            ("descending ramp, 1 LSB steps", [self.clamp(ramp_base - i) for i in range(n)]),
            ("ascending ramp, 1.0 steps", [self.clamp(lo + i * one) for i in range(n)]),
            ("ascending from min to max", [lo + (hi - lo) * i // (n - 1) for i in range(n)]),
            ("alternating +-1.0", [self.clamp(one if i % 2 else -one) for i in range(n)]),
            ("zeros and a small bump", [0] * (n - 1) + [1]),
            ("max then ascending", [hi] + [self.clamp(lo + i) for i in range(n - 1)]),
        ]

    def queue_vector(self, xs: Sequence[int]) -> None:
        assert len(xs) == self.n and all(self.lo <= x <= self.hi for x in xs), xs
        self.source.extend(xs)

    # ------------------------------------------------------------------ cycle loop
    async def start(self) -> None:
        """Start the clock and hold reset for two cycles."""
        d = self.dut
        d.rst.value = 1
        d.in_valid.value = 0
        d.in_data.value = 0
        d.out_ready.value = 0
        cocotb.start_soon(Clock(d.clk, CLK_PERIOD_NS, unit="ns").start())
        await FallingEdge(d.clk)
        await FallingEdge(d.clk)
        await self.cycle_step(rst=True)

    def _collecting(self) -> bool:
        return self.busy_since is None

    async def cycle_step(self, *, in_p: float = 1.0, ready_p: float = 1.0, rst: bool = False) -> None:
        """One clock cycle: check this cycle's outputs, drive inputs, pass the rising edge."""
        d, c = self.dut, self.cycle
        in_ready = read_bits(d.in_ready, "in_ready", c)
        out_valid = read_bits(d.out_valid, "out_valid", c)
        out_data = read_bits(d.out_data, "out_data", c) if out_valid else 0
        out_last = read_bits(d.out_last, "out_last", c) if out_valid else 0

        collecting = self._collecting()
        assert in_ready == int(collecting), (
            f"cycle {c}: in_ready is {in_ready} but the unit is "
            + ("collecting a vector (must be 1)" if collecting else
               f"busy with a vector since cycle {self.busy_since} (must be 0)"))
        if collecting:
            assert not out_valid, f"cycle {c}: out_valid high while collecting a vector"
        else:
            waited = c - self.busy_since
            if self.started:
                assert out_valid, (f"cycle {c}: out_valid dropped after output {self.out_index} of "
                                   f"{self.n}; it must stay high until the last one is taken")
            elif out_valid:
                self.started = True
                self.worst_latency = max(self.worst_latency, waited)
            assert self.started or waited < self.latency, (
                f"cycle {c}: no output yet {waited} cycles after the N-th element was accepted "
                f"(cycle {self.busy_since}); the first must come within LATENCY={self.latency}")
            if out_valid and self.prev_stall is not None:
                assert (out_data, out_last) == self.prev_stall, (
                    f"cycle {c}: outputs changed while stalled (out_valid=1, out_ready=0): "
                    f"data/last {self.prev_stall} -> {(out_data, out_last)}")

        # drive this cycle's inputs
        if rst:
            in_valid, data = self.rng.random() < 0.5, self.rng.getrandbits(self.in_w)
        elif collecting and self.source and self.rng.random() < in_p:
            in_valid, data = True, self.source[0] & mask(self.in_w)
        elif not collecting:
            in_valid, data = True, self.rng.getrandbits(self.in_w)        # garbage, must be ignored
        else:
            in_valid, data = False, self.rng.getrandbits(self.in_w)
        out_ready = self.rng.random() < ready_p
        d.rst.value = int(rst)
        d.in_valid.value = int(in_valid)
        d.in_data.value = data
        d.out_ready.value = int(out_ready)
        await FallingEdge(d.clk)
        self.cycle += 1

        # what the rising edge did
        if rst:
            self.abandon()
            return
        self.prev_stall = (out_data, out_last) if out_valid and not out_ready else None
        if in_valid and in_ready:
            self.collected.append(self.source.popleft())
            if len(self.collected) == self.n:
                xs = self.collected
                self.expected.append((xs, softmax(xs, self.fmt, self.exp).p))
                self.collected = []
                self.busy_since = c
                self.started = False
        if out_valid and out_ready:
            self.take(out_data, out_last, c)

    def take(self, data: int, last: int, c: int) -> None:
        """One probability handed over at the edge ending cycle ``c``."""
        assert self.expected, f"cycle {c}: an output was handed over but no vector was complete"
        xs, want = self.expected[0]
        k = self.out_index
        assert data == want[k], (
            f"cycle {c}: probability {k} of {self.n}: expected {want[k]} "
            f"(= {want[k] / (1 << self.out_w):.5f}), actual {data} (= {data / (1 << self.out_w):.5f}); "
            f"x[{k}] = {xs[k]} (= {xs[k] / (1 << self.fmt.frac):.4f}), max = "
            f"{max(xs) / (1 << self.fmt.frac):.4f}")
        assert last == int(k == self.n - 1), (
            f"cycle {c}: out_last is {last} on probability {k} of {self.n} (must be high only on the last)")
        self.got.append(data)
        self.out_index += 1
        if self.out_index == self.n:
            self.check_accuracy(xs, self.got)
            self.expected.popleft()
            self.out_index, self.got = 0, []
            self.busy_since = None
            self.started = False
            self.done_vectors += 1

    def check_accuracy(self, xs: Sequence[int], p: Sequence[int]) -> None:
        """The documented accuracy of a finished vector against floating-point softmax."""
        err = error_lsb(xs, p, self.fmt)
        assert err <= self.bound, (f"vector {xs}: outputs {list(p)} are {err:.3f} LSB from "
                                   f"float softmax, bound {self.bound:.3f}")
        total = sum(p)
        assert abs(total - (1 << self.out_w)) <= sum_bound_lsb(self.fmt), (
            f"vector {xs}: outputs sum to {total}, expected {1 << self.out_w} within "
            f"{sum_bound_lsb(self.fmt):.2f}")
        for i in range(self.n):
            for j in range(self.n):
                assert not (xs[i] > xs[j] and p[i] < p[j]), (
                    f"vector {xs}: ordering not preserved: x[{i}] > x[{j}] but p[{i}]={p[i]} < p[{j}]={p[j]}")

    def abandon(self) -> None:
        """After a reset edge: nothing in flight, collecting anew (the source keeps its queue)."""
        self.source.extendleft(reversed(self.collected))
        self.collected = []
        self.expected.clear()
        self.out_index, self.got = 0, []
        self.busy_since = None
        self.started = False
        self.prev_stall = None

    async def run_until(self, done: Callable[[], bool], *, in_p: float = 1.0, ready_p: float = 1.0,
                        limit: int = 5000) -> None:
        for _ in range(limit):
            if done():
                return
            await self.cycle_step(in_p=in_p, ready_p=ready_p)
        raise AssertionError(f"cycle {self.cycle}: timed out after {limit} cycles "
                             f"({self.done_vectors} vectors done, {len(self.source)} elements unsent)")

    async def run_all(self, *, in_p: float = 1.0, ready_p: float = 1.0) -> None:
        """Run until every queued element has been accepted and every vector has come out."""
        await self.run_until(lambda: not self.source and not self.collected and not self.expected,
                             in_p=in_p, ready_p=ready_p)
        await self.cycle_step(in_p=in_p, ready_p=ready_p)       # in_ready back high is checked


# ====================================================================== tests
@cocotb.test()
async def test_random_vectors(dut: Any) -> None:
    """Random vectors of several distributions (about 200 outputs in all, at least 8 vectors);
    random in_valid gaps and out_ready stalls."""
    u = Unit(dut, "test_random_vectors")
    await u.start()
    count = max(8, 200 // u.n)
    for _ in range(count):
        u.queue_vector(u.rand_vector())
    await u.run_all(in_p=0.7, ready_p=0.7)
    assert u.done_vectors == count


@cocotb.test()
async def test_corner_cases(dut: Any) -> None:
    """Equal, extreme, dominant, ramp and underflowing vectors at full throughput (in_valid and
    out_ready always high): vectors back to back, the first output within LATENCY cycles."""
    u = Unit(dut, "test_corner_cases")
    await u.start()
    cases = u.corner_vectors()
    for _, xs in cases:
        u.queue_vector(xs)
    await u.run_all()
    assert u.done_vectors == len(cases)
    dut._log.info("worst observed latency %d cycles (limit %d)", u.worst_latency, u.latency)


@cocotb.test()
async def test_backpressure(dut: Any) -> None:
    """out_ready mostly low (outputs must hold while stalled), and strictly alternating;
    garbage with in_valid while busy must be ignored."""
    u = Unit(dut, "test_backpressure")
    await u.start()
    for _ in range(2):
        u.queue_vector(u.rand_vector())
    await u.run_all(in_p=0.9, ready_p=0.2)
    # strictly alternating out_ready on a vector with a clear maximum
    xs = u.rand_vector()
    u.queue_vector(xs)
    toggle = [False]

    async def alternating() -> None:
        toggle[0] = not toggle[0]
        await u.cycle_step(ready_p=1.0 if toggle[0] else 0.0)

    for _ in range(5000):
        if not u.source and not u.collected and not u.expected:
            break
        await alternating()
    assert u.done_vectors == 3


@cocotb.test()
async def test_reset_mid_operation(dut: Any) -> None:
    """rst while collecting, while computing the reciprocal and while outputting abandons the
    vector; the unit then collects and computes the next vector correctly."""
    u = Unit(dut, "test_reset_mid_operation")
    await u.start()
    # 1) reset after half a vector
    u.queue_vector(u.rand_vector())
    await u.run_until(lambda: len(u.collected) >= u.n // 2)
    await u.cycle_step(rst=True)
    u.source.clear()
    # 2) reset a few cycles after the N-th element (pass-1 drain / reciprocal)
    u.queue_vector(u.rand_vector())
    await u.run_until(lambda: u.busy_since is not None)
    for _ in range(u.rng.randint(1, 6)):
        await u.cycle_step()
    await u.cycle_step(rst=True)
    # 3) reset after a few outputs, under back-pressure
    u.queue_vector(u.rand_vector())
    await u.run_until(lambda: u.out_index >= 2, ready_p=0.5)
    await u.cycle_step(rst=True)
    # 4) reset held for two cycles with garbage, then a clean vector
    await u.cycle_step(rst=True)
    u.queue_vector(u.rand_vector())
    await u.run_all(in_p=0.8, ready_p=0.8)
    assert u.done_vectors == 1
