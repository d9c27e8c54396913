"""Bit-accurate (and cycle-accurate) Python golden model of the ``sparse_nm`` MAC.

Pure Python, no third-party dependencies. Three levels:

* the N:M format: :func:`compress` (dense group -> N values + positions, canonical
  ascending order) and :func:`decompress` (the inverse, which **rejects** invalid encodings:
  a position outside ``0..M-1`` or a duplicate position within a group);
* :func:`beat_dot` -- what the hardware computes for one beat, slot by slot
  (``sum w[g][s] * x[g][idx[g][s]]``; it is defined for every encoding, duplicates included)
  and :func:`dense_dot` -- the reference dot product on decompressed weights; for a valid
  encoding both agree;
* :class:`SparseNMModel` -- a cycle-accurate model of ``out_valid``/``dot_out`` after every
  rising edge (first/last control, bubbles, the two-edge latency, ``rst``).

Conventions: operand values are read as IN_W-bit two's complement (SIGNED=1) or unsigned;
results are raw unsigned ACC_W-bit patterns as on the ``dot_out`` bus (use
:func:`to_signed` to read them as numbers); every sum wraps modulo ``2**ACC_W``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

#: rising edges from the edge accepting an in_last beat until out_valid is high
LATENCY = 2


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
    """The number the hardware sees for an IN_W-bit operand holding ``value``'s bits."""
    return to_signed(value, in_w) if signed else wrap(value, in_w)


def operand_range(in_w: int, signed: bool) -> tuple[int, int]:
    """Inclusive (min, max) of an IN_W-bit operand."""
    return (-(1 << (in_w - 1)), (1 << (in_w - 1)) - 1) if signed else (0, mask(in_w))


def idx_width(m: int) -> int:
    """Bits of one position index: log2(M)."""
    return (m - 1).bit_length()


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


class EncodingError(ValueError):
    """An N:M encoding that no valid compression produces (bad or duplicate position)."""


def compress(dense: Sequence[int], n: int, m: int) -> tuple[list[int], list[int]]:
    """Compress dense weights (a multiple of M long) into N values + N positions per group.

    Canonical form: per group, the nonzero positions in ascending order, padded with
    weight-0 slots at the lowest unused positions and then re-sorted, so positions are
    strictly ascending. Raises :class:`EncodingError` if a group has more than N nonzeros.
    """
    if len(dense) % m:
        raise EncodingError(f"compress: {len(dense)} weights is not a whole number of groups of M={m}")
    values: list[int] = []
    positions: list[int] = []
    for g in range(len(dense) // m):
        group = dense[g * m:(g + 1) * m]
        nz = [j for j, v in enumerate(group) if v != 0]
        if len(nz) > n:
            raise EncodingError(f"compress: group {g} has {len(nz)} nonzeros, more than N={n}")
        pads = [j for j in range(m) if j not in nz][:n - len(nz)]
        for j in sorted(nz + pads):
            values.append(group[j])
            positions.append(j)
    return values, positions


def check_encoding(positions: Sequence[int], n: int, m: int) -> None:
    """Raise :class:`EncodingError` unless every group's N positions are distinct and < M."""
    if len(positions) % n:
        raise EncodingError(f"{len(positions)} positions is not a whole number of groups of N={n}")
    for g in range(len(positions) // n):
        group = list(positions[g * n:(g + 1) * n])
        bad = [p for p in group if not 0 <= p < m]
        if bad:
            raise EncodingError(f"group {g}: position(s) {bad} outside 0..{m - 1}")
        if len(set(group)) != len(group):
            raise EncodingError(f"group {g}: duplicate position(s) in {group}")


def decompress(values: Sequence[int], positions: Sequence[int], n: int, m: int) -> list[int]:
    """Dense weights (M per group) from N values + positions per group; validates the encoding."""
    if len(values) != len(positions):
        raise EncodingError(f"decompress: {len(values)} values but {len(positions)} positions")
    check_encoding(positions, n, m)
    dense = [0] * (len(values) // n * m)
    for k, (v, p) in enumerate(zip(values, positions)):
        dense[(k // n) * m + p] = v
    return dense


def dense_dot(w: Sequence[int], x: Sequence[int], *, in_w: int, acc_w: int, signed: bool) -> int:
    """Reference dot product of equally long dense vectors, wrapped to ACC_W bits."""
    if len(w) != len(x):
        raise ValueError(f"dense_dot: {len(w)} weights but {len(x)} activations")
    return wrap(sum(operand(a, in_w, signed) * operand(b, in_w, signed) for a, b in zip(w, x)), acc_w)


def beat_dot(values: Sequence[int], positions: Sequence[int], x: Sequence[int],
             params: Mapping[str, int]) -> int:
    """The exact (unwrapped) sum one beat adds: ``sum_g sum_s w[g][s] * x[g][idx[g][s]]``.

    Defined for every encoding: a duplicate position uses its activation once per slot.
    Positions are reduced to their log2(M)-bit pattern, as on the bus.
    """
    n, m, lanes = params["N"], params["M"], params["LANES"]
    in_w, signed = params["IN_W"], bool(params["SIGNED"])
    if len(values) != lanes * n or len(positions) != lanes * n or len(x) != lanes * m:
        raise ValueError(f"beat_dot: need {lanes * n} values/positions and {lanes * m} activations")
    total = 0
    for k, (v, p) in enumerate(zip(values, positions)):
        g = k // n
        total += operand(v, in_w, signed) * operand(x[g * m + wrap(p, idx_width(m))], in_w, signed)
    return total


@dataclass
class _InFlight:
    age: int            # rising edges since the edge that accepted the beat
    total: int          # the beat's exact product sum
    first: bool
    last: bool


@dataclass
class SparseNMModel:
    """Cycle-accurate model: call :meth:`tick` once per rising edge with the sampled inputs.

    After each tick, :attr:`out_valid` and :attr:`dot_out` (raw ACC_W bits) equal what the
    RTL shows after the same edge.
    """

    params: Mapping[str, int]
    out_valid: bool = field(init=False, default=False)
    dot_out: int = field(init=False, default=0)
    acc: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.acc_w = self.params["ACC_W"]
        self.reset()

    @property
    def latency(self) -> int:
        return LATENCY

    def reset(self) -> None:
        """State after ``rst``: accumulator 0, nothing in flight, outputs 0."""
        self.acc = 0
        self.out_valid = False
        self.dot_out = 0
        self._flight: list[_InFlight] = []

    def tick(self, *, rst: bool = False, in_valid: bool = False, first: bool = False,
             last: bool = False, values: Sequence[int] | None = None,
             positions: Sequence[int] | None = None, x: Sequence[int] | None = None) -> None:
        """Advance one rising edge; the beat's fields are read only when ``in_valid``."""
        if rst:
            self.reset()
            return
        self.out_valid = False
        for beat in self._flight:
            beat.age += 1
        # The accumulator register takes a beat LATENCY edges after its acceptance
        # (the hardware registers the products, then their sum, then accumulates).
        for beat in self._flight:
            if beat.age == LATENCY:
                self.acc = wrap((0 if beat.first else self.acc) + beat.total, self.acc_w)
                if beat.last:
                    self.out_valid = True
                    self.dot_out = self.acc
        self._flight = [b for b in self._flight if b.age < LATENCY]
        if in_valid:
            if values is None or positions is None or x is None:
                raise ValueError("tick: a valid beat needs values, positions and activations")
            self._flight.append(_InFlight(0, beat_dot(values, positions, x, self.params), first, last))
