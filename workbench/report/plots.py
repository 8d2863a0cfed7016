"""Plot helpers shared by the notebooks: one style, figures a reviewer can read in HTML."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import polars as pl

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


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
        }
    )
    try:  # inside a kernel: PNG output, embedded in the HTML by nbconvert
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        set_matplotlib_formats("png")
    except ImportError:  # pragma: no cover
        pass


def fan_chart(ax, history: pl.DataFrame, forecast: pl.DataFrame, actual: pl.DataFrame | None, title: str,
              bands: tuple[tuple[str, str], ...] = (("q05", "q95"), ("q25", "q75"))) -> None:
    """History, forecast median/mean and quantile bands (outer band lighter), actuals after the cutoff."""
    ax.plot(history["date"], history["demand"], color="#444444", lw=1, label="history")
    for alpha, (lo, hi) in zip((0.18, 0.35), bands, strict=False):
        if lo in forecast.columns and hi in forecast.columns:
            ax.fill_between(forecast["date"], forecast[lo], forecast[hi], alpha=alpha, color=PALETTE[0],
                            label=f"{lo}-{hi}")
    ax.plot(forecast["date"], forecast["mean"], color=PALETTE[0], lw=1.5, label="forecast")
    if actual is not None:
        ax.plot(actual["date"], actual["demand"], color=PALETTE[3], lw=1, ls="--", label="actual")
    ax.set_title(title)
    ax.legend(loc="upper left", fontsize=8)


def show(frame: pl.DataFrame, digits: int = 3, max_rows: int = 40) -> None:
    """Display a table for the HTML report: no dtype row, no quotes, rounded numbers."""
    from IPython.display import display

    pdf = frame.head(max_rows).to_pandas()
    styler = pdf.style.format(precision=digits, thousands=",").hide(axis="index")
    display(styler)
    if frame.height > max_rows:
        from IPython.display import Markdown

        display(Markdown(f"*{max_rows} of {frame.height:,} rows shown.*"))
