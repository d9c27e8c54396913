"""cocotb 2.x tests for the ``bfp_codec`` block-floating-point encoder + decoder.

Parameters come from the JSON object in ``$RTLSMITH_PARAMS`` (missing -> template
defaults); its optional key ``"seed"`` fixes the random seed, else ``cocotb.RANDOM_SEED``
is used. The design under test must have been generated with the same parameters.

Checking strategy: inputs of both paths are driven just after the falling edge, the
cycle-accurate golden model (:class:`golden.BfpCodecModel`) is advanced for the rising edge
in between, and after every rising edge both ``*_out_valid`` are compared, and the exponent,
every mantissa and every decoded value whenever the matching valid is high. Lanes of a path
whose valid is low are driven with random garbage. The round trip test also checks the
quantisation error bound of ``decode(encode(x))`` against ``x`` itself.
"""
from __future__ import annotations

import random
from typing import Any, Sequence

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

try:
    from rtlsmith.rtl_templates.common import PARAMS_ENV, load_test_config
    from rtlsmith.rtl_templates.bfp.generator import validate_params
    from rtlsmith.rtl_templates.bfp.golden import (
        LATENCY, ROUND_RNE, BfpCodecModel, decode, encode, mask, pack_lanes, signed_range,
        unpack_lanes)
except ImportError:  # pragma: no cover - running from a copy of the folder
    from generator import validate_params  # type: ignore[no-redef]
    from golden import (LATENCY, ROUND_RNE, BfpCodecModel, decode,  # type: ignore[no-redef]
                        encode, mask, pack_lanes, signed_range, unpack_lanes)
    from common import PARAMS_ENV, load_test_config  # type: ignore[no-redef]

CLK_PERIOD_NS = 10
MAX_REPORTED_MISMATCHES = 8


def load_config() -> tuple[dict[str, int], int]:
    """(design params, seed) from ``$RTLSMITH_PARAMS``; the seed defaults to cocotb's."""
    return load_test_config(validate_params, cocotb.RANDOM_SEED)


class Codec:
    """Drives the DUT one cycle at a time and checks it against the golden model."""

    def __init__(self, dut: Any, test_name: str) -> None:
        self.dut = dut
        self.p, seed = load_config()
        self.block, self.in_w = self.p["BLOCK"], self.p["IN_W"]
        self.mant_w, self.exp_w = self.p["MANT_W"], self.p["EXP_W"]
        self.round_mode = self.p["ROUND"]
        self.emax = self.in_w - self.mant_w
        self.lo, self.hi = signed_range(self.in_w)
        self.mlo, self.mhi = signed_range(self.mant_w)
        self.model = BfpCodecModel.from_params(self.p)
        self.rng = random.Random(f"{seed}:{test_name}")
        self.cycle = 0
        self.enc_seen = 0
        self.dec_seen = 0
        #: encoder results observed on the outputs, in order: (exp, mantissas)
        self.enc_results: list[tuple[int, list[int]]] = []
        dut._log.info("params=%s seed=%d latency=%d", self.p, seed, LATENCY)
        self._check_port_widths()

    def _check_port_widths(self) -> None:
        want = {"enc_in_data": self.block * self.in_w, "enc_out_exp": self.exp_w,
                "enc_out_mant": self.block * self.mant_w, "dec_in_exp": self.exp_w,
                "dec_in_mant": self.block * self.mant_w, "dec_out_data": self.block * self.in_w}
        for port, width in want.items():
            got = len(getattr(self.dut, port))
            assert got == width, (f"port {port} is {got} bits but ${PARAMS_ENV} params {self.p} "
                                  f"imply {width}: the DUT was built with other parameters")

    # ------------------------------------------------------------------ stimulus helpers
    def rand_block(self, width: int | None = None) -> list[int]:
        """BLOCK values; with ``width``, in that signed range and one element using all of it."""
        w = width if width is not None else self.rng.randint(1, self.in_w)
        lo, hi = signed_range(w) if w > 1 else (-1, 0)
        vals = [self.rng.randint(lo, hi) for _ in range(self.block)]
        vals[self.rng.randrange(self.block)] = self.rng.choice((lo, hi)) if w > 1 else -1
        return vals

    def rand_exp(self) -> int:
        """Mostly encoder-range exponents, sometimes anything EXP_W bits hold (saturation)."""
        if self.rng.random() < 0.75:
            return self.rng.randint(0, self.emax)
        return self.rng.randint(0, mask(self.exp_w))

    def rand_mants(self) -> list[int]:
        return [self.rng.randint(self.mlo, self.mhi) for _ in range(self.block)]

    # ------------------------------------------------------------------ cycle driver
    async def start(self) -> None:
        """Start the clock and hold reset for two edges (checked)."""
        for name in ("rst", "enc_in_valid", "enc_in_data", "dec_in_valid", "dec_in_exp", "dec_in_mant"):
            getattr(self.dut, name).value = 0
        self.dut.rst.value = 1
        cocotb.start_soon(Clock(self.dut.clk, CLK_PERIOD_NS, unit="ns").start())
        await FallingEdge(self.dut.clk)
        await self.step(rst=True, check=False)
        await self.step(rst=True, label="reset")

    async def step(self, *, enc: Sequence[int] | None = None, dec: tuple[int, Sequence[int]] | None = None,
                   rst: bool = False, check: bool = True, label: str = "") -> None:
        """Drive one cycle (``enc``: a block to encode; ``dec``: (exp, mantissas) to decode;
        None = that path idle, with garbage on its data lanes), pass one rising edge, check."""
        d = self.dut
        d.rst.value = int(rst)
        d.enc_in_valid.value = int(enc is not None)
        d.enc_in_data.value = pack_lanes(enc, self.in_w) if enc is not None else \
            self.rng.getrandbits(self.block * self.in_w)
        d.dec_in_valid.value = int(dec is not None)
        d.dec_in_exp.value = dec[0] & mask(self.exp_w) if dec is not None else self.rng.getrandbits(self.exp_w)
        d.dec_in_mant.value = pack_lanes(dec[1], self.mant_w) if dec is not None else \
            self.rng.getrandbits(self.block * self.mant_w)
        self.model.tick(rst=rst, enc_valid=enc is not None, enc_data=enc,
                        dec_valid=dec is not None, dec_exp=dec[0] if dec else 0,
                        dec_mant=dec[1] if dec else None)
        await FallingEdge(d.clk)
        self.cycle += 1
        if check:
            self.check_outputs(f"cycle {self.cycle}{' (' + label + ')' if label else ''}")

    async def idle(self, n: int = 1, label: str = "idle") -> None:
        for _ in range(n):
            await self.step(label=label)

    async def drain(self, label: str = "drain") -> None:
        await self.idle(LATENCY, label=label)

    # ------------------------------------------------------------------ checking
    def _read(self, name: str) -> int:
        value = getattr(self.dut, name).value
        if not hasattr(value, "to_unsigned"):            # a 1-bit port reads as a Logic
            bit = str(value)
            if bit not in ("0", "1"):
                raise AssertionError(f"cycle {self.cycle}: {name} is {bit}, not 0/1")
            return int(bit)
        try:
            return value.to_unsigned()                   # raises on X/Z
        except ValueError:
            raise AssertionError(f"cycle {self.cycle}: {name} has X/Z bits: {value}") from None

    def check_outputs(self, where: str) -> None:
        """Compare both valids, and every field of a valid output beat, with the model."""
        exp_enc, exp_dec = self.model.enc_out, self.model.dec_out
        ev = self._read("enc_out_valid")
        assert ev == int(exp_enc is not None), \
            f"{where}: enc_out_valid expected {int(exp_enc is not None)}, actual {ev}"
        if exp_enc is not None:
            got_e = self._read("enc_out_exp")
            got_m = unpack_lanes(self._read("enc_out_mant"), self.block, self.mant_w, signed=True)
            bad = [f"m[{i}]: expected {w}, actual {g}" for i, (w, g) in enumerate(zip(exp_enc.mants, got_m))
                   if w != g]
            if got_e != exp_enc.exp or bad:
                raise AssertionError(
                    f"{where}: encoder output differs: exponent expected {exp_enc.exp}, actual {got_e}"
                    + (f"; {len(bad)} mantissa(s) differ:\n  " + "\n  ".join(bad[:MAX_REPORTED_MISMATCHES])
                       if bad else ""))
            self.enc_seen += 1
            self.enc_results.append((got_e, got_m))
        dv = self._read("dec_out_valid")
        assert dv == int(exp_dec is not None), \
            f"{where}: dec_out_valid expected {int(exp_dec is not None)}, actual {dv}"
        if exp_dec is not None:
            got = unpack_lanes(self._read("dec_out_data"), self.block, self.in_w, signed=True)
            bad = [f"y[{i}]: expected {w}, actual {g}" for i, (w, g) in enumerate(zip(exp_dec.data, got))
                   if w != g]
            if bad:
                raise AssertionError(f"{where}: {len(bad)} decoded value(s) differ:\n  "
                                     + "\n  ".join(bad[:MAX_REPORTED_MISMATCHES]))
            self.dec_seen += 1

    def corner_blocks(self) -> list[tuple[str, list[int]]]:
        """Blocks at the edges of the number formats and of the rounding rule."""
        b, lo, hi, m = self.block, self.lo, self.hi, self.mant_w
        cases: list[tuple[str, list[int]]] = [
            ("zeros", [0] * b), ("all -1", [-1] * b), ("all max", [hi] * b), ("all min", [lo] * b),
            ("max/min alternating", [hi if i % 2 else lo for i in range(b)]),
            ("one max, rest small", [hi] + [self.rng.randint(-3, 3) for _ in range(b - 1)]),
            ("one min, rest small", [self.rng.randint(-3, 3) for _ in range(b - 1)] + [lo]),
            ("just fits MANT_W", [signed_range(m)[i % 2] for i in range(b)]),
        ]
        for w in range(m, self.in_w + 1):                   # each exponent boundary
            wlo, whi = signed_range(w)
            cases.append((f"width {w} positive edge", [whi] + [1] * (b - 1)))
            cases.append((f"width {w} negative edge", [wlo] + [-1] * (b - 1)))
        for e in range(1, self.emax + 1):                   # rounding ties and carries at exponent e
            big = (1 << (m - 1 + e - 1))                    # forces exponent e
            half = 1 << (e - 1)
            ties = [(2 * k + 1) * half for k in range(-3, 3)]   # odd and even quotients, both signs
            cases.append((f"ties e={e}", [big] + [ties[i % len(ties)] for i in range(b - 1)]))
            cases.append((f"near ties e={e}", [-big - 1] + [t + self.rng.choice((-1, 1)) for t in
                                                             (ties * b)[:b - 1]]))
            top = (1 << (m - 1 + e)) - 1                    # largest value of exponent e: RNE carries
            cases.append((f"round-up saturation e={e}", [top, top - half + 1, top - half, -top - 1][:b]
                          + [top] * max(0, b - 4)))
        return cases


async def loopback_roundtrip(c: Codec, blocks: Sequence[Sequence[int]], label: str) -> None:
    """Encode ``blocks`` back to back; each encoder result goes into the decoder the cycle it
    appears. Checks every cycle, then the error bound of ``decode(encode(x))`` against x."""
    start = len(c.enc_results)
    pending = list(blocks)
    fed = 0
    while fed < len(blocks):
        dec = None
        if fed < len(c.enc_results) - start:
            e, mants = c.enc_results[start + fed]
            dec = (e, mants)
            fed += 1
        await c.step(enc=pending.pop(0) if pending else None, dec=dec, label=label)
    await c.drain()
    for n, x in enumerate(blocks):
        e, mants = c.enc_results[start + n]
        y = decode(e, mants, c.in_w, c.mant_w)
        for i, (xi, yi) in enumerate(zip(x, y)):
            err = abs(yi - xi)
            limit = (1 << e) - 1 if e else 0
            if c.round_mode == ROUND_RNE and e and abs(yi) < (1 << (c.mant_w - 1 + e)) - (1 << e):
                limit = 1 << (e - 1)                        # not at the saturated top: half an LSB
            assert err <= limit, (f"{label} block {n} element {i}: x={xi} decodes to {yi} "
                                  f"(e={e}, m={mants[i]}), error {err} > bound {limit}")


# ====================================================================== tests
@cocotb.test()
async def test_random_stream(dut: Any) -> None:
    """Both paths at once, random valid (p=0.7) with garbage in bubbles, random magnitudes."""
    c = Codec(dut, "test_random_stream")
    await c.start()
    for _ in range(150):
        enc = c.rand_block() if c.rng.random() < 0.7 else None
        dec = (c.rand_exp(), c.rand_mants()) if c.rng.random() < 0.7 else None
        await c.step(enc=enc, dec=dec, label="random")
    await c.drain()
    assert c.enc_seen > 50 and c.dec_seen > 50, (c.enc_seen, c.dec_seen)


@cocotb.test()
async def test_corner_cases(dut: Any) -> None:
    """Format edges back to back: zeros, extremes, every exponent boundary, RNE ties and the
    saturating carry; decoder: every EXP_W-bit exponent with extreme mantissas."""
    c = Codec(dut, "test_corner_cases")
    await c.start()
    blocks = c.corner_blocks()
    mant_sets = [[c.mhi] * c.block, [c.mlo] * c.block, [0] * c.block, [1] * c.block, [-1] * c.block,
                 [c.mhi if i % 2 else c.mlo for i in range(c.block)]]
    decs = [(e, ms) for e in range(mask(c.exp_w) + 1) for ms in mant_sets]
    for n in range(max(len(blocks), len(decs))):
        enc = blocks[n][1] if n < len(blocks) else None
        dec = decs[n] if n < len(decs) else None
        await c.step(enc=enc, dec=dec, label=blocks[n][0] if n < len(blocks) else "decoder corners")
    await c.drain()
    # spot checks that the golden rules themselves hold on the extremes
    assert encode([c.hi] * c.block, c.in_w, c.mant_w, c.round_mode)[0] == c.emax
    assert encode([0] * c.block, c.in_w, c.mant_w, c.round_mode) == (0, [0] * c.block)


@cocotb.test()
async def test_roundtrip(dut: Any) -> None:
    """Encoder output looped into the decoder; |decode(encode(x)) - x| within the bound."""
    c = Codec(dut, "test_roundtrip")
    await c.start()
    blocks = [b for _, b in c.corner_blocks()] + [c.rand_block() for _ in range(24)]
    await loopback_roundtrip(c, blocks, "roundtrip")


@cocotb.test()
async def test_reset_mid_operation(dut: Any) -> None:
    """rst with beats in flight (and presented) drops them on both paths; clean recovery."""
    c = Codec(dut, "test_reset_mid_operation")
    await c.start()
    for _ in range(5):
        await c.step(enc=c.rand_block(), dec=(c.rand_exp(), c.rand_mants()), label="before reset")
    await c.step(enc=c.rand_block(), dec=(c.rand_exp(), c.rand_mants()), rst=True, label="rst with beats")
    assert not int(dut.enc_out_valid.value) and not int(dut.dec_out_valid.value)
    await c.idle(LATENCY + 1, label="after reset: nothing may come out")
    # one beat in stage 1 when reset hits
    await c.step(enc=c.rand_block(), dec=(c.rand_exp(), c.rand_mants()), label="beat")
    await c.step(rst=True, label="rst with a beat in flight")
    await c.idle(LATENCY + 1, label="after reset")
    for _ in range(12):
        await c.step(enc=c.rand_block(), dec=(c.rand_exp(), c.rand_mants()), label="after recovery")
    await c.drain()
