"""Bit-accurate (and cycle-accurate) Python golden model of the ``activation`` unit.

Pure Python, no third-party dependencies. The unit computes GELU or SiLU on signed
fixed-point numbers (``IN_W`` bits, ``FRAC`` fractional bits; the output has the same
format) by piecewise-linear interpolation of a *correction* function ``h``:

    f(x) = max(x, 0) - h(|x|)
    GELU: h(a) = a * (1 - Phi(a)) = a * erfc(a / sqrt 2) / 2
    SiLU: h(a) = a / (1 + e^a)

Both identities are exact (``f(x) - f(-x) = x`` for both functions), so one table over
``a = |x|`` in ``[0, R)`` serves both signs; ``h`` decays to ~0, so beyond ``R`` the unit
saturates to ``f(x) = max(x, 0)``.

* :func:`derive` -- every constant of a parameter set: table range, segment size, the
  coefficient ROM (``C0``, ``C1``) and the widths the RTL uses. The generator emits exactly
  these numbers, so the model *is* the spec of the ROM.
* :func:`approx_code` -- the bit-exact output code for one input code.
* :func:`error_bound_lsb` (a-priori bound) and :func:`max_error_lsb` (measured over every
  input code) -- accuracy versus the exact float function.
* :class:`ActivationModel` -- cycle-accurate model of the 3-stage valid pipeline.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Mapping, Sequence

#: guard bits: C0 is stored in units of 2^-GUARD output LSB, C1 in 2^-(GUARD+T) LSB/code
GUARD = 4
#: clock cycles from the cycle presenting a beat to the cycle showing its result: three
#: register stages, so a beat sampled at rising edge t is on the outputs after edge t+2
LATENCY = 3
#: functions and their ids
FUNCS = ("gelu", "silu")
#: max |f''| over the real line: GELU''(0) = 2*phi(0) = sqrt(2/pi), SiLU''(0) = 1/2
MAX_D2 = {"gelu": math.sqrt(2.0 / math.pi), "silu": 0.5}
#: the table's range R = 2^r grows until h(R) <= TAIL_LSB output LSB (r >= R_MIN_LOG2)
TAIL_LSB = 0.125
R_MIN_LOG2 = 2
R_MAX_LOG2 = 6


def correction(func: str, a: float) -> float:
    """``h(a) = max(a, 0) - f(a)`` for ``a >= 0`` (real numbers)."""
    if func == "gelu":
        return 0.5 * a * math.erfc(a / math.sqrt(2.0))
    if func == "silu":
        return a / (1.0 + math.exp(a)) if a < 700.0 else 0.0
    raise ValueError(f"unknown function {func!r}; valid: {', '.join(FUNCS)}")


def exact(func: str, x: float) -> float:
    """The exact function value (float64): GELU(x) = x*Phi(x), SiLU(x) = x*sigmoid(x)."""
    return max(x, 0.0) - correction(func, abs(x))


def mask(width: int) -> int:
    return (1 << width) - 1


def to_signed(value: int, width: int) -> int:
    """The low ``width`` bits of ``value`` read as two's complement."""
    value &= mask(width)
    return value - (1 << width) if value >> (width - 1) else value


def pack_lanes(values: Sequence[int], width: int) -> int:
    """Lane ``n`` at bits ``[n*width +: width]`` (two's complement, wrapped)."""
    raw = 0
    for n, v in enumerate(values):
        raw |= (v & mask(width)) << (n * width)
    return raw


def unpack_lanes(raw: int, count: int, width: int) -> list[int]:
    """Inverse of :func:`pack_lanes`, lanes read as signed."""
    return [to_signed(raw >> (n * width), width) for n in range(count)]


@dataclass(frozen=True)
class Derived:
    """Every constant of one parameter set (see the README, "Numeric format")."""

    func: str
    in_w: int
    frac: int
    seg_bits: int        # segments over [0, R) = 2^seg_bits (SEG_BITS, clamped to what exists)
    r_log2: int          # table range R = 2^r_log2 (real units)
    t_bits: int          # T: input codes per segment = 2^T
    saturate: bool       # True: |x| >= R gives h = 0; False: the range covers every input
    c0: tuple[int, ...]  # intercepts, units 2^-GUARD LSB
    c1: tuple[int, ...]  # slopes, units 2^-(GUARD+T) LSB per input code
    c0_w: int            # signed widths the RTL uses (from the exact value ranges)
    c1_w: int
    acc_w: int           # C0*2^T + C1*t + rounding constant
    hl_w: int            # the rounded correction hl
    y_w: int             # max(x, 0) - hl before the clamp
    clamp_hi: bool       # some input drives max(x, 0) - hl above the top code
    clamp_lo: bool       # ... or below the bottom code (only coarse tables do either)
    idx_w: int           # ROM address width

    @property
    def lsb(self) -> float:
        return 2.0 ** -self.frac

    @property
    def r_codes(self) -> int:
        """R in input codes."""
        return 1 << (self.r_log2 + self.frac)

    @property
    def code_range(self) -> tuple[int, int]:
        return -(1 << (self.in_w - 1)), (1 << (self.in_w - 1)) - 1


def _range_log2_wanted(func: str, frac: int) -> int:
    """The smallest r >= R_MIN_LOG2 with h(2^r) <= TAIL_LSB output LSB (capped at R_MAX_LOG2)."""
    lsb = 2.0 ** -frac
    r = R_MIN_LOG2
    while r < R_MAX_LOG2 and correction(func, 2.0 ** r) / lsb > TAIL_LSB:
        r += 1
    return r


def range_log2(func: str, in_w: int, frac: int) -> int:
    """log2 of the table range R: :func:`_range_log2_wanted`, but never beyond the input
    range 2^(IN_W-1-FRAC) (then the table covers every input and nothing saturates)."""
    return min(_range_log2_wanted(func, frac), in_w - 1 - frac)


def _needs_saturation(func: str, in_w: int, frac: int) -> bool:
    """True iff the wanted range ends inside the input range (|x| >= R occurs: h = 0 there)."""
    return _range_log2_wanted(func, frac) <= in_w - 1 - frac


def _signed_width(values: Sequence[int]) -> int:
    """Bits of the smallest two's-complement type holding every value (>= 2)."""
    w = 2
    for v in values:
        while not -(1 << (w - 1)) <= v < (1 << (w - 1)):
            w += 1
    return w


@lru_cache(maxsize=64)
def _derive(func: str, in_w: int, frac: int, seg_bits: int) -> Derived:
    lsb = 2.0 ** -frac
    r = range_log2(func, in_w, frac)
    sat = _needs_saturation(func, in_w, frac)
    s = max(0, min(seg_bits, r + frac))          # never more segments than codes
    t = r + frac - s
    n_seg = 1 << s

    def big_h(code: int) -> float:                # h in output LSBs at input code a
        return correction(func, code * lsb) / lsb

    c0: list[int] = []
    c1: list[int] = []
    for k in range(n_seg):
        lo = k << t
        ys = [big_h(lo + i) for i in range(1 << t)]
        slope = (big_h(lo + (1 << t)) - ys[0]) / (1 << t)      # chord, LSB per code
        q1 = round(slope * 2.0 ** (GUARD + t))
        resid = [y - q1 * i / 2.0 ** (GUARD + t) for i, y in enumerate(ys)]
        q0 = round((max(resid) + min(resid)) / 2.0 * 2.0 ** GUARD)   # centred intercept
        c0.append(q0)
        c1.append(q1)
    if not sat:
        # |x| can equal R exactly (only x = most negative code): one more entry, t = 0 there
        c0.append(round(big_h(n_seg << t) * 2.0 ** GUARD))
        c1.append(0)
    # exact extremes of every intermediate over every input code the hardware can see
    sh = GUARD + t
    a_max = 1 << (in_w - 1)                               # |most negative code|
    r_codes = 1 << (r + frac)
    accs, hl_of = [], []
    for a in range(a_max + 1):
        if sat and a >= r_codes:
            hl_of.append(0)                               # saturated: no table access
            continue
        acc = (c0[a >> t] << t) + c1[a >> t] * (a & ((1 << t) - 1)) + (1 << (sh - 1))
        accs.append(acc)
        hl_of.append(acc >> sh)
    ys = [x - hl_of[x] for x in range(a_max)] + [-hl_of[a] for a in range(1, a_max + 1)]
    hl_w = _signed_width(hl_of)
    c0_w, c1_w = _signed_width(c0), _signed_width(c1)
    acc_w = max(_signed_width(accs), c0_w + t, c1_w + t + 1, sh + hl_w)
    return Derived(func=func, in_w=in_w, frac=frac, seg_bits=s, r_log2=r, t_bits=t,
                   saturate=sat, c0=tuple(c0), c1=tuple(c1), c0_w=c0_w, c1_w=c1_w,
                   acc_w=acc_w, hl_w=hl_w, y_w=max(_signed_width(ys), in_w + 1),
                   clamp_hi=max(ys) > a_max - 1, clamp_lo=min(ys) < -a_max,
                   idx_w=s if sat else s + 1)


def derive(params: Mapping[str, object]) -> Derived:
    """All constants for a (validated) parameter dict with FUNC, IN_W, FRAC, SEG_BITS."""
    return _derive(str(params["FUNC"]), int(params["IN_W"]), int(params["FRAC"]),  # type: ignore[arg-type]
                   int(params["SEG_BITS"]))  # type: ignore[arg-type]


def correction_code(d: Derived, a: int) -> int:
    """The rounded correction ``hl`` (output LSBs) the unit subtracts for ``a = |x|``."""
    if d.saturate and a >= d.r_codes:
        return 0
    k, t = a >> d.t_bits, a & mask(d.t_bits)
    acc = (d.c0[k] << d.t_bits) + d.c1[k] * t
    sh = GUARD + d.t_bits
    return (acc + (1 << (sh - 1))) >> sh          # round half up (floor(v + 1/2))


def approx_code(d: Derived, x: int) -> int:
    """Bit-exact output code for the signed input code ``x``:
    ``clamp(max(x, 0) - hl(|x|))`` to the IN_W-bit range."""
    lo, hi = d.code_range
    if not lo <= x <= hi:
        raise ValueError(f"input code {x} outside {lo}..{hi}")
    y = max(x, 0) - correction_code(d, abs(x))
    return min(hi, max(lo, y))


def error_lsb(d: Derived, x: int) -> float:
    """|approx - exact| in output LSBs for input code ``x``."""
    return abs(approx_code(d, x) * d.lsb - exact(d.func, x * d.lsb)) / d.lsb


def error_bound_lsb(params: Mapping[str, object]) -> float:
    """A-priori bound on |approx - exact| in LSBs (README, "Error bound"):
    0.5 (final rounding) + M2*D^2/(8*lsb) (chord, segment width D) + 3*2^-(GUARD+2)
    (coefficient rounding) + h(R)/lsb (tail, only when the unit saturates)."""
    d = derive(params)
    seg = 2.0 ** (d.t_bits - d.frac)
    tail = correction(d.func, 2.0 ** d.r_log2) / d.lsb if d.saturate else 0.0
    return 0.5 + MAX_D2[d.func] * seg * seg / (8.0 * d.lsb) + 3.0 * 2.0 ** -(GUARD + 2) + tail


def max_error_lsb(params: Mapping[str, object]) -> tuple[float, int]:
    """(max |approx - exact| in LSBs over every input code, the worst code)."""
    d = derive(params)
    lo, hi = d.code_range
    return max((error_lsb(d, x), x) for x in range(lo, hi + 1))


@dataclass
class ActivationModel:
    """Cycle-accurate model: :meth:`tick` once per rising edge with the sampled inputs;
    afterwards :attr:`out_valid` / :attr:`out` are what the RTL shows after that edge
    (``out`` is only meaningful while ``out_valid``)."""

    d: Derived
    lanes: int
    _pipe: list[tuple[bool, list[int]]] = field(init=False)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._pipe = [(False, [])] * LATENCY

    def tick(self, *, rst: bool = False, in_valid: bool = False,
             lanes: Sequence[int] | None = None) -> None:
        if rst:
            self.reset()
            return
        beat: list[int] = []
        if in_valid:
            if lanes is None or len(lanes) != self.lanes:
                raise ValueError(f"tick: a valid beat needs {self.lanes} lane values")
            beat = [approx_code(self.d, x) for x in lanes]
        self._pipe = [(in_valid, beat)] + self._pipe[:-1]

    @property
    def out_valid(self) -> bool:
        return self._pipe[-1][0]

    @property
    def out(self) -> list[int]:
        return list(self._pipe[-1][1])
