"""Markdown tables for the benchmarks' printed results (run as scripts: ``from tables import markdown``)."""

from __future__ import annotations

import polars as pl


def markdown(frame: pl.DataFrame, digits: int = 2) -> str:
    """``frame`` as a Markdown table, floats with ``digits`` decimals, nulls empty."""
    cols = frame.columns
    rows = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for r in frame.iter_rows():
        rows.append("| " + " | ".join(f"{v:.{digits}f}" if isinstance(v, float) else ("" if v is None else str(v))
                                      for v in r) + " |")
    return "\n".join(rows)
