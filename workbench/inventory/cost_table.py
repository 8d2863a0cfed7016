"""Costs and lead times per item or per category from a small CSV (``inventory.costs``), for data
that records none (Rossmann, Favorita, Walmart: sales only).

One row per value of ``by`` (a key of the panel or a static column, such as a department), with
any of :data:`COLUMNS`. A value given wins over the data's own and over the defaults of
:mod:`workbench.inventory.economics`; a series whose ``by`` value has no row keeps those. The
file is checked once, before it is used: every error names the file, the column and the row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

# what a cost table may give, per unit (costs, prices, volume) or in periods of the panel (lead time)
COLUMNS = ("lead_time", "unit_cost", "holding_cost", "order_cost", "price", "volume", "case_pack", "moq")


@dataclass(frozen=True)
class CostTable:
    """A checked cost table: ``frame`` has the ``by`` column and some of :data:`COLUMNS`."""

    path: Path
    by: str
    frame: pl.DataFrame

    @property
    def given(self) -> list[str]:
        return [c for c in COLUMNS if c in self.frame.columns]


def read_cost_table(cfg) -> CostTable | None:
    """``inventory.costs`` read and checked; None where no file is set."""
    if cfg.path is None:
        return None
    path = Path(cfg.path)
    where = f"inventory.costs.path={cfg.path}"
    if not cfg.by:
        raise ValueError(f"{where}: inventory.costs.by is not set; expected the key or static column its rows are for")
    if not path.is_file():
        raise ValueError(f"{where}: no such file")
    unknown = set(cfg.columns) - set(COLUMNS)
    if unknown:
        raise ValueError(f"inventory.costs.columns maps {sorted(unknown)}; expected some of {list(COLUMNS)}")
    raw = pl.read_csv(path, infer_schema=False)  # every column as text: numbers are parsed and checked below
    header = {file_col: ours for ours, file_col in cfg.columns.items()}
    missing = [c for c in [cfg.by, *header] if c not in raw.columns]
    if missing:
        raise ValueError(f"{where}: no column(s) {missing}; the file has {raw.columns}")
    frame = raw.rename(header)
    values = [c for c in COLUMNS if c in frame.columns]
    if not values:
        raise ValueError(f"{where}: none of the columns {list(COLUMNS)} (or inventory.costs.columns) is in the file")
    frame = frame.select(cfg.by, *values).with_row_index("row", offset=2)  # row 1 is the header
    dup = frame.filter(pl.col(cfg.by).is_duplicated())
    if dup.height:
        r = dup.row(0, named=True)
        raise ValueError(f"{where}: {cfg.by}={r[cfg.by]!r} has more than one row (rows {dup['row'].to_list()[:5]})")
    numbers = frame.with_columns(pl.col(values).str.strip_chars().cast(pl.Float64, strict=False))
    for col in values:
        bad = numbers.filter(pl.col(col).is_null() | ~pl.col(col).is_finite() | (pl.col(col) < 0)
                             | (((pl.col(col) < 1) | (pl.col(col) % 1 != 0)) if col == "lead_time" else pl.lit(False)))
        if bad.height:
            r = bad.row(0, named=True)
            text = frame.filter(pl.col("row") == r["row"])[col][0]
            need = "a whole number of periods >= 1" if col == "lead_time" else "a number >= 0"
            raise ValueError(f"{where}: column '{col}', row {r['row']} ({cfg.by}={r[cfg.by]!r}) is {text!r}; expected {need}")
    return CostTable(path, cfg.by, numbers.drop("row"))


def apply_cost_table(econ: pl.DataFrame, table: CostTable | None) -> tuple[pl.DataFrame, list[str]]:
    """``econ`` with the table's values in place of its own where the table has a row for the series'
    ``by`` value. Returns the table and a note per fact a reader should know (empty without a table)."""
    if table is None:
        return econ, []
    if table.by not in econ.columns:
        raise ValueError(f"inventory.costs.by={table.by!r} is neither a key nor a static column of the data"
                         f" (columns: {econ.columns})")
    frame = table.frame.with_columns(pl.col(table.by).cast(econ.schema[table.by], strict=False))
    matched = econ.select(table.by).unique().join(frame, on=table.by, how="inner")
    joined = econ.join(frame.rename({c: f"{c}__table" for c in table.given}), on=table.by, how="left")
    for col in table.given:
        here = pl.col(f"{col}__table")
        joined = joined.with_columns((here.fill_null(pl.col(col)) if col in econ.columns else here).alias(col))
    econ = joined.drop([f"{c}__table" for c in table.given])
    covered = int(econ.join(matched.select(table.by), on=table.by, how="semi").height)
    notes = [f"Costs from {table.path.name} ({', '.join(table.given)} per {table.by}) for {covered} of {econ.height}"
             " series; the others keep the data's values or the defaults."]
    unused = table.frame.height - matched.height
    if unused:
        notes.append(f"{unused} row(s) of {table.path.name} match no series' {table.by}.")
    return econ, notes
