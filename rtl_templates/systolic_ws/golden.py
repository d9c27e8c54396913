"""Bit-accurate (and cycle-accurate) Python golden model of the ``systolic_ws`` tile.

Pure Python, no third-party dependencies. Two levels:

* :func:`vecmat` / :func:`gemm` -- the functional result: ``y = a x W`` (one vector) or
  ``Y = A x W`` (a matrix, row by row) with operands interpreted as IN_W-bit
  signed/unsigned numbers and every output wrapped modulo ``2**ACC_W``.
* :class:`SystolicWSModel` -- a cycle-accurate model of the RTL's observable behaviour
  (``out_valid`` and ``y_out`` in every cycle), including the weight shift register, the
  fixed latency ``ROWS + COLS``, bubbles and ``rst``; it raises :class:`ProtocolError`
  when the stimulus breaks the interface rule (weights changed while a vector is in flight).

Conventions: output values are unsigned ints in ``[0, 2**ACC_W)`` exactly as they appear
on the ``y_out`` bus; use :func:`to_signed` to read them as two's complement.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

Matrix = list[list[int]]


class ProtocolError(ValueError):
    """The stimulus broke the tile's interface rules (the RTL result would be undefined)."""


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


def vecmat(a: Sequence[int], w: Sequence[Sequence[int]], *, in_w: int, acc_w: int,
           signed: bool) -> list[int]:
    """Bit-accurate ``y[j] = sum_i a[i] * W[i][j]`` as the tile computes it.

    ``a`` has ROWS values, ``w`` is ROWS x COLS. Operands are reduced to their IN_W-bit
    pattern and read as signed/unsigned; products and sums are exact; each ``y[j]`` is
    wrapped modulo ``2**acc_w``. Returns raw unsigned output values.
    """
    rows = len(w)
    if len(a) != rows:
        raise ValueError(f"vecmat: a has {len(a)} values but W has {rows} rows")
    cols = len(w[0]) if rows else 0
    if any(len(r) != cols for r in w):
        raise ValueError("vecmat: W rows have different lengths")
    av = [operand(x, in_w, signed) for x in a]
    return [wrap(sum(av[i] * operand(w[i][j], in_w, signed) for i in range(rows)), acc_w)
            for j in range(cols)]


def gemm(a: Sequence[Sequence[int]], w: Sequence[Sequence[int]], *, in_w: int, acc_w: int,
         signed: bool) -> Matrix:
    """``Y = A x W``: row ``n`` of Y is :func:`vecmat` of row ``n`` of A (N x ROWS)."""
    return [vecmat(row, w, in_w=in_w, acc_w=acc_w, signed=signed) for row in a]


@dataclass
class _Vector:
    age: int            # cycles since the cycle in which the vector was presented
    y: list[int]        # its result (raw output lanes)


@dataclass
class SystolicWSModel:
    """Cycle-accurate model: call :meth:`tick` once per rising edge with the sampled inputs.

    After each tick, :attr:`out_valid` and :attr:`y` equal what the RTL shows in the cycle
    after the same edge (``y`` holds the last result while ``out_valid`` is low; None before
    the first). :attr:`weights` is the stationary matrix W as it stands after the edge.
    """

    rows: int
    cols: int
    in_w: int
    acc_w: int
    signed: bool
    weights: Matrix = field(init=False)
    out_valid: bool = field(init=False, default=False)
    y: list[int] | None = field(init=False, default=None)
    _pending: list[_Vector] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.reset()

    @classmethod
    def from_params(cls, params: dict) -> "SystolicWSModel":
        """Build a model from a generator parameter dict (ROWS, COLS, IN_W, ACC_W, SIGNED)."""
        return cls(params["ROWS"], params["COLS"], params["IN_W"], params["ACC_W"],
                   bool(params["SIGNED"]))

    @property
    def latency(self) -> int:
        """A vector presented in cycle n is output (out_valid=1) in cycle n + latency."""
        return self.rows + self.cols

    @property
    def in_flight(self) -> int:
        """Vectors presented whose result has not been output yet (w_load must stay low)."""
        return len(self._pending)

    def reset(self) -> None:
        """State after ``rst``: weights zero, nothing in flight, out_valid low."""
        self.weights = [[0] * self.cols for _ in range(self.rows)]
        self._pending = []
        self.out_valid = False

    def tick(self, *, rst: bool = False, w_load: bool = False, w_row: Sequence[int] | None = None,
             in_valid: bool = False, a_vec: Sequence[int] | None = None) -> None:
        """Advance one rising edge with the given sampled inputs.

        ``w_row`` (COLS values) is only read when ``w_load``; ``a_vec`` (ROWS values) only
        when ``in_valid``. Raises :class:`ProtocolError` if ``w_load`` is high while a vector
        is in flight, including one presented in the same cycle.
        """
        if rst:
            self.reset()
            return
        for vec in self._pending:
            vec.age += 1
        if in_valid:
            if a_vec is None or len(a_vec) != self.rows:
                raise ValueError(f"tick: a valid vector needs {self.rows} values")
            self._pending.append(_Vector(0, vecmat(a_vec, self.weights, in_w=self.in_w,
                                                   acc_w=self.acc_w, signed=self.signed)))
        if w_load:
            if self._pending:
                raise ProtocolError(f"w_load while {len(self._pending)} vector(s) are in flight: "
                                    "weights must not change until their results are out")
            if w_row is None or len(w_row) != self.cols:
                raise ValueError(f"tick: a weight load needs {self.cols} values")
            row = [wrap(v, self.in_w) for v in w_row]
            self.weights = self.weights[1:] + [row]   # W[i] <= W[i+1], W[ROWS-1] <= w_in
        self.out_valid = False
        # a vector presented in cycle n (age 0 at the edge ending it) is out in cycle n+latency
        if self._pending and self._pending[0].age == self.latency - 1:
            self.y = self._pending.pop(0).y
            self.out_valid = True

    def y_out(self) -> int | None:
        """The packed ``y_out`` bus value after the last tick (None before the first result)."""
        return None if self.y is None else pack_lanes(self.y, self.acc_w)
