"""The shipment history, read as it was published: its columns mapped onto the canonical names of
:mod:`workbench.risk.schema`, its dates parsed in the formats of ``risk.shipments.date_formats``,
the texts it writes into numeric columns turned into nulls with a note saying why, and the cells
that point at another shipment ("See ASN-32231 (ID#:13648)") resolved to that shipment's value.

Every repair is counted in :attr:`Shipments.log`; what cannot be read stops with a
:class:`~workbench.data.schema.PanelError` naming the file, the column, the value, its data row and
the setting to change. :func:`quality_table` shows the data's own quality problems (in the SCMS
history, deliveries on exactly the scheduled day are suspiciously many).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from workbench.config.risk import DistributionsConfig, ShipmentsConfig
from workbench.data.io import read_csv_text, require_values
from workbench.data.schema import PanelError
from workbench.risk import schema as s
from workbench.risk.distributions import delivery_stats

CANONICAL = (s.SHIPMENT_ID, *s.CATEGORIES, *s.DATES, *s.AMOUNTS)
FILLED = (s.SHIPMENT_ID, s.VENDOR, s.SCHEDULED, s.DELIVERED)  # cells every row needs (mode may be missing)
_THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"


@dataclass
class Shipments:
    """A loaded shipment history: canonical columns, the log of repairs, the file it came from."""

    frame: pl.DataFrame
    log: list[dict]
    path: str


def load_shipments(cfg: ShipmentsConfig) -> Shipments:
    """Read ``risk.shipments.path`` into the canonical shipment history (:mod:`workbench.risk.schema`).

    Raises
    ------
    PanelError
        for a missing or unknown column mapping, an empty key cell, a duplicate shipment id, a date
        no format of ``risk.shipments.date_formats`` reads or a text in a numeric column that is
        neither a ``risk.shipments.number_texts`` entry nor a reference
        (``risk.shipments.reference_pattern``): each names the file, the column, the value and its row.
    """
    df, log, names = _read(cfg)
    df = _missing_texts(df, cfg, names, log)
    require_values(df, [c for c in FILLED if c in df.columns], cfg.path, names)
    _unique_ids(df, cfg.path, names)
    df = df.with_columns(_parse_dates(df, cfg, names))
    df = _amounts(df, cfg, names, log)
    df = _derived(df, cfg.late_after_days)
    early = int(df[s.LEAD_TIME].lt(0).sum())
    if early:
        log.append({"step": "delivered_before_po", "column": s.DELIVERED, "action": "kept, flagged",
                    "rows": early, "note": f"{s.LEAD_TIME} < 0; left out of lead ratios"})
    return Shipments(frame=df, log=log, path=str(cfg.path))


def _read(cfg: ShipmentsConfig) -> tuple[pl.DataFrame, list[dict], dict[str, str]]:
    """The mapped columns as stripped text under their canonical names, the read log entry and the
    file's name of each canonical column. An empty mapping (``''``) leaves an optional column out."""
    mapping = {k: v for k, v in cfg.columns.items() if v}
    unknown = [k for k in mapping if k not in CANONICAL]
    if unknown:
        raise PanelError(f"risk.shipments.columns.{unknown[0]}: {unknown[0]!r} is not a canonical column;"
                         f" the names are {', '.join(CANONICAL)}")
    df, repairs = read_csv_text(cfg.path, "risk.shipments.path", encoding=cfg.encoding, null_values=[],
                                schema_overrides={col: pl.String for col in mapping.values()})
    repairs.pop("null_values", None)  # empty cells are counted per mapped column with the other missing texts
    for name in [*s.REQUIRED, *mapping]:
        if name not in mapping:
            raise PanelError(f"risk.shipments.columns.{name} is not set: {name!r} is required; set it to the column"
                             f" of {cfg.path} that holds it (the file's columns are {df.columns})")
        if mapping[name] not in df.columns:
            raise PanelError(f"{cfg.path}: no column {mapping[name]!r} for {name!r}"
                             f" (risk.shipments.columns.{name}); the file's columns are {df.columns}")
    df = df.select(pl.col(src).cast(pl.String).str.strip_chars().alias(name) for name, src in mapping.items())
    return df, [{"step": "read", "rows": df.height, **repairs}], mapping


def _missing_texts(df: pl.DataFrame, cfg: ShipmentsConfig, names: dict[str, str], log: list[dict]) -> pl.DataFrame:
    """``risk.shipments.missing_values`` -> null, counted per column and text (an empty cell is ``''``)."""
    texts = list(dict.fromkeys(t.strip() for t in cfg.missing_values))

    def hit(col: str, text: str) -> pl.Expr:
        return (pl.col(col).is_null() | (pl.col(col) == "")) if text == "" else pl.col(col) == text

    counts = df.select(hit(c, t).sum().alias(f"{c}\n{t}") for c in df.columns for t in texts).row(0, named=True)
    log.extend({"step": "missing_values", "column": key.split("\n")[0], "file_column": names[key.split("\n")[0]],
                "text": key.split("\n")[1], "action": "null", "rows": int(n)} for key, n in counts.items() if n)
    return df.with_columns(pl.when(~pl.col(c).is_in(texts) & (pl.col(c) != "")).then(pl.col(c)).alias(c)
                           for c in df.columns)


def _unique_ids(df: pl.DataFrame, path: str, names: dict[str, str]) -> None:
    dup = df.select(s.SHIPMENT_ID).with_row_index("row", 1).filter(pl.col(s.SHIPMENT_ID).is_duplicated())
    if dup.height:
        first = dup[s.SHIPMENT_ID][0]
        rows = dup.filter(pl.col(s.SHIPMENT_ID) == first)["row"].to_list()
        raise PanelError(f"{path}: column {names[s.SHIPMENT_ID]!r} ({s.SHIPMENT_ID}) has {dup.height} rows with a"
                         f" repeated shipment id (first: {first!r} in data rows {rows}); expected one row per shipment")


def _date(column: str, formats: list[str]) -> pl.Expr:
    """The first of ``formats`` that reads each value. ``%y`` reads 06 as 2006; a ``%Y`` that read a
    two-digit year (the year 6) does not count."""
    tries = []
    for fmt in formats:
        parsed = pl.col(column).str.strptime(pl.Date, fmt, strict=False)
        tries.append(pl.when(parsed.dt.year() >= 1000).then(parsed) if "%Y" in fmt else parsed)
    return pl.coalesce(tries).alias(column)


def _parse_dates(df: pl.DataFrame, cfg: ShipmentsConfig, names: dict[str, str]) -> list[pl.Expr]:
    exprs = []
    for col in [c for c in s.DATES if c in df.columns]:
        formats = list(cfg.date_formats.get(col) or [])
        if not formats:
            raise PanelError(f"risk.shipments.date_formats.{col}: no format for column {names[col]!r} ({col});"
                             " expected a list of strptime formats such as ['%d-%b-%y']")
        bad = df.select(pl.col(col), _date(col, formats).alias("__date")).with_row_index("row", 1).filter(
            pl.col(col).is_not_null() & pl.col("__date").is_null())
        if bad.height:
            raise PanelError(
                f"{cfg.path}: column {names[col]!r} ({col}) has {bad.height} values that are not dates in"
                f" {formats} (first: {bad[col][0]!r} in data row {bad['row'][0]}); add its format to"
                f" risk.shipments.date_formats.{col} or, if it means 'no date', to risk.shipments.missing_values")
        exprs.append(_date(col, formats))
    return exprs


def _amounts(df: pl.DataFrame, cfg: ShipmentsConfig, names: dict[str, str], log: list[dict]) -> pl.DataFrame:
    """Amounts as Float64 with a ``<name>_note`` column: numbers (thousands separators stripped),
    texts of ``risk.shipments.number_texts`` (null, note = their meaning) and references to another
    shipment's cell of the same column (resolved with one join per column)."""
    cols = [c for c in s.AMOUNTS if c in df.columns]
    texts = {k.strip(): v for k, v in cfg.number_texts.items()}
    parts = {}
    for c in cols:
        grouped = pl.col(c).str.contains(_THOUSANDS)
        plain = pl.when(grouped).then(pl.col(c).str.replace_all(",", "", literal=True)).otherwise(pl.col(c))
        parts[c] = [plain.cast(pl.Float64, strict=False).alias(f"__num_{c}"), grouped.alias(f"__grouped_{c}"),
                    (pl.col(c).replace_strict(texts, default=None, return_dtype=pl.String) if texts
                     else pl.lit(None, dtype=pl.String)).alias(f"__text_{c}"),
                    pl.col(c).str.extract(cfg.reference_pattern, 1).alias(f"__ref_{c}")]
    work = df.with_columns(e for c in cols for e in parts[c])
    for c in cols:
        bad = work.with_row_index("row", 1).filter(
            pl.col(c).is_not_null() & pl.all_horizontal(pl.col(f"__{k}_{c}").is_null() for k in ("num", "text", "ref")))
        if bad.height:
            raise PanelError(
                f"{cfg.path}: column {names[c]!r} ({c}) has {bad.height} values that are not numbers"
                f" (first: {bad[c][0]!r} in data row {bad['row'][0]}); expected a number, a missing text"
                " (risk.shipments.missing_values), a text with a meaning (risk.shipments.number_texts) or a"
                " reference to another shipment (risk.shipments.reference_pattern)")
    numbers = work.select(pl.col(s.SHIPMENT_ID).alias("__id"), *[pl.col(f"__num_{c}").alias(f"__refnum_{c}")
                                                                  for c in cols])
    out = []
    for c in cols:
        found = pl.lit(True).alias(f"__found_{c}")  # the id exists (its cell may still not be a number)
        work = work.join(numbers.select("__id", f"__refnum_{c}", found), left_on=f"__ref_{c}", right_on="__id",
                         how="left", maintain_order="left")
        num, text, ref, refnum = (pl.col(f"__{k}_{c}") for k in ("num", "text", "ref", "refnum"))
        out += [pl.coalesce(num, pl.when(ref.is_not_null()).then(refnum)).alias(c),
                pl.when(pl.col(c).is_null()).then(pl.lit("missing")).when(num.is_not_null()).then(pl.lit("value"))
                .when(text.is_not_null()).then(text).when(refnum.is_not_null()).then(pl.lit("reference"))
                .otherwise(pl.lit("unresolved reference")).alias(c + s.NOTE)]
        _log_amounts(work, c, texts, log)
    order = [x for c in df.columns for x in ([c, c + s.NOTE] if c in cols else [c])]
    return work.with_columns(out).select(order)


def _log_amounts(work: pl.DataFrame, c: str, texts: dict[str, str], log: list[dict]) -> None:
    counts = work.select(
        pl.col(f"__grouped_{c}").sum().alias("separators"),
        (pl.col(f"__ref_{c}").is_not_null() & pl.col(f"__refnum_{c}").is_not_null()).sum().alias("resolved"),
        (pl.col(f"__ref_{c}").is_not_null() & pl.col(f"__refnum_{c}").is_null()).sum().alias("unresolved"),
        (pl.col(f"__ref_{c}").is_not_null() & pl.col(f"__found_{c}").is_null()).sum().alias("absent"),
        *[(pl.col(c) == t).sum().alias(t) for t in texts]).row(0, named=True)
    if counts["separators"]:
        log.append({"step": "thousands_separator", "column": c, "action": "stripped", "rows": counts["separators"]})
    log.extend({"step": "number_text", "column": c, "text": t, "action": f"null, note {m!r}", "rows": counts[t]}
               for t, m in texts.items() if counts[t])
    if counts["resolved"]:
        log.append({"step": "reference", "column": c, "action": "resolved", "rows": counts["resolved"]})
    if counts["unresolved"]:  # to an id the file lacks, or to a cell that is itself a text
        log.append({"step": "reference", "column": c, "action": "unresolved: null", "rows": counts["unresolved"],
                    "absent_id": counts["absent"], "not_a_number": counts["unresolved"] - counts["absent"]})


def _days(later: str, earlier: str) -> pl.Expr:
    return (pl.col(later) - pl.col(earlier)).dt.total_days().cast(pl.Int64)


def _derived(df: pl.DataFrame, late_after_days: int) -> pl.DataFrame:
    """Delay, lateness, lead times (null without a PO date), the lead ratio and the calendar."""
    has_po = s.PO_DATE in df.columns
    lead = _days(s.DELIVERED, s.PO_DATE) if has_po else pl.lit(None, dtype=pl.Int64)
    planned = _days(s.SCHEDULED, s.PO_DATE) if has_po else pl.lit(None, dtype=pl.Int64)
    df = df.with_columns(_days(s.DELIVERED, s.SCHEDULED).alias(s.DELAY), lead.alias(s.LEAD_TIME),
                         planned.alias(s.SCHEDULED_LEAD))
    # a ratio needs a positive plan and a delivery after the order: the others are recording errors
    ratio = pl.when((pl.col(s.SCHEDULED_LEAD) > 0) & (pl.col(s.LEAD_TIME) >= 0)).then(
        pl.col(s.LEAD_TIME) / pl.col(s.SCHEDULED_LEAD))
    return df.with_columns((pl.col(s.DELAY) > late_after_days).alias(s.LATE), ratio.alias(s.LEAD_RATIO),
                           pl.col(s.SCHEDULED).dt.year().alias(s.YEAR), pl.col(s.SCHEDULED).dt.month().alias(s.MONTH))


def _checks(frame: pl.DataFrame) -> list[tuple[str, pl.Expr, str]]:
    """(check, rows expression, note) for every check whose columns the history has."""
    has = set(frame.columns).__contains__
    checks = [
        ("delivered on the scheduled day", pl.col(s.DELAY) == 0,
         "delay exactly 0: far more than chance gives; the scheduled date may have been rewritten at delivery"),
        ("delivered early", pl.col(s.DELAY) < 0, "before the scheduled day"),
        ("delivered late", pl.col(s.LATE), "after the scheduled day (risk.shipments.late_after_days)"),
        ("shipment mode missing", pl.col(s.MODE).is_null(), "no mode; shown as (missing), not dropped"),
    ]
    if has(s.PO_DATE):
        checks += [
            ("PO date missing", pl.col(s.PO_DATE).is_null(), "no lead time (e.g. 'Date Not Captured', from RDC stock)"),
            ("delivered before PO sent", pl.col(s.LEAD_TIME) < 0, "negative lead time: kept, left out of lead ratios"),
            ("scheduled on or before PO sent", pl.col(s.SCHEDULED_LEAD) <= 0, "no planned lead: no lead ratio"),
        ]
    if has(s.RECORDED):
        checks.append(("delivery recorded before delivered", pl.col(s.RECORDED) < pl.col(s.DELIVERED),
                       "the record predates the delivery"))
    checks += [(f"{c} missing", pl.col(c).is_null(), "category empty in the file")
               for c in s.CATEGORIES if c != s.MODE and has(c)]
    return checks


def quality_table(shipments: Shipments) -> pl.DataFrame:
    """The history's quality problems: columns ``check, rows, share, note`` (share of all shipments).
    Amount columns list each note other than ``value`` (texts, references, missing)."""
    frame = shipments.frame
    checks = _checks(frame)
    counts = frame.select(expr.fill_null(False).sum().alias(str(i)) for i, (_, expr, _) in enumerate(checks)).row(0)
    rows: list[dict[str, Any]] = [{"check": name, "rows": int(n), "note": note}
                                  for (name, _, note), n in zip(checks, counts, strict=True)]
    notes = {"missing": "empty or a missing text", "reference": "a 'See ... (ID#:n)' cell: that shipment's value",
             "unresolved reference": "points at no shipment or at one without a number: null"}
    for c in [c for c in s.AMOUNTS if c + s.NOTE in frame.columns]:
        tally = frame.get_column(c + s.NOTE).value_counts(sort=True).filter(pl.col(c + s.NOTE) != "value")
        rows += [{"check": f"{c}: {note}", "rows": int(n), "note": notes.get(note, f"a text meaning {note!r}: null")}
                 for note, n in tally.iter_rows()]
    out = pl.DataFrame(rows, schema={"check": pl.String, "rows": pl.Int64, "note": pl.String})
    return out.select("check", "rows", (pl.col("rows") / max(frame.height, 1)).alias("share"), "note")


def quality_by_mode(frame: pl.DataFrame) -> pl.DataFrame:
    """Per shipment mode, none pooled (``(missing)`` where none; ``all`` last): columns ``mode,
    shipments, exact_share, early_share, late_share`` (on the scheduled day, before it, late), as
    :func:`~workbench.risk.distributions.delivery_stats` counts them."""
    stats = delivery_stats(frame, s.MODE, DistributionsConfig(min_shipments=1))
    return stats.select(pl.col("group").alias(s.MODE), "shipments", "exact_share", "early_share", "late_share")
