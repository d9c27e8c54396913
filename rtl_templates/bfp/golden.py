"""Bit-accurate (and cycle-accurate) Python golden model of the ``bfp_codec`` block.

Pure Python, no third-party dependencies. Two levels:

* :func:`encode` / :func:`decode` -- the functional block-floating-point conversion, the
  spec of the numbers: a block of BLOCK signed IN_W-bit integers becomes one shared
  unsigned exponent ``e`` plus BLOCK signed MANT_W-bit mantissas with ``x ~= m * 2**e``, and
  back (with saturation to IN_W bits).
* :class:`BfpCodecModel` -- the observable outputs of the RTL after every rising edge: both
  paths are pipelines of fixed latency :data:`LATENCY`, valid travels with the data, ``rst``
  drops everything in flight.

Conventions: bus values are unsigned ints holding the raw bit patterns (lane ``i`` at bits
``[i*W +: W]``); element values are Python ints (signed where the format is signed).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Sequence

#: register stages on each path: a beat presented in cycle k (sampled by the rising edge that
#: ends cycle k) is on the outputs in cycle k + LATENCY, i.e. right after the NEXT rising edge
LATENCY = 2

#: rounding modes (generator parameter ROUND)
ROUND_FLOOR = 0     # truncation: arithmetic shift right, i.e. round toward minus infinity
ROUND_RNE = 1       # round to nearest, ties to even


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


def signed_width(x: int) -> int:
    """Fewest bits of two's complement that hold ``x`` (0 and -1 need 1 bit)."""
    return (x if x >= 0 else ~x).bit_length() + 1


def max_exponent(in_w: int, mant_w: int) -> int:
    """Largest exponent the encoder produces: IN_W - MANT_W."""
    return in_w - mant_w


def min_exp_w(in_w: int, mant_w: int) -> int:
    """Fewest exponent bits that hold every exponent the encoder produces."""
    return max(1, max_exponent(in_w, mant_w).bit_length())


def shared_exponent(xs: Sequence[int], mant_w: int) -> int:
    """The smallest ``e >= 0`` with ``-2**(MANT_W-1) <= x >> e <= 2**(MANT_W-1) - 1`` for every x.

    Equivalently ``max(0, W - MANT_W)`` where W is the widest :func:`signed_width` in the
    block, i.e. the position of the most significant bit that differs from its sign bit.
    """
    widest = max((signed_width(x) for x in xs), default=1)
    return max(0, widest - mant_w)


def quantise(x: int, e: int, mant_w: int, round_mode: int) -> int:
    """``x / 2**e`` as a MANT_W-bit signed mantissa (rounded per ``round_mode``, saturated).

    Floor is exact when ``x >> e`` fits. Round-to-nearest-even can carry one past the largest
    positive mantissa (``x`` just below ``2**(e+MANT_W-1)``); that saturates to
    ``2**(MANT_W-1) - 1``. A negative mantissa never overflows.
    """
    q = x >> e                                   # Python's >> is floor division by 2**e
    if round_mode == ROUND_RNE and e > 0:
        rem = x - (q << e)                       # 0 <= rem < 2**e
        half = 1 << (e - 1)
        if rem > half or (rem == half and q & 1):
            q += 1
    elif round_mode not in (ROUND_FLOOR, ROUND_RNE):
        raise ValueError(f"unknown rounding mode {round_mode}")
    lo, hi = signed_range(mant_w)
    return max(lo, min(hi, q))


def encode(xs: Sequence[int], in_w: int, mant_w: int, round_mode: int) -> tuple[int, list[int]]:
    """Encode one block: ``(shared exponent, mantissas)``.

    ``xs`` are read as IN_W-bit two's complement (any int is reduced to its IN_W-bit pattern).
    """
    vals = [to_signed(x, in_w) for x in xs]
    e = shared_exponent(vals, mant_w)
    return e, [quantise(x, e, mant_w, round_mode) for x in vals]


def dequantise(m: int, e: int, in_w: int, mant_w: int) -> int:
    """``m * 2**e`` saturated to the IN_W-bit signed range (``m`` read as MANT_W-bit signed).

    For every exponent the encoder makes (``e <= IN_W - MANT_W``) this is exact; larger
    exponents (a decoder input can carry any EXP_W-bit value) saturate.
    """
    lo, hi = signed_range(in_w)
    return max(lo, min(hi, to_signed(m, mant_w) << e))


def decode(e: int, mants: Sequence[int], in_w: int, mant_w: int) -> list[int]:
    """Decode one block: the BLOCK IN_W-bit values ``m_i * 2**e`` (saturated)."""
    return [dequantise(m, e, in_w, mant_w) for m in mants]


def error_bound(e: int, round_mode: int) -> float:
    """Largest ``|decode(encode(x)) - x|`` for a block with shared exponent ``e``.

    Floor: ``< 2**e`` (one mantissa LSB); RNE: ``<= 2**(e-1)`` except the saturating
    carry, which is also ``< 2**e``. Both are covered by ``2**e - 1`` for e > 0, 0 for e = 0.
    """
    return 0 if e == 0 else (1 << e) - 1


def pack_lanes(values: Sequence[int], width: int) -> int:
    """Pack ``values`` into one bus, lane ``n`` at bits ``[n*width +: width]`` (values wrapped)."""
    raw = 0
    for n, v in enumerate(values):
        raw |= (v & mask(width)) << (n * width)
    return raw


def unpack_lanes(raw: int, count: int, width: int, signed: bool = False) -> list[int]:
    """Inverse of :func:`pack_lanes`; ``signed`` reads each lane as two's complement."""
    lanes = [(raw >> (n * width)) & mask(width) for n in range(count)]
    return [to_signed(v, width) for v in lanes] if signed else lanes


@dataclass(frozen=True)
class EncOut:
    """One encoder output beat: exponent and signed mantissas."""
    exp: int
    mants: tuple[int, ...]


@dataclass(frozen=True)
class DecOut:
    """One decoder output beat: signed IN_W-bit values."""
    data: tuple[int, ...]


@dataclass
class BfpCodecModel:
    """Cycle-accurate model: call :meth:`tick` once per rising edge with the sampled inputs.

    After each tick, :attr:`enc_out` / :attr:`dec_out` are what the RTL presents after the same
    edge: the beat (when the matching ``*_out_valid`` is high) or ``None`` (valid low).
    """

    block: int
    in_w: int
    mant_w: int
    exp_w: int
    round_mode: int
    enc_out: EncOut | None = field(init=False, default=None)
    dec_out: DecOut | None = field(init=False, default=None)
    _enc_pipe: deque = field(init=False, repr=False)
    _dec_pipe: deque = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.reset()

    @classmethod
    def from_params(cls, params: dict) -> "BfpCodecModel":
        """Build a model from a generator parameter dict (BLOCK, IN_W, MANT_W, EXP_W, ROUND)."""
        return cls(params["BLOCK"], params["IN_W"], params["MANT_W"], params["EXP_W"], params["ROUND"])

    def reset(self) -> None:
        """State after ``rst``: nothing in flight, both output valids low."""
        # beats accepted at the last LATENCY-1 edges, oldest first
        self._enc_pipe = deque([None] * (LATENCY - 1), maxlen=LATENCY - 1)
        self._dec_pipe = deque([None] * (LATENCY - 1), maxlen=LATENCY - 1)
        self.enc_out = None
        self.dec_out = None

    def tick(self, *, rst: bool = False, enc_valid: bool = False, enc_data: Sequence[int] | None = None,
             dec_valid: bool = False, dec_exp: int = 0, dec_mant: Sequence[int] | None = None) -> None:
        """Advance one rising edge. ``enc_data`` (BLOCK values) / ``dec_exp`` and ``dec_mant``
        (BLOCK mantissas) are only read when the matching valid is high."""
        if rst:
            self.reset()
            return
        enc_beat = None
        if enc_valid:
            if enc_data is None or len(enc_data) != self.block:
                raise ValueError(f"tick: an encoder beat needs {self.block} values")
            e, mants = encode(enc_data, self.in_w, self.mant_w, self.round_mode)
            enc_beat = EncOut(e, tuple(mants))
        dec_beat = None
        if dec_valid:
            if dec_mant is None or len(dec_mant) != self.block:
                raise ValueError(f"tick: a decoder beat needs {self.block} mantissas")
            dec_beat = DecOut(tuple(decode(dec_exp & mask(self.exp_w), dec_mant, self.in_w, self.mant_w)))
        self.enc_out = self._enc_pipe[0]
        self.dec_out = self._dec_pipe[0]
        self._enc_pipe.append(enc_beat)
        self._dec_pipe.append(dec_beat)
