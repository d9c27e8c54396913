"""Bit-accurate (and cycle-accurate) Python golden model of the ``systolic_os`` tile.

Pure Python, no third-party dependencies. Two levels:

* :func:`gemm` -- the functional result: ``C = C0 + A x B`` with operands interpreted as
  IN_W-bit signed/unsigned numbers and the accumulation wrapped modulo ``2**ACC_W``.
* :class:`SystolicOSModel` -- a cycle-accurate model of the RTL's observable state
  (``c_out`` and ``busy`` after every rising edge), including the skew latency, bubbles,
  ``clear`` (zero + flush of in-flight beats) and ``rst``.

Conventions: raw accumulator values are unsigned ints in ``[0, 2**ACC_W)`` exactly as they
appear on the ``c_out`` bus; use :func:`to_signed` to read them as two's complement.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

Matrix = list[list[int]]


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


def pack_c(c: Matrix, acc_w: int) -> int:
    """Pack a ROWS x COLS matrix onto ``c_out``: element (i,j) at ``[(i*COLS+j)*ACC_W +: ACC_W]``."""
    return pack_lanes([v for row in c for v in row], acc_w)


def unpack_c(raw: int, rows: int, cols: int, acc_w: int, signed: bool = False) -> Matrix:
    """Split a ``c_out`` value into a ROWS x COLS matrix (raw unsigned unless ``signed``)."""
    flat = unpack_lanes(raw, rows * cols, acc_w, signed)
    return [flat[i * cols:(i + 1) * cols] for i in range(rows)]


def gemm(a: Sequence[Sequence[int]], b: Sequence[Sequence[int]], *, in_w: int, acc_w: int,
         signed: bool, c0: Sequence[Sequence[int]] | None = None) -> Matrix:
    """Bit-accurate ``C0 + A x B`` as the tile computes it.

    ``a`` is ROWS x K, ``b`` is K x COLS (K may be 0). Operands are reduced to their IN_W-bit
    pattern and read as signed/unsigned; every product is exact; the sum is wrapped modulo
    ``2**acc_w``. Returns raw unsigned accumulator values.
    """
    rows = len(a)
    k = len(a[0]) if rows else 0
    if any(len(r) != k for r in a):
        raise ValueError("gemm: A rows have different lengths")
    if len(b) != k:
        raise ValueError(f"gemm: A is {rows}x{k} but B has {len(b)} rows")
    cols = len(b[0]) if k else (len(c0[0]) if c0 else 0)
    if any(len(r) != cols for r in b):
        raise ValueError("gemm: B rows have different lengths")
    out: Matrix = []
    for i in range(rows):
        row = []
        for j in range(cols):
            total = c0[i][j] if c0 is not None else 0
            for kk in range(k):
                total += operand(a[i][kk], in_w, signed) * operand(b[kk][j], in_w, signed)
            row.append(wrap(total, acc_w))
        out.append(row)
    return out


@dataclass
class _Beat:
    age: int            # rising edges since the edge that accepted the beat
    a: list[int]        # interpreted operand values, ROWS lanes
    b: list[int]        # interpreted operand values, COLS lanes


@dataclass
class SystolicOSModel:
    """Cycle-accurate model: call :meth:`tick` once per rising edge with the sampled inputs.

    After each tick, :attr:`acc` / :meth:`c_out` / :attr:`busy` equal what the RTL shows
    after the same edge, and :attr:`target` is the result the tile will hold once drained
    (all accepted beats accumulated).
    """

    rows: int
    cols: int
    in_w: int
    acc_w: int
    signed: bool
    acc: Matrix = field(init=False)
    target: Matrix = field(init=False)
    _pending: list[_Beat] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.reset()

    @classmethod
    def from_params(cls, params: dict) -> "SystolicOSModel":
        """Build a model from a generator parameter dict (ROWS, COLS, IN_W, ACC_W, SIGNED)."""
        return cls(params["ROWS"], params["COLS"], params["IN_W"], params["ACC_W"],
                   bool(params["SIGNED"]))

    @property
    def latency(self) -> int:
        """Edges from acceptance of a beat until every PE has accumulated it."""
        return self.rows + self.cols - 1

    @property
    def busy(self) -> bool:
        """True while an accepted beat has not reached every PE."""
        return bool(self._pending)

    def _zeros(self) -> Matrix:
        return [[0] * self.cols for _ in range(self.rows)]

    def reset(self) -> None:
        """State after ``rst``: accumulators zero, nothing in flight."""
        self.acc = self._zeros()
        self.target = self._zeros()
        self._pending = []

    def tick(self, *, rst: bool = False, clear: bool = False, in_valid: bool = False,
             a_col: Sequence[int] | None = None, b_row: Sequence[int] | None = None) -> None:
        """Advance one rising edge with the given sampled inputs.

        ``a_col`` (ROWS values) and ``b_row`` (COLS values) are only read when ``in_valid``.
        """
        if rst:
            self.reset()
            return
        if clear:
            # Zero wins over any accumulation due at this edge; in-flight beats are dropped.
            self.acc = self._zeros()
            self.target = self._zeros()
            self._pending = []
        else:
            still: list[_Beat] = []
            for beat in self._pending:
                beat.age += 1
                diag = beat.age - 1            # PE(i,j) with i+j == age-1 accumulates now
                for i in range(max(0, diag - self.cols + 1), min(self.rows - 1, diag) + 1):
                    j = diag - i
                    self.acc[i][j] = wrap(self.acc[i][j] + beat.a[i] * beat.b[j], self.acc_w)
                if beat.age < self.latency:
                    still.append(beat)
            self._pending = still
        if in_valid:
            if a_col is None or b_row is None or len(a_col) != self.rows or len(b_row) != self.cols:
                raise ValueError(f"tick: a valid beat needs {self.rows} A and {self.cols} B values")
            a = [operand(v, self.in_w, self.signed) for v in a_col]
            b = [operand(v, self.in_w, self.signed) for v in b_row]
            self._pending.append(_Beat(0, a, b))
            for i in range(self.rows):
                for j in range(self.cols):
                    self.target[i][j] = wrap(self.target[i][j] + a[i] * b[j], self.acc_w)

    def c_out(self) -> int:
        """The packed ``c_out`` bus value after the last tick."""
        return pack_c(self.acc, self.acc_w)
