"""Bit-accurate (and cycle-accurate) Python golden model of the ``dequant_gemv`` engine.

Pure Python, no third-party dependencies. This module *is* the numeric spec:

* :func:`dequant_row` -- the functional result of one row: for every quantisation group
  ``g`` the exact integer group sum ``S_g = sum (q_k - zero_g) * x_k``, the exact row sum
  ``A = sum_g scale_g * S_g`` (``scale_g`` the scale's integer code), then one rounding
  ``floor((A + 2^(FRAC-1)) / 2^FRAC)`` (round half up; no rounding when FRAC = 0) and
  saturation to a signed OUT_W-bit integer.
* :class:`DequantGemvModel` -- a cycle-accurate model of the RTL's observable outputs
  (``out_valid``, ``y_out``, ``y_sat`` after every rising edge), including beat/group
  counting, sampling of ``scale_in``/``zero_in`` on a group's first beat, bubbles,
  the three-edge output latency and ``rst``.

Conventions: ``y_out`` values are raw unsigned OUT_W-bit patterns exactly as they appear
on the bus; use :func:`to_signed` to read them as numbers. Weight codes and zero-points
are unsigned WBITS-bit integers; activations are INT8 (``-128..127``, or their 8-bit
patterns); scales are SCALE_W-bit codes, read as unsigned or two's complement per
``SCALE_SIGNED``; the real scale is ``code / 2^FRAC``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

#: activation width (INT8)
X_W = 8
#: rising edges from the edge accepting a row's last beat until out_valid is high
LATENCY = 3


def mask(width: int) -> int:
    """All-ones mask of ``width`` bits."""
    return (1 << width) - 1


def wrap(value: int, width: int) -> int:
    """``value`` modulo ``2**width`` (the raw unsigned bit pattern)."""
    return value & mask(width)


def to_signed(value: int, width: int) -> int:
    """Interpret the low ``width`` bits of ``value`` as a two's-complement number."""
    value = wrap(value, width)
    return value - (1 << width) if value >> (width - 1) else value


def pack_lanes(values: Sequence[int], width: int) -> int:
    """Pack ``values`` into one bus, lane ``n`` at bits ``[n*width +: width]`` (values wrapped)."""
    raw = 0
    for n, v in enumerate(values):
        raw |= wrap(v, width) << (n * width)
    return raw


def unpack_lanes(raw: int, count: int, width: int, signed: bool = False) -> list[int]:
    """Inverse of :func:`pack_lanes`; ``signed`` reads each lane as two's complement."""
    lanes = [(raw >> (n * width)) & mask(width) for n in range(count)]
    return [to_signed(v, width) for v in lanes] if signed else lanes


def activation(value: int) -> int:
    """The INT8 number the hardware sees for an activation lane holding ``value``'s bits."""
    return to_signed(value, X_W)


def scale_value(code: int, scale_w: int, signed: bool) -> int:
    """The integer a SCALE_W-bit scale code stands for (real scale = this / 2^FRAC)."""
    return to_signed(code, scale_w) if signed else wrap(code, scale_w)


def scale_range(scale_w: int, signed: bool) -> tuple[int, int]:
    """Inclusive (min, max) integer value of a scale code."""
    return (-(1 << (scale_w - 1)), (1 << (scale_w - 1)) - 1) if signed else (0, mask(scale_w))


def out_range(out_w: int) -> tuple[int, int]:
    """Inclusive (min, max) of the signed OUT_W-bit result."""
    return -(1 << (out_w - 1)), (1 << (out_w - 1)) - 1


def round_shift(acc: int, frac: int) -> int:
    """``acc / 2^frac`` rounded to nearest, ties towards +infinity (exact for frac = 0).

    This is ``floor((acc + 2^(frac-1)) / 2^frac)``: 2.5 -> 3, -2.5 -> -2, -2.6 -> -3.
    """
    if frac == 0:
        return acc
    return (acc + (1 << (frac - 1))) >> frac    # Python >> on ints is floor division


def saturate(value: int, out_w: int) -> tuple[int, bool]:
    """Clamp ``value`` to the signed OUT_W-bit range; returns (clamped, saturated?)."""
    lo, hi = out_range(out_w)
    if value > hi:
        return hi, True
    if value < lo:
        return lo, True
    return value, False


@dataclass(frozen=True)
class RowResult:
    """One row's result: ``y`` (signed number), ``sat`` flag and the exact sums behind it."""

    y: int
    sat: bool
    acc: int                        # exact sum_g scale_g * S_g (before rounding)
    group_sums: tuple[int, ...]     # S_g per group

    def y_raw(self, out_w: int) -> int:
        """``y`` as the raw OUT_W-bit pattern on ``y_out``."""
        return wrap(self.y, out_w)


def group_sum(q: Sequence[int], x: Sequence[int], zero: int, wbits: int) -> int:
    """Exact ``sum (q_k - zero) * x_k`` of one group (codes wrapped to WBITS, x read as INT8)."""
    z = wrap(zero, wbits)
    return sum((wrap(qk, wbits) - z) * activation(xk) for qk, xk in zip(q, x, strict=True))


def dequant_row(q: Sequence[int], x: Sequence[int], scales: Sequence[int], zeros: Sequence[int],
                params: Mapping[str, int]) -> RowResult:
    """Bit-accurate result of one row of K weight codes ``q`` and K activations ``x``.

    ``scales``/``zeros`` hold one code per group (K / GROUP_SIZE each), in row order.
    """
    k, gs = params["K"], params["GROUP_SIZE"]
    wbits, scale_w, signed = params["WBITS"], params["SCALE_W"], bool(params["SCALE_SIGNED"])
    n_groups = k // gs
    if len(q) != k or len(x) != k:
        raise ValueError(f"dequant_row: need K={k} weights and activations, got {len(q)} and {len(x)}")
    if len(scales) != n_groups or len(zeros) != n_groups:
        raise ValueError(f"dequant_row: need {n_groups} scales and zeros, got {len(scales)} and {len(zeros)}")
    sums = tuple(group_sum(q[g * gs:(g + 1) * gs], x[g * gs:(g + 1) * gs], zeros[g], wbits)
                 for g in range(n_groups))
    acc = sum(s * scale_value(c, scale_w, signed) for s, c in zip(sums, scales))
    y, sat = saturate(round_shift(acc, params["FRAC"]), params["OUT_W"])
    return RowResult(y=y, sat=sat, acc=acc, group_sums=sums)


def dequant_row_real(q: Sequence[int], x: Sequence[int], scales: Sequence[int],
                     zeros: Sequence[int], params: Mapping[str, int]) -> float:
    """The real-valued dot product the row approximates: sum (scale/2^FRAC)*(q-zero)*x.

    When the row is not saturated, ``|dequant_row(...).y - this| <= 0.5``.
    """
    r = dequant_row(q, x, scales, zeros, params)
    return r.acc / (1 << params["FRAC"])


@dataclass
class _Pending:
    age: int            # rising edges since the edge that accepted the row's last beat
    result: RowResult


@dataclass
class DequantGemvModel:
    """Cycle-accurate model: call :meth:`tick` once per rising edge with the sampled inputs.

    After each tick, :attr:`out_valid`, :attr:`y_out` (raw bits) and :attr:`y_sat` equal
    what the RTL shows after the same edge; :attr:`results` lists every row result in
    completion order (for functional checks).
    """

    params: Mapping[str, int]
    out_valid: bool = field(init=False, default=False)
    y_out: int = field(init=False, default=0)
    y_sat: bool = field(init=False, default=False)
    results: list[RowResult] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        p = self.params
        self.lanes, self.gs, self.k = p["LANES"], p["GROUP_SIZE"], p["K"]
        self.wbits, self.out_w = p["WBITS"], p["OUT_W"]
        self.beats_per_group = self.gs // self.lanes
        self.beats_per_row = self.k // self.lanes
        self.reset()

    @property
    def latency(self) -> int:
        return LATENCY

    @property
    def beat_in_row(self) -> int:
        """Index in the row of the next beat the engine will accept."""
        return self._beat

    @property
    def busy(self) -> bool:
        """True while a row is partially streamed or a finished row is still in flight."""
        return bool(self._beat or self._pending)

    def reset(self) -> None:
        """State after ``rst``: at the start of a row, nothing in flight, outputs zero."""
        self._beat = 0
        self._q: list[int] = []
        self._x: list[int] = []
        self._scales: list[int] = []
        self._zeros: list[int] = []
        self._pending: list[_Pending] = []
        self.out_valid, self.y_out, self.y_sat = False, 0, False

    def tick(self, *, rst: bool = False, in_valid: bool = False, w: Sequence[int] | None = None,
             x: Sequence[int] | None = None, scale: int = 0, zero: int = 0) -> None:
        """Advance one rising edge with the given sampled inputs.

        ``w`` (LANES weight codes) and ``x`` (LANES activations) are read only when
        ``in_valid``; ``scale``/``zero`` only when that beat is the first of its group.
        """
        if rst:
            self.reset()
            return
        self.out_valid = False
        still: list[_Pending] = []
        for item in self._pending:
            item.age += 1
            if item.age == LATENCY:
                self.out_valid = True
                self.y_out = item.result.y_raw(self.out_w)
                self.y_sat = item.result.sat
            else:
                still.append(item)
        self._pending = still
        if not in_valid:
            return
        if w is None or x is None or len(w) != self.lanes or len(x) != self.lanes:
            raise ValueError(f"tick: a valid beat needs {self.lanes} weight codes and activations")
        if self._beat % self.beats_per_group == 0:
            self._scales.append(scale)
            self._zeros.append(zero)
        self._q.extend(w)
        self._x.extend(x)
        self._beat += 1
        if self._beat == self.beats_per_row:
            result = dequant_row(self._q, self._x, self._scales, self._zeros, self.params)
            self.results.append(result)
            self._pending.append(_Pending(0, result))
            self._beat = 0
            self._q, self._x, self._scales, self._zeros = [], [], [], []
