"""Charts for reports, drawn with matplotlib's Agg backend (no display) in Noto Sans CJK so
that Chinese labels render instead of boxes."""
from __future__ import annotations

import io
import os
import threading
from typing import Sequence

import matplotlib

matplotlib.use("Agg")
from matplotlib import font_manager  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

FONT_PATH = os.environ.get("CHENGYUN_CJK_FONT", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
STATUS_COLOURS = {"green": "#2e9d4d", "yellow": "#e8b400", "red": "#d43c33", "done": "#6b7a8f"}
PALETTE = ["#3a6fb0", "#e07b39", "#5aa469", "#c2464b", "#8e6bb8", "#4aa3a2", "#b49a3a", "#7f7f7f"]

_lock = threading.Lock()
_family: str | None = None


def font_family() -> str:
    """Register the CJK font once and return its family name (falls back to DejaVu Sans)."""
    global _family
    with _lock:
        if _family is None:
            if os.path.exists(FONT_PATH):
                font_manager.fontManager.addfont(FONT_PATH)
                _family = font_manager.FontProperties(fname=FONT_PATH).get_name()
            else:
                _family = "DejaVu Sans"
        return _family


def _axes(width_in: float, height_in: float) -> tuple[Figure, Axes]:
    """A figure of that size at 150 dpi and its one set of axes."""
    fig = Figure(figsize=(width_in, height_in), dpi=150)
    return fig, fig.add_subplot()


def _render(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def _finish(fig: Figure, ax: Axes, title: str, series_count: int) -> bytes:
    """How every chart with axes ends: a legend when there is more than one series, the title and
    tick labels in the CJK font, no top or right frame line, the PNG."""
    family = font_family()
    if series_count > 1:
        ax.legend(prop={"family": family, "size": 9}, frameon=False)
    if title:
        ax.set_title(title, fontfamily=family, fontsize=12)
    for label in ax.get_xticklabels() + ax.get_yticklabels():
        label.set_fontfamily(family)
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    return _render(fig)


def bar_chart(categories: Sequence[str], series: dict[str, Sequence[float]], *, title: str = "", ylabel: str = "",
              stacked: bool = False, colours: dict[str, str] | None = None, horizontal: bool = False,
              width_in: float = 7.0, height_in: float = 3.6) -> bytes:
    """Grouped (or stacked) bars, one group per category, one bar per series."""
    family = font_family()
    fig, ax = _axes(width_in, height_in)
    n = max(len(series), 1)
    positions = list(range(len(categories)))
    bottom = [0.0] * len(categories)
    bar_width = 0.8 if stacked else 0.8 / n
    for i, (name, values) in enumerate(series.items()):
        colour = (colours or {}).get(name, PALETTE[i % len(PALETTE)])
        offsets = positions if stacked else [p - 0.4 + bar_width * (i + 0.5) for p in positions]
        if horizontal:
            ax.barh(offsets, values, height=bar_width, left=bottom if stacked else None, label=name, color=colour)
        else:
            ax.bar(offsets, values, width=bar_width, bottom=bottom if stacked else None, label=name, color=colour)
        if stacked:
            bottom = [b + float(v) for b, v in zip(bottom, values)]
    if horizontal:
        ax.set_yticks(positions, categories)
        ax.invert_yaxis()
        if ylabel:
            ax.set_xlabel(ylabel, fontfamily=family)
    else:
        ax.set_xticks(positions, categories, rotation=30 if max((len(c) for c in categories), default=0) > 4 else 0, ha="right" if max((len(c) for c in categories), default=0) > 4 else "center")
        if ylabel:
            ax.set_ylabel(ylabel, fontfamily=family)
    return _finish(fig, ax, title, len(series))


def pie_chart(labels: Sequence[str], values: Sequence[float], *, title: str = "", colours: Sequence[str] | None = None,
              width_in: float = 4.5, height_in: float = 3.6) -> bytes:
    family = font_family()
    fig, ax = _axes(width_in, height_in)
    shown = [(l, v, c) for l, v, c in zip(labels, values, colours or PALETTE * 4) if v > 0]
    if shown:
        ax.pie([v for _, v, _ in shown], labels=[f"{l} {int(v) if float(v).is_integer() else v}" for l, v, _ in shown],
               colors=[c for _, _, c in shown], startangle=90, counterclock=False,
               textprops={"fontfamily": family, "fontsize": 10}, wedgeprops={"linewidth": 1, "edgecolor": "white"})
    else:
        ax.text(0.5, 0.5, "无数据", ha="center", va="center", fontfamily=family)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontfamily=family, fontsize=12)
    return _render(fig)


def line_chart(x_labels: Sequence[str], series: dict[str, Sequence[float]], *, title: str = "", ylabel: str = "",
               width_in: float = 7.0, height_in: float = 3.4) -> bytes:
    family = font_family()
    fig, ax = _axes(width_in, height_in)
    for i, (name, values) in enumerate(series.items()):
        ax.plot(list(range(len(x_labels))), values, marker="o", markersize=3, label=name, color=PALETTE[i % len(PALETTE)])
    step = max(1, len(x_labels) // 10)
    ax.set_xticks(list(range(0, len(x_labels), step)), [x_labels[i] for i in range(0, len(x_labels), step)])
    if ylabel:
        ax.set_ylabel(ylabel, fontfamily=family)
    return _finish(fig, ax, title, len(series))
