"""Bit-accurate (and cycle-accurate) Python golden model of the ``dot_product`` unit.

Pure Python, no third-party dependencies. Two levels:

* :func:`dot` / :func:`accumulate` -- the functional result: one beat's dot product, and
  the sequence of accumulator values a run of beats produces (with ``acc_clear``), with
  operands interpreted as IN_W-bit signed/unsigned numbers and sums wrapped modulo
  ``2**ACC_W``.
* :class:`DotProductModel` -- a cycle-accurate model of the RTL's observable state
  (``out_valid`` and ``acc_out`` after every rising edge): latency ``PIPE + 1``, bubbles,
  ``acc_clear`` travelling with its beat, and ``rst``.

Conventions: accumulator values are unsigned ints in ``[0, 2**ACC_W)`` exactly as they
appear on the ``acc_out`` bus; use :func:`to_signed` to read them as two's complement.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence


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


def operand(value: int, in_w: int, signed: bool) -> int:
    """The number the hardware sees for an IN_W-bit operand lane holding ``value``'s bits."""
    return to_signed(value, in_w) if signed else wrap(value, in_w)


def operand_range(in_w: int, signed: bool) -> tuple[int, int]:
    """Inclusive (min, max) of an IN_W-bit operand."""
    return (-(1 << (in_w - 1)), (1 << (in_w - 1)) - 1) if signed else (0, mask(in_w))


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


def dot(a: Sequence[int], b: Sequence[int], *, in_w: int, acc_w: int, signed: bool) -> int:
    """Bit-accurate ``sum_k a[k] * b[k]`` modulo ``2**acc_w`` (raw unsigned)."""
    if len(a) != len(b):
        raise ValueError(f"dot: a has {len(a)} lanes but b has {len(b)}")
    return wrap(sum(operand(x, in_w, signed) * operand(y, in_w, signed) for x, y in zip(a, b)),
                acc_w)


def accumulate(beats: Iterable[tuple[Sequence[int], Sequence[int], bool]], *, in_w: int,
               acc_w: int, signed: bool, acc0: int = 0) -> list[int]:
    """Accumulator value after each beat ``(a, b, acc_clear)``, starting from ``acc0``.

    A beat with ``acc_clear`` replaces the accumulator with its dot product, any other
    beat adds its dot product (modulo ``2**acc_w``).
    """
    acc = wrap(acc0, acc_w)
    out = []
    for a, b, clear in beats:
        acc = wrap((0 if clear else acc) + dot(a, b, in_w=in_w, acc_w=acc_w, signed=signed), acc_w)
        out.append(acc)
    return out


@dataclass
class _Beat:
    age: int            # rising edges since the one that accepted the beat
    dot: int            # its dot product (raw, modulo 2**ACC_W)
    clear: bool         # its acc_clear


@dataclass
class DotProductModel:
    """Cycle-accurate model: call :meth:`tick` once per rising edge with the sampled inputs.

    After each tick, :attr:`acc` and :attr:`out_valid` equal what the RTL shows on
    ``acc_out`` / ``out_valid`` in the cycle after the same edge.
    """

    lanes: int
    in_w: int
    acc_w: int
    signed: bool
    pipe: int
    acc: int = field(init=False, default=0)
    out_valid: bool = field(init=False, default=False)
    _pending: list[_Beat] = field(init=False, default_factory=list)

    @classmethod
    def from_params(cls, params: dict) -> "DotProductModel":
        """Build a model from a generator parameter dict (LANES, IN_W, ACC_W, SIGNED, PIPE)."""
        return cls(params["LANES"], params["IN_W"], params["ACC_W"], bool(params["SIGNED"]),
                   params["PIPE"])

    @property
    def latency(self) -> int:
        """A beat presented in cycle n updates ``acc_out`` (out_valid=1) in cycle n + latency."""
        return self.pipe + 1

    @property
    def in_flight(self) -> int:
        """Beats accepted whose result has not reached ``acc_out`` yet."""
        return len(self._pending)

    def reset(self) -> None:
        """State after ``rst``: accumulator zero, nothing in flight, out_valid low."""
        self.acc = 0
        self.out_valid = False
        self._pending = []

    def tick(self, *, rst: bool = False, in_valid: bool = False, a: Sequence[int] | None = None,
             b: Sequence[int] | None = None, acc_clear: bool = False) -> None:
        """Advance one rising edge with the given sampled inputs.

        ``a``/``b`` (LANES values each) and ``acc_clear`` are only read when ``in_valid``.
        """
        if rst:
            self.reset()
            return
        for beat in self._pending:
            beat.age += 1
        if in_valid:
            if a is None or b is None or len(a) != self.lanes or len(b) != self.lanes:
                raise ValueError(f"tick: a valid beat needs {self.lanes} a and b values")
            self._pending.append(_Beat(0, dot(a, b, in_w=self.in_w, acc_w=self.acc_w,
                                              signed=self.signed), bool(acc_clear)))
        self.out_valid = False
        # the beat accepted at this edge (age 0) is out after it when PIPE = 0
        if self._pending and self._pending[0].age == self.pipe:
            beat = self._pending.pop(0)
            self.acc = wrap((0 if beat.clear else self.acc) + beat.dot, self.acc_w)
            self.out_valid = True
