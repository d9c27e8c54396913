"""PNG figures for design reports: a waveform of one simulation, a Pareto plot of a DSE.

matplotlib with the Agg backend (no display); imported lazily so the CLI stays fast.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

from rtlsmith.eda_tools.parsers.vcd import Vcd, parse_vcd

_CLOCKS = ("clk", "clock", "aclk", "i_clk")


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _fmt(val: str, width: int) -> str:
    if width == 1 or not val:
        return val
    if any(c in val for c in "xz"):
        return "x"
    n = int(val, 2)
    return f"{n:x}" if n < 16 else f"0x{n:x}"


def render_waveform(vcd_path: Path, png_path: Path, *, cycles: int = 32, signals: Sequence[str] | None = None,
                    title: str = "", max_signals: int = 14, skip_cycles: int = 0) -> Path:
    """Digital waveform of the top scope's ports: clock first, 1-bit signals as traces, buses
    as value-labelled segments, ``cycles`` clock periods from ``skip_cycles``."""
    first = parse_vcd(vcd_path, until_ps=None, max_bytes=2 * 1024 * 1024)
    clk = next((first.signals[c] for c in _CLOCKS if c in first.signals), None)
    period = 10_000.0
    if clk is not None:
        rises = [t for t, v in clk.changes if v == "1"]
        if len(rises) >= 2:
            period = rises[1] - rises[0]
    t0 = skip_cycles * period
    t1 = t0 + cycles * period
    vcd: Vcd = parse_vcd(vcd_path, until_ps=t1)
    names = list(signals) if signals else sorted(
        vcd.signals, key=lambda n: (n not in _CLOCKS, vcd.signals[n].width > 1, n))
    names = [n for n in names if n in vcd.signals][:max_signals]
    plt = _plt()
    fig, ax = plt.subplots(figsize=(min(4 + cycles * 0.45, 22), 0.55 * len(names) + 1.2))
    for row, name in enumerate(names):
        sig = vcd.signals[name]
        y = len(names) - 1 - row
        pts = [(t, v) for t, v in sig.changes if t < t1]
        start_val = sig.value_at(t0) or "x"
        segs = [(t0, start_val)] + [(t, v) for t, v in pts if t > t0] + [(t1, None)]
        for (ta, va), (tb, _vb) in zip(segs, segs[1:]):
            xa, xb = (ta - t0) / period, (tb - t0) / period
            if sig.width == 1:
                level = {"1": 0.8, "0": 0.1}.get(va, 0.45)
                color = "#1f6fb2" if va in ("0", "1") else "#c0392b"
                ax.plot([xa, xb], [y + level, y + level], color=color, lw=1.4)
                ax.plot([xb, xb], [y + 0.1, y + 0.8], color="#1f6fb2", lw=0.6, alpha=0.5)
            else:
                color = "#c0392b" if va and any(c in va for c in "xz") else "#2c3e50"
                ax.plot([xa, xb], [y + 0.8, y + 0.8], color=color, lw=1.0)
                ax.plot([xa, xb], [y + 0.1, y + 0.1], color=color, lw=1.0)
                ax.plot([xa, xa], [y + 0.1, y + 0.8], color=color, lw=0.8)
                if xb - xa > 0.6:
                    label = _fmt(va or "", sig.width)
                    room = int((xb - xa) * 5)
                    ax.text((xa + xb) / 2, y + 0.45, label if len(label) <= room else label[:max(room - 1, 1)] + "…",
                            ha="center", va="center", fontsize=7, family="monospace")
    ax.set_yticks([len(names) - 1 - i + 0.45 for i in range(len(names))])
    ax.set_yticklabels([f"{n}[{vcd.signals[n].width - 1}:0]" if vcd.signals[n].width > 1 else n for n in names],
                       fontsize=8, family="monospace")
    ax.set_xlim(0, cycles)
    ax.set_ylim(-0.2, len(names))
    ax.set_xlabel(f"clock cycles (period {period / 1000:g} ns) from cycle {skip_cycles}")
    ax.grid(axis="x", color="#dddddd", lw=0.5)
    ax.set_xticks(range(0, cycles + 1, max(1, cycles // 16)))
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    png_path = Path(png_path)
    png_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png_path, dpi=110)
    plt.close(fig)
    return png_path


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points no other point beats on both coordinates (both minimised)."""
    front = []
    for i, (a, b) in enumerate(points):
        if not any((c <= a and d <= b) and (c < a or d < b) for j, (c, d) in enumerate(points) if j != i):
            front.append(i)
    return front


def render_pareto(points: Sequence[dict], png_path: Path, *, x: str = "cells", y: str = "latency",
                  chosen: int | None = None, title: str = "", x_limit: float | None = None,
                  y_limit: float | None = None) -> Path:
    """Scatter of DSE points (dicts with keys x, y, 'label', 'feasible'), the Pareto front
    (both axes minimised) as a step line, the chosen point ringed, target limits dashed."""
    plt = _plt()
    ok = [i for i, p in enumerate(points) if p.get(x) is not None and p.get(y) is not None]
    fig, ax = plt.subplots(figsize=(7.5, 5))
    xs = [points[i][x] for i in ok]
    ys = [points[i][y] for i in ok]
    feas = [bool(points[i].get("feasible")) for i in ok]
    ax.scatter([a for a, f in zip(xs, feas) if f], [b for b, f in zip(ys, feas) if f], c="#1f6fb2",
               label="meets targets", zorder=3)
    ax.scatter([a for a, f in zip(xs, feas) if not f], [b for b, f in zip(ys, feas) if not f], c="#c0392b",
               marker="x", label="violates a target", zorder=3)
    front = sorted(pareto_front(list(zip(xs, ys))), key=lambda k: xs[k])
    if front:
        ax.step([xs[k] for k in front], [ys[k] for k in front], where="post", color="#7f8c8d", lw=1,
                ls="-", label="Pareto front", zorder=2)
    for k, i in enumerate(ok):
        ax.annotate(points[i].get("label", ""), (xs[k], ys[k]), textcoords="offset points", xytext=(4, 4),
                    fontsize=7, color="#34495e")
    if chosen is not None and chosen in ok:
        k = ok.index(chosen)
        ax.scatter([xs[k]], [ys[k]], s=260, facecolors="none", edgecolors="#27ae60", linewidths=2,
                   label="chosen", zorder=4)
    if x_limit is not None:
        ax.axvline(x_limit, color="#c0392b", ls="--", lw=1, label=f"{x} limit")
    if y_limit is not None:
        ax.axhline(y_limit, color="#c0392b", ls=":", lw=1, label=f"{y} limit")
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel(y.replace("_", " "))
    ax.grid(color="#eeeeee")
    ax.legend(fontsize=8, loc="best")
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    png_path = Path(png_path)
    png_path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png_path, dpi=110)
    plt.close(fig)
    return png_path
