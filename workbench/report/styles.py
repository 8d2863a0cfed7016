"""Figure style for the reports: matplotlib defaults, and one look per model on a page.

:func:`setup` sets the figure defaults (inline PNG, concise date axes); :func:`model_styles`
gives each model a colour, line style and marker that it keeps in every figure of a page, and
:func:`bar_style` the same look for bars; :func:`fan_chart` draws a quantile forecast.
"""

from __future__ import annotations

from collections.abc import Iterable

import matplotlib
import matplotlib.pyplot as plt
import polars as pl
from matplotlib.colors import to_hex

from workbench.report.axes import date_axis

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]

# Twenty qualitative colours: tab10, then the lighter partner of each (tab20's odd entries).
MODEL_COLOURS = [to_hex(c) for c in (*plt.get_cmap("tab20").colors[0::2], *plt.get_cmap("tab20").colors[1::2])]
LINESTYLES = ["-", "--", "-.", ":"]
MARKERS = ["o", "s", "^", "D", "v", "P"]
HATCHES = {"-": None, "--": "//", "-.": "..", ":": "xx"}


def setup() -> None:
    """Figure defaults for the reports (inline PNG, so the HTML carries its figures)."""
    plt.rcParams.update(
        {
            "figure.figsize": (10, 4),
            "figure.dpi": 100,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
            "font.size": 10,
            "date.converter": "concise",  # every date axis: few ticks, no repeated year, no overlap
        }
    )
    try:  # inside a kernel: PNG output, embedded in the HTML by nbconvert
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    except ImportError:  # pragma: no cover
        pass


def model_styles(names: Iterable[str]) -> dict[str, dict[str, str]]:
    """A distinct ``color``, ``linestyle`` and ``marker`` for each name, in the order given.

    Call it once per page with every model the page shows (e.g. the leaderboard's order) and
    pass ``**styles[name]`` to ``ax.plot``: a model then keeps its look from figure to figure.
    The first ten get tab10's colours, solid lines and circles; the next ten the lighter partner
    colours, dashed lines and squares; beyond twenty the colours repeat with other line styles
    and markers, so no two names look alike.
    """
    out: dict[str, dict[str, str]] = {}
    for k, name in enumerate(dict.fromkeys(names)):
        group = k // 10
        out[name] = {"color": MODEL_COLOURS[k % len(MODEL_COLOURS)],
                     "linestyle": LINESTYLES[group % len(LINESTYLES)],
                     "marker": MARKERS[group % len(MARKERS)]}
    return out


def bar_style(style: dict[str, str]) -> dict:
    """The bar-chart form of a :func:`model_styles` entry: its colour, hatched where its line is not solid."""
    hatch = HATCHES.get(style.get("linestyle", "-"))
    return {"color": style["color"], **({"hatch": hatch, "edgecolor": "#555555", "linewidth": 0} if hatch else {})}


def fan_chart(ax, history: pl.DataFrame, forecast: pl.DataFrame, actual: pl.DataFrame | None, title: str,
              bands: tuple[tuple[str, str], ...] = (("q05", "q95"), ("q25", "q75")), color: str = PALETTE[0],
              unit: str = "units per period", legend: bool = True) -> None:
    """History, the mean forecast and its quantile bands (outer band lighter), actuals after the cutoff;
    ``color`` is the model's colour (see :func:`model_styles`)."""
    ax.plot(history["date"], history["demand"], color="#333333", lw=0.9, label="history")
    for alpha, (lo, hi) in zip((0.18, 0.35), bands, strict=False):
        if lo in forecast.columns and hi in forecast.columns:
            ax.fill_between(forecast["date"], forecast[lo], forecast[hi], alpha=alpha, color=color,
                            label=f"{lo}–{hi} band")
    ax.plot(forecast["date"], forecast["mean"], color=color, lw=1.5, label="forecast (mean)")
    if actual is not None:
        ax.plot(actual["date"], actual["demand"], color="black", lw=1, ls="--", label="actual")
    date_axis(ax, max_ticks=6)
    ax.set_xlabel("date")
    ax.set_ylabel(f"demand ({unit})")
    ax.set_title(title)
    if legend:
        ax.legend(loc="upper left", fontsize=7)
