"""Bit-accurate Python golden model of the ``softmax`` unit (online single-pass softmax).

Pure Python, no third-party dependencies. The model *is* the numeric spec:

* inputs ``x`` are signed IN_W-bit fixed point with FRAC fractional bits (``x = X / 2**FRAC``);
* :class:`ExpTable` -- ``exp(-d)`` for a non-negative fixed-point difference ``D`` as the
  product of two rounded tables (integer part and LUT_BITS-bit fraction part of ``d``), with
  EW = OUT_W + 8 fractional bits;
* :func:`softmax` -- the online recurrence over the vector (running max ``m``, running sum
  ``s`` rescaled by ``exp(m_old - m_new)`` whenever the max grows), the reciprocal
  ``R = floor(2**(EW+RW) / s)`` and the outputs ``P_i = round(E(m - x_i) * R / 2**SH)``
  saturated to OUT_W bits (``p_i = P_i / 2**OUT_W``);
* :func:`error_bound_lsb` -- the documented bound on ``|P_i - 2**OUT_W * softmax(x)_i|``.

Conventions: ``X`` values are Python ints in the signed IN_W-bit range (bus values are the
raw bit patterns, see :func:`to_signed`); probabilities are raw unsigned OUT_W-bit ints.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

#: extra fractional bits the exponentials and the reciprocal carry beyond OUT_W
GUARD_BITS = 8


def mask(width: int) -> int:
    """All-ones mask of ``width`` bits."""
    return (1 << width) - 1


def to_signed(value: int, width: int) -> int:
    """Interpret the low ``width`` bits of ``value`` as a two's-complement number."""
    value &= mask(width)
    return value - (1 << width) if value >> (width - 1) else value


def signed_range(width: int) -> tuple[int, int]:
    """Inclusive (min, max) of a ``width``-bit two's-complement number."""
    return -(1 << (width - 1)), (1 << (width - 1)) - 1


def round_half_up(value: float) -> int:
    """``floor(value + 0.5)`` (no table entry is near a tie; unit tests check it)."""
    return math.floor(value + 0.5)


@dataclass(frozen=True)
class Formats:
    """Every derived width of a parameter set (the numbers the README and the RTL use)."""

    n: int            # vector length
    in_w: int         # input width (signed)
    frac: int         # input fractional bits
    out_w: int        # output width (unsigned, all fractional)
    lut_bits: int     # fraction bits of d that index the fraction table

    @classmethod
    def from_params(cls, params: dict) -> "Formats":
        return cls(params["N"], params["IN_W"], params["FRAC"], params["OUT_W"], params["LUT_BITS"])

    @property
    def ew(self) -> int:
        """Fractional bits of an exponential E (E = 2**EW means 1.0)."""
        return self.out_w + GUARD_BITS

    @property
    def rw(self) -> int:
        """Fractional bits of the reciprocal R (R = 2**RW means 1.0)."""
        return self.out_w + GUARD_BITS

    @property
    def one(self) -> int:
        """E(0): 1.0 with EW fractional bits."""
        return 1 << self.ew

    @property
    def sum_w(self) -> int:
        """Bits of the running sum s (<= N * 2**EW)."""
        return self.ew + self.n.bit_length()

    @property
    def out_shift(self) -> int:
        """Right shift from E*R (EW+RW fractional bits) to an output (OUT_W fractional bits)."""
        return self.ew + self.rw - self.out_w

    @property
    def d_drop(self) -> int:
        """Fractional bits of D rounded away before the table look-up (FRAC - LUT_BITS)."""
        return self.frac - self.lut_bits

    @property
    def kmax(self) -> int:
        """Largest integer part of d whose table entry is non-zero."""
        return len(int_table(self.ew)) - 1


@lru_cache(maxsize=None)
def int_table(ew: int) -> tuple[int, ...]:
    """``LI[k] = floor(2**EW * exp(-k))`` for k = 0 .. KMAX (every non-zero entry).

    Floor, not round: with a rounded fraction table this makes E(D) non-increasing in D
    across every integer boundary (see README, "Accuracy"), so the output order follows
    the input order.
    """
    out = []
    k = 0
    while True:
        v = math.floor(math.ldexp(math.exp(-k), ew))
        if v == 0:
            return tuple(out)
        out.append(v)
        k += 1


@lru_cache(maxsize=None)
def frac_table(ew: int, lut_bits: int) -> tuple[int, ...]:
    """``LF[j] = round(2**EW * exp(-j / 2**LUT_BITS))`` for j = 0 .. 2**LUT_BITS - 1."""
    return tuple(round_half_up(math.ldexp(math.exp(-j / (1 << lut_bits)), ew))
                 for j in range(1 << lut_bits))


class ExpTable:
    """``E(D) ~= 2**EW * exp(-D / 2**FRAC)`` for an unsigned difference D, bit-exactly as the RTL.

    1. ``Q = D`` if LUT_BITS == FRAC, else ``Q = (D + 2**(FRAC-LUT_BITS-1)) >> (FRAC-LUT_BITS)``
       (d rounded to LUT_BITS fractional bits, half up);
    2. ``k = Q >> LUT_BITS`` (integer part), ``j = Q mod 2**LUT_BITS`` (fraction index);
    3. ``E = 0`` if k > KMAX, else ``E = (LI[k] * LF[j] + 2**(EW-1)) >> EW``
       (LI rounded down, LF to nearest: see :func:`int_table`).
    """

    def __init__(self, fmt: Formats) -> None:
        self.fmt = fmt
        self.li = int_table(fmt.ew)
        self.lf = frac_table(fmt.ew, fmt.lut_bits)

    def index(self, d: int) -> tuple[int, int]:
        """(integer part k, fraction index j) of the rounded difference."""
        f = self.fmt
        q = d if f.d_drop == 0 else (d + (1 << (f.d_drop - 1))) >> f.d_drop
        return q >> f.lut_bits, q & mask(f.lut_bits)

    def __call__(self, d: int) -> int:
        if d < 0:
            raise ValueError(f"E(D) needs D >= 0, got {d}")
        k, j = self.index(d)
        if k >= len(self.li):
            return 0
        return (self.li[k] * self.lf[j] + (1 << (self.fmt.ew - 1))) >> self.fmt.ew


@dataclass(frozen=True)
class SoftmaxTrace:
    """What one vector produces: final max and sum, reciprocal, outputs."""

    m: int
    s: int
    r: int
    p: tuple[int, ...]


def running_state(xs: Sequence[int], exp: ExpTable) -> tuple[int, int]:
    """Pass 1, the online recurrence: ``(m, s)`` after every element of ``xs``.

    First element: ``m = x``, ``s = 2**EW``. Then per element x:
    ``x > m``: ``s = floor(s * E(x - m) / 2**EW) + 2**EW`` and ``m = x``;
    else:     ``s = s + E(m - x)``.
    """
    ew, one = exp.fmt.ew, exp.fmt.one
    m, s = xs[0], one
    for x in xs[1:]:
        if x > m:
            s = ((s * exp(x - m)) >> ew) + one
            m = x
        else:
            s = s + exp(m - x)
    return m, s


def reciprocal(s: int, fmt: Formats) -> int:
    """``R = floor(2**(EW+RW) / s)``: 1/s with RW fractional bits (s >= 2**EW, so R <= 2**RW)."""
    return (1 << (fmt.ew + fmt.rw)) // s


def softmax(xs: Sequence[int], fmt: Formats, exp: ExpTable | None = None) -> SoftmaxTrace:
    """The unit's outputs for one vector of N raw inputs (signed IN_W-bit ints)."""
    if len(xs) != fmt.n:
        raise ValueError(f"softmax: a vector has N={fmt.n} elements, got {len(xs)}")
    lo, hi = signed_range(fmt.in_w)
    if any(not lo <= x <= hi for x in xs):
        raise ValueError(f"softmax: inputs must be IN_W={fmt.in_w}-bit signed ({lo}..{hi})")
    exp = exp or ExpTable(fmt)
    m, s = running_state(xs, exp)
    r = reciprocal(s, fmt)
    sh, top = fmt.out_shift, mask(fmt.out_w)
    p = tuple(min(top, (exp(m - x) * r + (1 << (sh - 1))) >> sh) for x in xs)
    return SoftmaxTrace(m, s, r, p)


def reference(xs: Sequence[int], frac: int) -> list[float]:
    """Floating-point softmax of the fixed-point values ``X / 2**FRAC`` (the accuracy target)."""
    vals = [x / (1 << frac) for x in xs]
    top = max(vals)
    ex = [math.exp(v - top) for v in vals]
    total = sum(ex)
    return [e / total for e in ex]


def error_lsb(xs: Sequence[int], p: Sequence[int], fmt: Formats) -> float:
    """Largest ``|P_i - 2**OUT_W * softmax_i|`` in output LSBs (saturated 1.0 counts as 2**OUT_W - 1)."""
    scale = 1 << fmt.out_w
    return max(abs(pi - min(scale - 1, scale * ri)) for pi, ri in zip(p, reference(xs, fmt.frac)))


def deviation(fmt: Formats) -> float:
    """Bound on ``|E_i / s - e_i / sum(e)|`` relative to 1 (see README, "Accuracy").

    Rounding d to LUT_BITS fractional bits (only when LUT_BITS < FRAC) moves every exponent by
    at most ``delta = 2**-(LUT_BITS+1)``; a term of the running sum carries its own such error
    plus one per later rescale, at most N-1 in all, and the numerator one more: the ratio is
    off by a factor within ``exp(+-N*delta)``. The rest -- table rounding, the rounded table
    product, the truncating rescale, the truncated reciprocal -- is at most ``4N + 8`` units
    of ``2**-EW`` on a sum that is at least 1, plus ``2**-RW``.
    """
    delta = 0.0 if fmt.d_drop == 0 else 2.0 ** -(fmt.lut_bits + 1)
    return math.expm1(fmt.n * delta) + (4 * fmt.n + 8) * 2.0 ** -fmt.ew + 2.0 ** -fmt.rw


def error_bound_lsb(fmt: Formats) -> float:
    """Documented bound on :func:`error_lsb` (any input vector): half an LSB of output rounding
    plus :func:`deviation` in output LSBs (never more than full scale)."""
    scale = 1 << fmt.out_w
    return min(float(scale), 0.5 + scale * deviation(fmt))


def sum_bound_lsb(fmt: Formats) -> float:
    """Bound on ``|sum(P) - 2**OUT_W|``: N half-LSB roundings, one LSB of saturation at 1.0,
    and the :func:`deviation` of the whole sum."""
    dev = deviation(fmt)
    return fmt.n / 2 + 1 + (1 << fmt.out_w) * dev * (1 + dev)
