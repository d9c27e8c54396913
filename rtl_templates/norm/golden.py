"""Bit-accurate Python golden model of the ``norm`` unit (LayerNorm / RMSNorm).

Pure Python, no third-party dependencies. A vector of ``N`` signed ``IN_W``-bit integers
``x`` (any fixed-point format: the result does not depend on it, only ``EPS`` does) becomes

    layer: y_i = (x_i - mean) / sqrt(var + eps) * gamma_i + beta_i
    rms:   y_i =  x_i         / sqrt(mean(x^2) + eps) * gamma_i

with ``y``, ``gamma`` and ``beta`` signed ``OUT_W``-bit numbers in one fixed-point format
(its binary point cancels out of ``y = z*gamma + beta``, so it is no parameter), and
``eps = EPS`` input LSB^2.

Exact integer reformulation (valid for any N, no division by N anywhere):

    S1 = sum x_i,  S2 = sum x_i^2
    layer: c_i = N*x_i - S1,  V = N*S2 - S1^2       (V = N^2 * variance)
    rms:   c_i = N*x_i,       V = N*S2              (V = N^2 * mean square)
    W = V + N^2*EPS,          z_i = c_i / sqrt(W)   (exactly the normalised value)

The hardware computes ``1/sqrt(W)`` as ``r * 2^(s - X)`` where ``s`` normalises ``W`` to the
top of a ``WB``-bit word, the top ``M`` bits of that word (``Wt``) feed an exact bit-serial
inverse square root ``r = floor(2^K / sqrt(Wt))`` (``RB+1``-bit result), then

    z_i  = round(c_i * r / 2^sh)              sh = K + (WB-M)/2 - ZF - s   (ZF frac bits)
    y_i  = sat(round(z_i * gamma_i / 2^ZF) + beta_i)                      (OUT_W bits)

with "round" = round half up (floor(v + 1/2)) and "sat" clamping to the OUT_W range.

* :func:`derive` -- every constant and width for a parameter set.
* :func:`normalize` -- the bit-exact output vector; :func:`reference` -- the float64 value
  of the same formula; :func:`error_bound_lsb` -- the a-priori per-element error bound.
* :func:`latency` -- cycles from the last input beat to the first output beat.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

MODES = ("layer", "rms")
#: register stages of the output datapath (c, c*r, z, z*gamma, y)
OUT_STAGES = 5
#: cycles between the last input beat and the first rsqrt iteration (W, then normalise)
PRE_STAGES = 2


def mask(width: int) -> int:
    return (1 << width) - 1


def to_signed(value: int, width: int) -> int:
    value &= mask(width)
    return value - (1 << width) if value >> (width - 1) else value


def pack_lanes(values: Sequence[int], width: int) -> int:
    raw = 0
    for n, v in enumerate(values):
        raw |= (v & mask(width)) << (n * width)
    return raw


def unpack_lanes(raw: int, count: int, width: int) -> list[int]:
    return [to_signed(raw >> (n * width), width) for n in range(count)]


def signed_width(lo: int, hi: int) -> int:
    """Bits of the smallest two's-complement type holding ``lo..hi`` (>= 2)."""
    w = 2
    while not (-(1 << (w - 1)) <= lo and hi < (1 << (w - 1))):
        w += 1
    return w


@dataclass(frozen=True)
class Derived:
    """Every constant of one parameter set (README, "Numeric method")."""

    mode: str
    n: int
    lanes: int
    in_w: int
    out_w: int
    eps: int
    beats: int       # N / LANES
    s1_w: int        # signed width of S1
    s2_w: int        # unsigned width of S2
    c_w: int         # signed width of c_i
    wb: int          # even width W is normalised in
    m: int           # even width of the truncated mantissa Wt
    rb: int          # r has RB+1 bits, r in [2^(RB-1), 2^RB]
    k: int           # r = floor(2^K / sqrt(Wt))
    zf: int          # fractional bits of z
    z_w: int         # signed width of z
    s_max: int       # largest normalisation shift s (W >= N^2*EPS)
    rsq_w: int       # width of the bit-serial rsqrt registers

    @property
    def nne(self) -> int:
        """N^2 * EPS, the epsilon term of W."""
        return self.n * self.n * self.eps

    @property
    def iterations(self) -> int:
        """Bit-serial rsqrt iterations (one per result bit RB..0)."""
        return self.rb + 1

    @property
    def latency(self) -> int:
        """Cycles from the cycle of the last input beat to the cycle of the first output beat."""
        return PRE_STAGES + self.iterations + OUT_STAGES + 1

    @property
    def in_range(self) -> tuple[int, int]:
        return -(1 << (self.in_w - 1)), (1 << (self.in_w - 1)) - 1

    @property
    def out_range(self) -> tuple[int, int]:
        return -(1 << (self.out_w - 1)), (1 << (self.out_w - 1)) - 1


@lru_cache(maxsize=64)
def _derive(mode: str, n: int, lanes: int, in_w: int, out_w: int, eps: int) -> Derived:
    xmin, xmax = -(1 << (in_w - 1)), (1 << (in_w - 1)) - 1
    s1_w = signed_width(n * xmin, n * xmax)
    s2_w = (n * xmin * xmin).bit_length()
    if mode == "layer":
        c_w = signed_width(n * xmin - n * xmax, n * xmax - n * xmin)
    else:
        c_w = signed_width(n * xmin, n * xmax)
    w_max = n * n * xmin * xmin + n * n * eps          # V <= N*S2 <= N^2 * 2^(2*IN_W-2)
    wb = w_max.bit_length() + (w_max.bit_length() & 1)
    rb = out_w + 3
    m = min(wb, 2 * rb)
    k = m // 2 + rb - 1
    zf = out_w
    z_w = (math.isqrt(n) + 1).bit_length() + zf + 2
    s_max = (wb - (n * n * eps).bit_length()) // 2
    rsq_w = 2 * k + 3          # rem <= 2^(2K); QS, WS < 2^(2K+2); QS+WS < 2^(2K+3)
    return Derived(mode=mode, n=n, lanes=lanes, in_w=in_w, out_w=out_w, eps=eps, beats=n // lanes, s1_w=s1_w, s2_w=s2_w, c_w=c_w, wb=wb, m=m, rb=rb,
                   k=k, zf=zf, z_w=z_w, s_max=s_max, rsq_w=rsq_w)


def derive(params: Mapping[str, object]) -> Derived:
    """All constants for a (validated) parameter dict."""
    g = params.get
    return _derive(str(g("MODE")), int(g("N")), int(g("LANES")), int(g("IN_W")),  # type: ignore[arg-type]
                   int(g("OUT_W")), int(g("EPS")))  # type: ignore[arg-type]


def latency(params: Mapping[str, object]) -> int:
    return derive(params).latency


# ------------------------------------------------------------------------------ arithmetic
def statistics(d: Derived, xs: Sequence[int]) -> tuple[int, int, int]:
    """(S1, S2, W) of one vector."""
    s1 = sum(xs)
    s2 = sum(x * x for x in xs)
    v = d.n * s2 - (s1 * s1 if d.mode == "layer" else 0)
    return s1, s2, v + d.nne


def normalise_shift(d: Derived, w: int) -> tuple[int, int]:
    """(s, Wt): the largest s with W * 4^s < 2^WB, and the top M bits of W * 4^s."""
    if not 0 < w < 1 << d.wb:
        raise ValueError(f"W={w} outside 1..2^{d.wb}-1")
    s = (d.wb - w.bit_length()) // 2
    wn = w << (2 * s)
    return s, wn >> (d.wb - d.m)


def rsqrt_bitserial(d: Derived, wt: int) -> int:
    """``floor(2^K / sqrt(Wt))`` the way the hardware finds it: one result bit per step,
    from bit RB down to 0, keeping only shifted sums (no multiplier).

    Invariant before the step for bit j: D = 2^(2K) - r^2*Wt >= 0, QS = r*Wt*2^(j+1),
    WS = Wt*4^j. Setting bit j adds (2*r*2^j + 4^j)*Wt = QS + WS to r^2*Wt.
    """
    rem = 1 << (2 * d.k)
    qs = 0
    ws = wt << (2 * d.rb)
    r = 0
    for j in range(d.rb, -1, -1):
        trial = qs + ws
        if trial <= rem:
            rem -= trial
            r |= 1 << j
            qs = (qs >> 1) + ws
        else:
            qs >>= 1
        ws >>= 2
    return r


def inv_sqrt(d: Derived, w: int) -> tuple[int, int]:
    """(r, s) with 1/sqrt(W) ~= r * 2^(s - K - (WB-M)/2)."""
    s, wt = normalise_shift(d, w)
    r = rsqrt_bitserial(d, wt)
    assert r == math.isqrt((1 << (2 * d.k)) // wt), "bit-serial rsqrt disagrees with its definition"
    return r, s


def _round_shift(v: int, sh: int) -> int:
    """floor(v / 2^sh + 1/2) for sh >= 1 (round half up, arithmetic)."""
    return ((v >> (sh - 1)) + 1) >> 1


def normalize(d: Derived, xs: Sequence[int], gammas: Sequence[int],
              betas: Sequence[int] | None = None) -> list[int]:
    """The bit-exact output vector (output codes) for input codes ``xs`` and per-element
    ``gammas`` / ``betas`` (output-format codes; betas ignored, may be None, in rms mode)."""
    if len(xs) != d.n or len(gammas) != d.n or (d.mode == "layer" and len(betas or ()) != d.n):
        raise ValueError(f"normalize: need N={d.n} inputs, gammas{' and betas' * (d.mode == 'layer')}")
    lo, hi = d.out_range
    s1, _, w = statistics(d, xs)
    r, s = inv_sqrt(d, w)
    sh = d.k + (d.wb - d.m) // 2 - d.zf - s
    out = []
    for i, x in enumerate(xs):
        c = d.n * x - (s1 if d.mode == "layer" else 0)
        z = _round_shift(c * r, sh)
        assert -(1 << (d.z_w - 1)) <= z < 1 << (d.z_w - 1), "z overflows its register"
        y = _round_shift(z * gammas[i], d.zf) + (betas[i] if d.mode == "layer" and betas else 0)
        out.append(min(hi, max(lo, y)))
    return out


def reference(d: Derived, xs: Sequence[int], gammas: Sequence[int],
              betas: Sequence[int] | None = None) -> list[float]:
    """The exact formula in float64, in output codes (no rounding, no saturation)."""
    n = d.n
    mean = sum(xs) / n if d.mode == "layer" else 0.0
    var = sum((x - mean) ** 2 for x in xs) / n          # mean square when mean = 0
    inv = 1.0 / math.sqrt(var + d.eps)
    beta = betas if d.mode == "layer" and betas else [0] * n
    return [(x - mean) * inv * g + b for x, g, b in zip(xs, gammas, beta)]


def error_bound_lsb(d: Derived, xs: Sequence[int], gammas: Sequence[int]) -> list[float]:
    """Per-element a-priori bound on |y - reference| in output LSBs, valid wherever the
    reference lies inside the output range (README, "Error bound"):
    0.5 + |gamma| * (|z| * delta + 2^-(ZF+1)), delta = max(2^-(RB-1), 2^-(M-1) if M < WB)."""
    delta = 2.0 ** -(d.rb - 1)
    if d.m < d.wb:
        delta = max(delta, 2.0 ** -(d.m - 1))
    n = d.n
    mean = sum(xs) / n if d.mode == "layer" else 0.0
    var = sum((x - mean) ** 2 for x in xs) / n
    inv = 1.0 / math.sqrt(var + d.eps)
    # 1e-9 relative slack covers float64 rounding of the reference itself
    return [0.5 + abs(g) * (abs((x - mean) * inv) * delta + 2.0 ** -(d.zf + 1)) + 1e-9
            for x, g in zip(xs, gammas)]
