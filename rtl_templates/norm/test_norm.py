"""cocotb 2.x tests for the ``norm`` unit (LayerNorm / RMSNorm).

Parameters come from the JSON object in ``$RTLSMITH_PARAMS`` (missing -> template
defaults); its optional key ``"seed"`` fixes the random seed, else ``cocotb.RANDOM_SEED``
is used. The design under test must have been generated with the same parameters.

Checking strategy: one coroutine step per clock. Right after each falling edge the bench
samples every output and checks it against what the README promises for that cycle:

* ``in_ready`` exactly: high while collecting a vector, low from the edge accepting its last
  beat until the edge handing over its last output beat, high again in the next cycle;
* ``out_valid`` low while collecting and before the first result is due; high exactly
  ``LATENCY`` cycles after the cycle of the last input beat; while ``out_ready`` has stayed
  high, the beats come in consecutive cycles; under back-pressure ``out_valid``,
  ``out_data`` and ``out_last`` hold until the handshake;
* every handed-over beat bit-exactly against :func:`golden.normalize`, ``out_last`` on the
  last beat only, and every element within the README's error bound of the float64
  formula (:func:`golden.error_bound_lsb`) wherever that lies in the output range.

Inputs are driven just after the falling edge; a handshake happens at the rising edge in
between when valid and ready were both high in that cycle.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Sequence

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

try:
    from rtlsmith.rtl_templates.common import PARAMS_ENV, load_test_config
    from rtlsmith.rtl_templates.norm.generator import validate_params
    from rtlsmith.rtl_templates.norm.golden import (derive, error_bound_lsb, inv_sqrt, normalize,
                                                    pack_lanes, reference, statistics,
                                                    unpack_lanes)
except ImportError:  # pragma: no cover - running from a copy of the folder
    from generator import validate_params  # type: ignore[no-redef]
    from golden import (derive, error_bound_lsb, inv_sqrt, normalize,  # type: ignore[no-redef]
                        pack_lanes, reference, statistics, unpack_lanes)
    from common import PARAMS_ENV, load_test_config  # type: ignore[no-redef]

CLK_PERIOD_NS = 10
MAX_REPORTED_MISMATCHES = 8


def load_config() -> tuple[dict[str, int], int]:
    """(design params, seed) from ``$RTLSMITH_PARAMS``; the seed defaults to cocotb's."""
    return load_test_config(validate_params, cocotb.RANDOM_SEED)


@dataclass
class Pending:
    """A vector whose results are being (or will be) streamed out."""

    xs: list[int]
    expected: list[int]
    reference: list[float]
    bound: list[float]
    due: int                       # cycle in which the first output beat must be valid
    label: str
    beat: int = 0                  # next output beat index
    ready_since_first: bool = True  # out_ready high in every cycle since the first beat
    checked: list[int] = field(default_factory=list)


class Bench:
    """Drives the DUT one cycle at a time and checks every output every cycle."""

    def __init__(self, dut: Any, test_name: str) -> None:
        self.dut = dut
        self.p, seed = load_config()
        self.d = derive(self.p)
        self.layer = self.d.mode == "layer"
        self.n, self.lanes, self.beats = self.d.n, self.d.lanes, self.d.beats
        self.in_w, self.out_w = self.d.in_w, self.d.out_w
        self.xlo, self.xhi = self.d.in_range
        self.ylo, self.yhi = self.d.out_range
        self.rng = random.Random(f"{seed}:{test_name}")
        self.cycle = 0
        self.collecting = True
        self.cur: list[int] = []                 # beats of the vector being collected
        self.pending: Pending | None = None
        self.prev_hold: tuple[int, int] | None = None   # (out_data, out_last) under back-pressure
        self.gammas = [0] * self.n
        self.betas = [0] * self.n
        self.done = 0                            # vectors fully checked
        self.worst = 0.0
        self._driven: dict[str, int] = {}
        dut._log.info("params=%s seed=%d latency=%d", self.p, seed, self.d.latency)
        want = {"in_data": self.lanes * self.in_w, "out_data": self.lanes * self.out_w,
                "gb_gamma": self.lanes * self.out_w, "gb_addr": max(1, (self.beats - 1).bit_length())}
        if self.layer:
            want["gb_beta"] = self.lanes * self.out_w
        for port, width in want.items():
            got = len(getattr(dut, port))
            assert got == width, (f"port {port} is {got} bits but ${PARAMS_ENV} params {self.p} "
                                  f"imply {width}: the DUT was built with other parameters")

    # ------------------------------------------------------------------ driving
    async def start(self) -> None:
        d = self.dut
        for port, value in (("rst", 1), ("in_valid", 0), ("in_data", 0), ("out_ready", 1),
                            ("gb_we", 0), ("gb_addr", 0), ("gb_gamma", 0)):
            self._drive(port, value)
        if self.layer:
            self._drive("gb_beta", 0)
        cocotb.start_soon(Clock(d.clk, CLK_PERIOD_NS, unit="ns").start())
        await FallingEdge(d.clk)
        await self.step(rst=True, check=False)
        await self.step(rst=True)

    def _drive(self, port: str, value: int) -> None:
        """Write an input only when it changes (each write is a simulator call)."""
        if self._driven.get(port) != value:
            self._driven[port] = value
            getattr(self.dut, port).value = value

    def _sample(self) -> tuple[int, int, int, int]:
        d = self.dut
        vals = []
        for name in ("in_ready", "out_valid"):
            v = getattr(d, name).value
            try:
                vals.append(int(v))
            except ValueError:
                raise AssertionError(f"cycle {self.cycle}: {name} is {v} (X/Z)") from None
        data, last = 0, 0
        if vals[1]:
            try:
                data = d.out_data.value.to_unsigned()
                last = int(d.out_last.value)
            except ValueError:
                raise AssertionError(f"cycle {self.cycle}: out_data/out_last have X/Z bits while "
                                     f"out_valid: {d.out_data.value} / {d.out_last.value}") from None
        return vals[0], vals[1], data, last

    async def step(self, beat: Sequence[int] | None = None, *, out_ready: bool = True,
                   rst: bool = False, gb: tuple[int, Sequence[int], Sequence[int]] | None = None,
                   check: bool = True) -> bool:
        """One clock cycle. ``beat``: LANES input codes to offer (in_valid); ``gb``: (beat
        address, gammas, betas) to write. Returns whether ``beat`` was accepted."""
        in_ready, out_valid, data, last = self._sample()
        where = f"cycle {self.cycle}"
        if check:
            self._check_cycle(where, in_ready, out_valid, data, last, out_ready)
        if beat is not None:
            self._drive("in_data", pack_lanes(beat, self.in_w))
        elif self.rng.random() < 0.3:      # garbage while in_valid is low (not every cycle: speed)
            self._drive("in_data", self.rng.getrandbits(self.lanes * self.in_w))
        self._drive("in_valid", int(beat is not None))
        self._drive("out_ready", int(out_ready))
        self._drive("rst", int(rst))
        self._drive("gb_we", int(gb is not None))
        if gb is not None:
            addr, gs, bs = gb
            self._drive("gb_addr", addr)
            self._drive("gb_gamma", pack_lanes(gs, self.out_w))
            if self.layer:
                self._drive("gb_beta", pack_lanes(bs, self.out_w))
        await FallingEdge(self.dut.clk)
        # ---- the rising edge in between: update the bench's view
        if gb is not None:
            addr, gs, bs = gb
            self.gammas[addr * self.lanes:(addr + 1) * self.lanes] = list(gs)
            self.betas[addr * self.lanes:(addr + 1) * self.lanes] = list(bs)
        accepted = beat is not None and bool(in_ready) and not rst
        if rst:
            self.collecting, self.cur, self.pending, self.prev_hold = True, [], None, None
        else:
            fire = bool(out_valid) and out_ready
            self.prev_hold = (data, last) if out_valid and not out_ready else None
            if fire:
                self._handed_over(where, data, last)
            if accepted:
                self.cur.extend(beat)  # type: ignore[arg-type]
                if len(self.cur) == self.n:
                    self._vector_complete()
        self.cycle += 1
        return accepted

    def _vector_complete(self) -> None:
        xs, self.cur = self.cur, []
        betas = self.betas if self.layer else None
        self.pending = Pending(xs=xs, expected=normalize(self.d, xs, self.gammas, betas),
                               reference=reference(self.d, xs, self.gammas, betas),
                               bound=error_bound_lsb(self.d, xs, self.gammas),
                               due=self.cycle + self.d.latency, label=f"vector {self.done}")
        self.collecting = False

    # ------------------------------------------------------------------ checking
    def _check_cycle(self, where: str, in_ready: int, out_valid: int, data: int, last: int,
                     out_ready: bool) -> None:
        assert in_ready == int(self.collecting), (
            f"{where}: in_ready expected {int(self.collecting)}, actual {in_ready} "
            f"({'collecting a vector' if self.collecting else 'a vector is being processed'})")
        if self.prev_hold is not None:
            assert out_valid, f"{where}: out_valid dropped without a handshake (out_ready was low)"
            assert (data, last) == self.prev_hold, (
                f"{where}: out_data/out_last changed while out_valid && !out_ready: "
                f"0x{self.prev_hold[0]:x}/{self.prev_hold[1]} -> 0x{data:x}/{last}")
        pend = self.pending
        if pend is None:
            assert not out_valid, f"{where}: out_valid high but no vector is being processed"
            return
        if self.cycle < pend.due:
            assert not out_valid, (f"{where}: out_valid {pend.due - self.cycle} cycle(s) early: the "
                                   f"first beat is due {self.d.latency} cycles after the last input beat")
        elif self.cycle == pend.due:
            assert out_valid, (f"{where}: first output beat of {pend.label} missing: due "
                               f"{self.d.latency} cycles after the cycle of the last input beat")
        elif pend.ready_since_first and pend.beat < self.beats:
            assert out_valid, (f"{where}: gap before output beat {pend.beat} of {pend.label} although "
                               f"out_ready stayed high")
        if self.cycle >= pend.due and not out_ready:
            pend.ready_since_first = False

    def _handed_over(self, where: str, data: int, last: int) -> None:
        pend = self.pending
        assert pend is not None
        k = pend.beat
        got = unpack_lanes(data, self.lanes, self.out_w)
        lo = k * self.lanes
        want = pend.expected[lo:lo + self.lanes]
        bad = [n for n in range(self.lanes) if got[n] != want[n]]
        if bad:
            lines = [f"element {lo + n} (beat {k}, lane {n}): x={pend.xs[lo + n]} gamma={self.gammas[lo + n]}"
                     + (f" beta={self.betas[lo + n]}" if self.layer else "")
                     + f": expected {want[n]}, actual {got[n]} (float {pend.reference[lo + n]:+.3f})"
                     for n in bad[:MAX_REPORTED_MISMATCHES]]
            raise AssertionError(f"{where}: {pend.label} beat {k}: {len(bad)} element(s) differ:\n  "
                                 + "\n  ".join(lines))
        assert last == int(k == self.beats - 1), (
            f"{where}: {pend.label} beat {k}: out_last expected {int(k == self.beats - 1)}, actual {last}")
        for n in range(self.lanes):
            ref, bound = pend.reference[lo + n], pend.bound[lo + n]
            if self.ylo <= ref <= self.yhi:
                err = abs(got[n] - ref)
                assert err <= bound, (f"{where}: element {lo + n}: {got[n]} is {err:.3f} LSB from the "
                                      f"float value {ref:.3f}, above the bound {bound:.3f} LSB")
                self.worst = max(self.worst, err)
        pend.beat += 1
        if pend.beat == self.beats:
            self.pending = None
            self.collecting = True
            self.done += 1

    # ------------------------------------------------------------------ scenarios
    def rand_x(self, scale: int | None = None, offset: int = 0) -> list[int]:
        scale = self.xhi if scale is None else scale
        return [max(self.xlo, min(self.xhi, offset + self.rng.randint(-scale, scale)))
                for _ in range(self.n)]

    def rand_g(self) -> tuple[list[int], list[int]]:
        gs = [self.rng.randint(self.ylo, self.yhi) for _ in range(self.n)]
        q = 1 << (self.out_w - 3)
        bs = [self.rng.randint(-q, q) for _ in range(self.n)]
        return gs, bs

    def power_of_four_vector(self) -> list[int] | None:
        """A vector with W = V + N^2*EPS an exact power of 4 and non-zero deviations: there
        r = 2^RB exactly (its top bit; the rsqrt's trial equals the remainder). Built from
        S2 = 4^e/N - N*EPS as a sum of four squares (pairs +-a in layer mode so S1 = 0).
        None when N is no power of two (no such W exists) or N is too small."""
        n = self.n
        pairs = self.layer
        if n & (n - 1) or n < (8 if pairs else 4):
            return None
        best: tuple[float, list[int]] | None = None
        for e in range((n * n * self.d.eps).bit_length() // 2 + 1, self.d.wb // 2):
            s2 = (1 << (2 * e)) // n - n * self.d.eps
            if (1 << (2 * e)) % n or s2 <= 0 or (pairs and s2 % 2):
                continue
            sq = _four_squares(s2 // 2 if pairs else s2, self.xhi)
            if sq is None:
                continue
            xs = [v for a in sq for v in ((a, -a) if pairs else (a,))]
            zmax = n * max(sq) / 2.0 ** e                # largest |z| = c / sqrt(W)
            if best is None or zmax > best[0]:           # large z: r's last bit shows in z
                best = (zmax, xs + [0] * (n - len(xs)))
        return best[1] if best else None

    def tie_gamma(self, xs: Sequence[int]) -> int | None:
        """A gamma that puts z*gamma / 2^ZF of the largest element of ``xs`` exactly on a
        rounding tie (fraction 1/2), so a 1-ULP error in z or r changes the output."""
        d = self.d
        s1, _, w = statistics(d, xs)
        r, s = inv_sqrt(d, w)
        i = max(range(self.n), key=lambda j: abs(self.n * xs[j] - (s1 if self.layer else 0)))
        c = self.n * xs[i] - (s1 if self.layer else 0)
        sh = d.k + (d.wb - d.m) // 2 - d.zf - s
        z = ((c * r >> (sh - 1)) + 1) >> 1
        if z == 0:
            return None
        v = (z & -z).bit_length() - 1                 # z = 2^v * odd
        if v > d.zf - 1:
            return None
        mod = 1 << (d.zf - v)
        g = ((1 << (d.zf - 1 - v)) * pow(z >> v, -1, mod)) % mod
        return g if g <= self.yhi and abs(z * g) >> d.zf < self.yhi else None

    async def load_gb(self, gs: Sequence[int], bs: Sequence[int]) -> None:
        """Write every gamma/beta beat (one per cycle, addresses in random order)."""
        order = list(range(self.beats))
        self.rng.shuffle(order)
        for a in order:
            sl = slice(a * self.lanes, (a + 1) * self.lanes)
            await self.step(gb=(a, gs[sl], bs[sl]))

    async def send(self, xs: Sequence[int], *, in_gap_p: float = 0.0, ready_p: float = 1.0) -> None:
        """Offer the N elements of ``xs`` beat by beat (holding each until accepted), with
        random input gaps and a random out_ready (probability of high = ready_p)."""
        for k in range(self.beats):
            beat = list(xs[k * self.lanes:(k + 1) * self.lanes])
            for _ in range(8):                           # random input gap, at most 8 cycles
                if not (in_gap_p and self.rng.random() < in_gap_p):
                    break
                await self.step(out_ready=self.rng.random() < ready_p)
            for _ in range(self._patience()):
                if await self.step(beat, out_ready=self.rng.random() < ready_p):
                    break
            else:
                raise AssertionError(f"cycle {self.cycle}: input beat {k} not accepted within "
                                     f"{self._patience()} cycles (in_ready stuck low?)")

    def _patience(self) -> int:
        """Cycles any wait may take: generous for 20%-ready back-pressure, still bounded."""
        return 8 * (self.d.latency + self.beats) + 200

    async def finish(self, ready_p: float = 1.0, limit: int | None = None) -> None:
        """Idle until every vector sent has been handed over and checked."""
        limit = limit or self._patience()
        for _ in range(limit):
            if self.pending is None and not self.cur:
                return
            await self.step(out_ready=self.rng.random() < ready_p)
        raise AssertionError(f"cycle {self.cycle}: results not handed over within {limit} cycles")


def _four_squares(m: int, limit: int) -> tuple[int, int, int, int] | None:
    """a^2+b^2+c^2+d^2 = m with every term in 0..limit (greedy with a little backtracking)."""
    from math import isqrt

    a = min(isqrt(m), limit)
    for a in range(a, max(-1, a - 64), -1):
        ra = m - a * a
        for b in range(min(isqrt(ra), limit), max(-1, isqrt(ra) - 64), -1):
            rb = ra - b * b
            for c in range(min(isqrt(rb), limit), -1, -1):
                d = rb - c * c
                if isqrt(d) ** 2 == d and isqrt(d) <= limit:
                    return a, b, c, isqrt(d)
                if c * c * 2 < rb:
                    break
    return None


# ====================================================================== tests
@cocotb.test()
async def test_random_vectors(dut: Any) -> None:
    """Random gamma/beta and vectors of several scales and offsets, back to back with
    out_ready high: exact timing, bit-exact values, error bound."""
    b = Bench(dut, "test_random_vectors")
    await b.start()
    await b.load_gb(*b.rand_g())
    q = b.xhi
    for scale, offset in ((None, 0), (max(1, q // 64), 0), (max(1, q // 16), q // 2),
                          (3, -q // 3), (None, 0)):
        await b.send(b.rand_x(scale, offset))        # the next vector waits for in_ready
    await b.finish()
    assert b.done == 5, f"only {b.done} of 5 vectors were checked"
    dut._log.info("max error vs float: %.3f LSB", b.worst)


@cocotb.test()
async def test_corner_vectors(dut: Any) -> None:
    """Constant vectors (variance 0: eps only), zeros, extremes, alternating min/max, one
    spike, +-1 (eps-dominated), W an exact power of 4 (r's top bit, also with a gamma that
    puts the result on a rounding tie); gamma max/min/zero; beta extremes (saturation)."""
    b = Bench(dut, "test_corner_vectors")
    await b.start()
    n, lo, hi = b.n, b.xlo, b.xhi
    one = 1 << (b.out_w - 2)                    # gamma = 1.0 in a Q2.(OUT_W-2) reading
    vectors = {
        "all zero": [0] * n,
        "constant max": [hi] * n,
        "constant min": [lo] * n,
        "alternating min/max": [lo if i % 2 else hi for i in range(n)],
        "single spike": [hi if i == n // 2 else 0 for i in range(n)],
        "single negative spike": [lo if i == 0 else 1 for i in range(n)],
        "+-1 (eps dominated)": [b.rng.choice((-1, 1)) for _ in range(n)],
        "ramp": [lo + (i * (hi - lo)) // max(1, n - 1) for i in range(n)],
    }
    pow4 = b.power_of_four_vector()
    if pow4 is not None:
        vectors["W a power of 4 (r = 2^RB)"] = pow4
    gammas = {
        "gamma 1.0, beta 0": ([one] * n, [0] * n),
        "gamma max, beta max": ([b.yhi] * n, [b.yhi] * n),
        "gamma min, beta min": ([b.ylo] * n, [b.ylo] * n),
        "gamma 0, beta random": ([0] * n, [b.rng.randint(b.ylo, b.yhi) for _ in range(n)]),
        "gamma alternating max/min": ([b.yhi if i % 2 else b.ylo for i in range(n)], [0] * n),
    }
    # every vector with gamma 1.0; three rotating vectors with each other gamma/beta set
    names = list(vectors)
    sent = 0
    for gi, (gname, (gs, bs)) in enumerate(gammas.items()):
        await b.load_gb(gs, bs)
        chosen = names if gi == 0 else [names[(3 * gi + j) % len(names)] for j in range(3)]
        for vname in chosen:
            b.dut._log.debug("%s / %s", gname, vname)
            await b.send(vectors[vname])
            sent += 1
        await b.finish()
    if pow4 is not None and (tie := b.tie_gamma(pow4)) is not None:
        # r = 2^RB exactly, and gamma puts the largest element on a rounding tie
        await b.load_gb([tie] * n, [0] * n)
        await b.send(pow4)
        await b.finish()
        sent += 1
    assert b.done == sent


@cocotb.test()
async def test_backpressure_and_gaps(dut: Any) -> None:
    """Random out_ready (50% and 20%) and random in_valid gaps; outputs must hold under
    back-pressure; gamma/beta rewritten between vectors."""
    b = Bench(dut, "test_backpressure_and_gaps")
    await b.start()
    for rep, ready_p in enumerate((0.5, 0.2, 0.8)):
        await b.load_gb(*b.rand_g())
        for _ in range(2):
            await b.send(b.rand_x(b.rng.choice((None, 7, b.xhi // 8 or 1))), in_gap_p=0.3,
                         ready_p=ready_p)
        await b.finish(ready_p=ready_p)
    assert b.done == 6


@cocotb.test()
async def test_reset_mid_operation(dut: Any) -> None:
    """rst while collecting, while computing and while streaming drops the vector; the
    unit recovers; gamma/beta survive rst (no reload)."""
    b = Bench(dut, "test_reset_mid_operation")
    await b.start()
    await b.load_gb(*b.rand_g())
    xs = b.rand_x()
    # while collecting (half a vector in)
    for k in range(max(1, b.beats // 2)):
        await b.step(xs[k * b.lanes:(k + 1) * b.lanes])
    await b.step(xs[:b.lanes], rst=True)        # a beat offered with rst is ignored
    await b.send(b.rand_x())
    await b.finish()
    # while computing: a few cycles after the last input beat
    await b.send(b.rand_x())
    for _ in range(3):
        await b.step()
    await b.step(rst=True)
    for _ in range(b.d.latency + b.beats + 2):   # nothing may come out afterwards
        await b.step()
    # while streaming, under back-pressure: hand over one beat (if a vector has more than
    # one), then hold out_ready low with a result waiting, then reset
    await b.send(b.rand_x())
    for _ in range(b.d.latency + 1):
        await b.step(out_ready=False)
    assert int(dut.out_valid.value), "no result waiting after LATENCY cycles of back-pressure"
    if b.beats > 1:
        await b.step(out_ready=True)
        await b.step(out_ready=False)
        assert b.pending is not None and b.pending.beat == 1
    await b.step(out_ready=False, rst=True)
    for _ in range(b.beats + 2):
        await b.step()
    # clean run after all that, with the gamma/beta written before the resets
    await b.send(b.rand_x(), in_gap_p=0.2)
    await b.send(b.rand_x())
    await b.finish()
    assert b.done == 3
