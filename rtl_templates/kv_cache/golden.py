"""Bit-accurate and cycle-accurate Python golden model of the ``kv_cache`` controller.

Pure Python, no third-party dependencies. Two levels:

* :class:`KVCache` -- the functional spec: one ring buffer (a bounded deque) of stored
  words per head, ``append`` / ``read`` / ``clear``, reads addressed relative to the oldest
  valid entry, with the error rule.
* :class:`KVCacheModel` -- a cycle-accurate model of the RTL's ports: ``req_ready`` (a
  function of ``rsp_ready`` in the same cycle), the ``READ_LAT``-deep response pipeline
  that stalls as a whole under back-pressure, and synchronous ``rst``.

Data conventions: a stored *word* is the packed ``D*BITS``-bit value exactly as it appears
on ``req_data`` (element ``i`` at bits ``[i*BITS +: BITS]``; for INT4, element ``2k`` is the
low nibble of byte ``k``). A *response* is the ``D*8``-bit ``rsp_data`` value, one signed
8-bit lane per element (INT4 sign-extended), all zeros on error.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Sequence

OP_READ, OP_APPEND, OP_CLEAR, OP_NOP = 0, 1, 2, 3
OP_NAMES = {OP_READ: "READ", OP_APPEND: "APPEND", OP_CLEAR: "CLEAR", OP_NOP: "NOP"}


def mask(width: int) -> int:
    """All-ones mask of ``width`` bits."""
    return (1 << width) - 1


def to_signed(value: int, width: int) -> int:
    """Interpret the low ``width`` bits of ``value`` as a two's-complement number."""
    value &= mask(width)
    return value - (1 << width) if value >> (width - 1) else value


def elem_range(bits: int) -> tuple[int, int]:
    """Inclusive (min, max) of a BITS-bit two's-complement element."""
    return -(1 << (bits - 1)), (1 << (bits - 1)) - 1


def pack_word(elems: Sequence[int], bits: int) -> int:
    """Pack signed elements into a storage word: element ``i`` at ``[i*bits +: bits]``.

    Values are reduced to their ``bits``-bit two's-complement pattern (``-1`` -> ``0xF``
    for INT4). For INT4 this puts element ``2k`` in the low nibble of byte ``k``.
    """
    word = 0
    for i, v in enumerate(elems):
        word |= (v & mask(bits)) << (i * bits)
    return word


def unpack_word(word: int, d: int, bits: int) -> list[int]:
    """The ``d`` signed elements of a storage word (inverse of :func:`pack_word`)."""
    return [to_signed(word >> (i * bits), bits) for i in range(d)]


def pack_lanes8(values: Sequence[int]) -> int:
    """Pack signed values into 8-bit lanes (the ``rsp_data`` layout): lane ``i`` at ``[i*8 +: 8]``."""
    return pack_word(values, 8)


def unpack_lanes8(raw: int, d: int) -> list[int]:
    """Split ``rsp_data`` into ``d`` signed 8-bit lanes."""
    return unpack_word(raw, d, 8)


def rsp_data_of(word: int, d: int, bits: int) -> int:
    """The ``rsp_data`` value for a stored word: every element sign-extended to 8 bits."""
    return pack_lanes8(unpack_word(word, d, bits))


@dataclass(frozen=True)
class Response:
    """One read response as it appears on ``rsp_err`` / ``rsp_data``."""

    err: bool
    data: int           # rsp_data (D x 8-bit lanes); 0 when err
    head: int = 0       # the request it answers (for messages only)
    pos: int = 0

    def same_outputs(self, other: "Response") -> bool:
        return self.err == other.err and self.data == other.data


class KVCache:
    """Functional model: HEADS ring buffers of MAX_POS stored words.

    ``read(head, pos)``: pos 0 is the oldest valid entry, ``len(head)-1`` the newest.
    """

    def __init__(self, heads: int, max_pos: int, d: int, bits: int) -> None:
        if bits not in (4, 8):
            raise ValueError(f"bits must be 4 or 8, got {bits}")
        self.heads, self.max_pos, self.d, self.bits = heads, max_pos, d, bits
        self.rings: list[deque[int]] = [deque(maxlen=max_pos) for _ in range(heads)]

    def reset(self) -> None:
        for ring in self.rings:
            ring.clear()

    def length(self, head: int) -> int:
        return len(self.rings[head]) if 0 <= head < self.heads else 0

    def append(self, head: int, word: int) -> None:
        """Store ``word`` (reduced to D*BITS bits) as the newest entry; the oldest drops when full.

        A head outside ``0..HEADS-1`` is ignored.
        """
        if 0 <= head < self.heads:
            self.rings[head].append(word & mask(self.d * self.bits))

    def clear(self, head: int) -> None:
        if 0 <= head < self.heads:
            self.rings[head].clear()

    def read_word(self, head: int, pos: int) -> int | None:
        """The stored word at ``pos`` (0 = oldest), or None for an error."""
        if not 0 <= head < self.heads or not 0 <= pos < len(self.rings[head]):
            return None
        return self.rings[head][pos]

    def read(self, head: int, pos: int) -> Response:
        """The response the hardware gives: error (data 0) or the sign-extended lanes."""
        word = self.read_word(head, pos)
        if word is None:
            return Response(True, 0, head, pos)
        return Response(False, rsp_data_of(word, self.d, self.bits), head, pos)

    def apply(self, op: int, head: int, pos: int, word: int) -> Response | None:
        """Execute one accepted request; returns the response for a READ, else None."""
        if op == OP_READ:
            return self.read(head, pos)
        if op == OP_APPEND:
            self.append(head, word)
        elif op == OP_CLEAR:
            self.clear(head)
        return None


class KVCacheModel:
    """Cycle-accurate model of the ports. Per cycle:

    1. read :meth:`req_ready` (given this cycle's ``rsp_ready``) and :attr:`rsp` (the response
       on ``rsp_*``, or None when ``rsp_valid`` is low);
    2. call :meth:`tick` with the inputs sampled at the rising edge ending the cycle.
    """

    def __init__(self, heads: int, max_pos: int, d: int, bits: int, read_lat: int) -> None:
        if read_lat < 1:
            raise ValueError("read_lat must be >= 1")
        self.cache = KVCache(heads, max_pos, d, bits)
        self.read_lat = read_lat
        self.pipe: list[Response | None] = [None] * read_lat   # pipe[-1] drives rsp_*

    @classmethod
    def from_params(cls, params: dict) -> "KVCacheModel":
        return cls(params["HEADS"], params["MAX_POS"], params["D"], params["BITS"], params["READ_LAT"])

    @property
    def rsp(self) -> Response | None:
        return self.pipe[-1]

    @property
    def rsp_valid(self) -> bool:
        return self.pipe[-1] is not None

    def req_ready(self, rsp_ready: bool) -> bool:
        """``!rsp_valid || rsp_ready``: the pipeline can move this cycle."""
        return not self.rsp_valid or bool(rsp_ready)

    def reset(self) -> None:
        self.cache.reset()
        self.pipe = [None] * self.read_lat

    def tick(self, *, rst: bool = False, req_valid: bool = False, op: int = OP_NOP, head: int = 0,
             pos: int = 0, data: int = 0, rsp_ready: bool = True) -> bool:
        """Advance one rising edge; returns True when a request was accepted at it."""
        if rst:
            self.reset()
            return False
        if not self.req_ready(rsp_ready):
            return False                      # whole pipeline holds, request not taken
        new = self.cache.apply(op, head, pos, data) if req_valid else None
        self.pipe = [new] + self.pipe[:-1]
        return bool(req_valid)
