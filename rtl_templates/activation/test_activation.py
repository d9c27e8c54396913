"""cocotb 2.x tests for the ``activation`` unit (GELU / SiLU).

Parameters come from the JSON object in ``$RTLSMITH_PARAMS`` (missing -> template
defaults); its optional key ``"seed"`` fixes the random seed, else ``cocotb.RANDOM_SEED``
is used. The design under test must have been generated with the same parameters.

Checking strategy: inputs are driven just after the falling edge, the cycle-accurate golden
model (:class:`golden.ActivationModel`) is advanced for the rising edge in between, and
``out_valid`` is compared after every rising edge, ``out_data`` (every lane) whenever
``out_valid`` is high. Every checked output is also compared with the exact float function:
its error must stay within the README's a-priori bound (:func:`golden.error_bound_lsb`).
Inputs of up to 12 bits are tested exhaustively (every code), wider ones by sampling.
"""
from __future__ import annotations

import random
from typing import Any, Sequence

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

try:
    from rtlsmith.rtl_templates.activation.generator import validate_params
    from rtlsmith.rtl_templates.activation.golden import (LATENCY, ActivationModel,
                                                          correction_code, derive,
                                                          error_bound_lsb, exact, pack_lanes,
                                                          unpack_lanes)
    from rtlsmith.rtl_templates.common import PARAMS_ENV, load_test_config
except ImportError:  # pragma: no cover - running from a copy of the folder
    from generator import validate_params  # type: ignore[no-redef]
    from golden import (LATENCY, ActivationModel, correction_code,  # type: ignore[no-redef]
                        derive, error_bound_lsb, exact, pack_lanes, unpack_lanes)
    from common import PARAMS_ENV, load_test_config  # type: ignore[no-redef]

CLK_PERIOD_NS = 10
MAX_REPORTED_MISMATCHES = 8
EXHAUSTIVE_MAX_IN_W = 12     # up to this width every input code is tested
SAMPLES = 3000               # random codes for wider inputs


def load_config() -> tuple[dict[str, int], int]:
    """(design params, seed) from ``$RTLSMITH_PARAMS``; the seed defaults to cocotb's."""
    return load_test_config(validate_params, cocotb.RANDOM_SEED)


class Unit:
    """Drives the DUT one cycle at a time and checks it against the golden model."""

    def __init__(self, dut: Any, test_name: str) -> None:
        self.dut = dut
        self.p, seed = load_config()
        self.d = derive(self.p)
        self.lanes, self.w = self.p["LANES"], self.p["IN_W"]
        self.lo, self.hi = self.d.code_range
        self.bound = error_bound_lsb(self.p)
        self.model = ActivationModel(self.d, self.lanes)
        self.rng = random.Random(f"{seed}:{test_name}")
        self.cycle = 0
        self.checked = 0
        self.worst = (0.0, 0)          # (error in LSB, input code) over checked outputs
        self._inputs: list[list[int]] = [[] for _ in range(LATENCY)]   # beat per stage
        dut._log.info("params=%s seed=%d latency=%d bound=%.4f LSB", self.p, seed, LATENCY,
                      self.bound)
        for port in ("in_data", "out_data"):
            got = len(getattr(dut, port))
            assert got == self.lanes * self.w, (
                f"port {port} is {got} bits but ${PARAMS_ENV} params {self.p} imply "
                f"{self.lanes * self.w}: the DUT was built with other parameters")

    # ------------------------------------------------------------------ driving
    async def start(self) -> None:
        """Start the clock and hold reset for two edges (checked)."""
        self.dut.rst.value = 1
        self.dut.in_valid.value = 0
        self.dut.in_data.value = 0
        cocotb.start_soon(Clock(self.dut.clk, CLK_PERIOD_NS, unit="ns").start())
        await FallingEdge(self.dut.clk)
        await self.step(rst=True, check=False)
        await self.step(rst=True, label="reset")

    async def step(self, beat: Sequence[int] | None = None, *, rst: bool = False,
                   check: bool = True, label: str = "") -> None:
        """Drive one cycle (``beat`` = LANES input codes, None = bubble with garbage data),
        let one rising edge pass, then check the outputs."""
        valid = beat is not None
        self.dut.in_valid.value = int(valid)
        self.dut.in_data.value = (pack_lanes(beat, self.w) if valid else
                                  self.rng.getrandbits(self.lanes * self.w))
        self.dut.rst.value = int(rst)
        self.model.tick(rst=rst, in_valid=valid, lanes=beat)
        self._inputs = [list(beat) if valid else []] + self._inputs[:-1]
        if rst:
            self._inputs = [[] for _ in range(LATENCY)]
        await FallingEdge(self.dut.clk)
        self.cycle += 1
        if check:
            self.check(f"cycle {self.cycle}{' (' + label + ')' if label else ''}")

    async def stream(self, codes: Sequence[int], *, bubble_p: float = 0.0, label: str = "") -> None:
        """Send ``codes`` LANES at a time (the last beat padded with random codes)."""
        codes = list(codes)
        while len(codes) % self.lanes:
            codes.append(self.rand_code())
        for i in range(0, len(codes), self.lanes):
            for _ in range(8):                              # a random gap of at most 8 cycles
                if not (bubble_p and self.rng.random() < bubble_p):
                    break
                await self.step(label=f"{label} bubble")
            await self.step(codes[i:i + self.lanes], label=f"{label} beat {i // self.lanes}")

    async def drain(self, label: str = "drain") -> None:
        for _ in range(LATENCY):
            await self.step(label=label)
        assert not int(self.dut.out_valid.value), f"{label}: out_valid high with nothing in flight"

    def rand_code(self) -> int:
        return self.rng.randint(self.lo, self.hi)

    # ------------------------------------------------------------------ checking
    def check(self, where: str) -> None:
        got_valid = int(self.dut.out_valid.value)
        assert got_valid == int(self.model.out_valid), (
            f"{where}: out_valid expected {int(self.model.out_valid)}, actual {got_valid}")
        if not got_valid:
            return
        value = self.dut.out_data.value
        try:
            raw = value.to_unsigned()
        except ValueError:
            raise AssertionError(f"{where}: out_data has X/Z bits while out_valid: {value}") from None
        got = unpack_lanes(raw, self.lanes, self.w)
        want = self.model.out
        xs = self._inputs[-1]
        bad = [n for n in range(self.lanes) if got[n] != want[n]]
        if bad:
            lines = [f"lane {n}: input code {xs[n]} ({xs[n] * self.d.lsb:+.6g}): expected "
                     f"{want[n]} ({want[n] * self.d.lsb:+.6g}), actual {got[n]} "
                     f"({got[n] * self.d.lsb:+.6g}); exact {self.p['FUNC']} = "
                     f"{exact(self.d.func, xs[n] * self.d.lsb):+.6g}"
                     for n in bad[:MAX_REPORTED_MISMATCHES]]
            raise AssertionError(f"{where}: {len(bad)} lane(s) differ:\n  " + "\n  ".join(lines))
        for n in range(self.lanes):
            err = abs(got[n] * self.d.lsb - exact(self.d.func, xs[n] * self.d.lsb)) / self.d.lsb
            assert err <= self.bound, (
                f"{where}: lane {n}: input code {xs[n]}: output {got[n]} is {err:.4f} LSB from the "
                f"exact {self.p['FUNC']}, above the documented bound {self.bound:.4f} LSB")
            if err > self.worst[0]:
                self.worst = (err, xs[n])
        self.checked += self.lanes

    def corner_codes(self) -> list[int]:
        """Extremes, zero, +-1 LSB, the saturation boundary, segment boundaries and the codes
        at which the output clamps (if this table has any)."""
        d = self.d
        r = d.r_codes
        seg = 1 << d.t_bits
        cands = [self.lo, self.lo + 1, -1, 0, 1, self.hi - 1, self.hi,
                 r - 1, r, r + 1, -(r - 1), -r, -(r + 1)]
        for k in (1, 2, 3, (1 << d.seg_bits) // 2, (1 << d.seg_bits) - 1):
            cands += [k * seg - 1, k * seg, k * seg + 1, -(k * seg - 1), -(k * seg), -(k * seg + 1)]
        # codes where the unclamped result leaves the range (coarse tables only): the clamp
        clamped = [x for x in range(self.lo, self.hi + 1)
                   if not self.lo <= max(x, 0) - correction_code(d, abs(x)) <= self.hi]
        cands += clamped[:8] + clamped[-8:]
        out: list[int] = []
        for c in cands:
            if self.lo <= c <= self.hi and c not in out:
                out.append(c)
        return out


# ====================================================================== tests
@cocotb.test()
async def test_every_code(dut: Any) -> None:
    """Every input code (IN_W <= 12, shuffled over the lanes) or a random sample plus corners,
    back to back: bit-exact against the golden model and within the error bound."""
    u = Unit(dut, "test_every_code")
    await u.start()
    if u.w <= EXHAUSTIVE_MAX_IN_W:
        codes = list(range(u.lo, u.hi + 1))
        u.rng.shuffle(codes)
        what = f"all {len(codes)} codes"
    else:
        codes = u.corner_codes() + [u.rand_code() for _ in range(SAMPLES)]
        what = f"{len(codes)} sampled codes"
    await u.stream(codes, label="sweep")
    await u.drain()
    assert u.checked >= len(codes), f"only {u.checked} of {len(codes)} results were checked"
    dut._log.info("%s: max error %.4f LSB at code %d (bound %.4f LSB)", what, u.worst[0],
                  u.worst[1], u.bound)


@cocotb.test()
async def test_corner_cases(dut: Any) -> None:
    """Extremes, zero, +-1 LSB, saturation and segment boundaries in every lane position;
    uniform beats of min / max / zero."""
    u = Unit(dut, "test_corner_cases")
    await u.start()
    corners = u.corner_codes()
    for shift in range(min(u.lanes, 4)):            # each corner visits several lanes
        await u.stream(corners[shift:] + corners[:shift], label=f"corners rot {shift}")
    for c in (u.lo, u.hi, 0, -1):
        await u.step([c] * u.lanes, label=f"uniform {c}")
    await u.drain()
    # single beat presented in cycle n: out_valid in cycle n+LATENCY only
    await u.step([u.hi] * u.lanes, label="single beat")        # now in cycle n+1
    for n in range(1, LATENCY):
        assert not int(dut.out_valid.value), f"out_valid in cycle n+{n} after a beat in cycle n " \
                                             f"(latency is {LATENCY})"
        await u.step(label=f"single beat +{n}")
    assert int(dut.out_valid.value), f"no out_valid in cycle n+{LATENCY} after a beat in cycle n"
    await u.step(label=f"single beat +{LATENCY}")
    assert not int(dut.out_valid.value), "out_valid high for more than one cycle after one beat"
    await u.drain()


@cocotb.test()
async def test_bubbles(dut: Any) -> None:
    """in_valid toggles randomly (garbage data in bubbles), then strictly alternates."""
    u = Unit(dut, "test_bubbles")
    await u.start()
    n = 40 * u.lanes
    await u.stream([u.rand_code() for _ in range(n)], bubble_p=0.5, label="random bubbles")
    await u.drain()
    for i in range(16):
        await u.step([u.rand_code() for _ in range(u.lanes)], label=f"alternating {i}")
        await u.step(label="alternating bubble")
    await u.drain()


@cocotb.test()
async def test_reset_mid_stream(dut: Any) -> None:
    """rst while beats are in flight (and with a beat presented) drops them all; clean recovery."""
    u = Unit(dut, "test_reset_mid_stream")
    await u.start()
    await u.stream([u.rand_code() for _ in range(3 * u.lanes)], label="before reset")
    await u.step([u.rand_code() for _ in range(u.lanes)], rst=True, label="rst with beat")
    assert not int(dut.out_valid.value), "out_valid high right after rst"
    for i in range(LATENCY + 1):
        await u.step(label=f"after reset {i}")
    await u.stream([u.rand_code() for _ in range(12 * u.lanes)], bubble_p=0.2, label="after reset")
    # reset one edge before the results would appear
    await u.stream([u.rand_code() for _ in range(2 * u.lanes)], label="second burst")
    await u.step(rst=True, label="rst while draining")
    await u.drain(label="after second reset")
    await u.stream(u.corner_codes(), label="corners after reset")
    await u.drain()
