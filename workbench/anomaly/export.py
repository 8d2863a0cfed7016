"""Alerts written out: in words and numbers for people, as files for other systems.

:func:`evidence_text` fills a text's placeholders with a frame's columns, each number as people
write it (:func:`human_number`); :func:`export_alerts` writes ``alerts.parquet`` and
``alerts.csv``. A run folder is never overwritten (ARCHITECTURE.md, "Runs"): an existing file
stops the export.
"""

from __future__ import annotations

from pathlib import Path
from string import Formatter

import polars as pl

ALERT_FILES = ("alerts.parquet", "alerts.csv")
PERIOD_NAMES = {"1d": "day", "7d": "week", "1w": "week", "1mo": "month", "1q": "quarter", "1y": "year"}


def human_number(x: pl.Expr, decimals: int | None = None) -> pl.Expr:
    """Numbers as people write them: thousands separators and no spurious decimals (none from 10
    on, one from 1, two below, trailing zeros dropped; or exactly ``decimals``, as a price's 19.90,
    none where they are all zero); null where not finite.

    >>> pl.select(human_number(pl.lit([1240.0, -3.0, 0.456, 1234567.8, 9.96]).explode())).to_series().to_list()
    ['1,240', '-3', '0.46', '1,234,568', '10']
    >>> pl.select(human_number(pl.lit([19.9, 1999.0]).explode(), decimals=2)).to_series().to_list()
    ['19.90', '1,999']
    """
    x = pl.when(x.cast(pl.Float64).is_finite()).then(x.cast(pl.Float64))
    a = x.abs()
    # the value in hundredths, rounded to the places shown (each subexpression written once: the
    # expression stays small however many numbers a text quotes)
    if decimals is not None:
        cents = ((a * 10.0 ** decimals).round() * 10.0 ** (2 - decimals)).cast(pl.Int64)
    else:
        cents = pl.when(a >= 10).then(a.round() * 100).when(a >= 1).then((a * 10).round() * 10) \
            .otherwise((a * 100).round()).cast(pl.Int64)
    # thousands separators: the digits reversed, a comma after every three, reversed back
    whole = (cents // 100).cast(pl.String).str.reverse().str.replace_all(r"(\d{3})", "$1,") \
        .str.strip_chars_end(",").str.reverse()
    fraction = (cents % 100).cast(pl.String).str.zfill(2)
    # a price keeps its cents (19.90), other numbers drop trailing zeros (2.5)
    fraction = fraction.str.strip_chars_end("0") if decimals is None else fraction.str.replace("^00$", "")
    sign = pl.when((x < 0) & (cents > 0)).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str(sign, whole, pl.when(fraction == "").then(pl.lit("")).otherwise(pl.lit(".") + fraction))


def _quoted(field: str, spec: str, period: str) -> pl.Expr:
    """One placeholder of a text as a string expression."""
    if field == "period":
        return pl.lit(period)
    x = pl.col(field).cast(pl.Float64)
    if spec == "+":
        return pl.concat_str(pl.when(x > 0).then(pl.lit("+")).otherwise(pl.lit("")), human_number(x))
    if spec == "moved":
        return pl.concat_str(pl.when(x < 0).then(pl.lit("fell ")).otherwise(pl.lit("rose ")), human_number(x.abs()))
    if spec == "%":
        return pl.concat_str(human_number(100 * x), pl.lit("%"))
    if spec == "money":
        return human_number(x, decimals=2)
    if spec == "periods":
        return pl.concat_str(human_number(x), pl.lit(f" {period}"), pl.when(x.round() == 1).then(pl.lit(""))
                             .otherwise(pl.lit("s")))
    if spec:
        raise ValueError(f"evidence text: unknown format {spec!r} of {{{field}}}; expected '', '+', 'moved', "
                         f"'%', 'money' or 'periods'")
    return human_number(x)


def evidence_text(template: str, period: str = "day") -> pl.Expr:
    """``template`` (placeholders: columns, formatted as :func:`human_number`) as a string
    expression; null on a row where a quoted value is missing."""
    return _filled(template, lambda field, spec: _quoted(field, spec, period))


def _filled(template: str, value) -> pl.Expr:
    """``template`` with each placeholder replaced by ``value(field, spec)``."""
    parts = []
    for literal, field, spec, _ in Formatter().parse(template):
        parts.append(pl.lit(literal))
        if field is not None:
            parts.append(value(field, spec or ""))
    return pl.concat_str(parts)


def fill_texts(frame: pl.DataFrame, templates: dict[int, str], key: str, period: str) -> pl.Series:
    """Each row's ``templates[row[key]]``: every quoted value is formatted once, as a column of its
    own, so that the texts of all templates stay one small expression."""
    quoted = sorted({(f, spec or "") for t in templates.values() for _, f, spec, _ in Formatter().parse(t)
                     if f is not None})
    names = {q: f"_quoted{i}" for i, q in enumerate(quoted)}
    frame = frame.with_columns(_quoted(f, spec, period).alias(names[f, spec]) for f, spec in quoted)
    said = pl.lit(None, pl.String)
    for i, template in templates.items():
        said = pl.when(pl.col(key) == i).then(_filled(template, lambda f, spec: pl.col(names[f, spec]))) \
            .otherwise(said)
    return frame.with_columns(said.alias("_said"))["_said"]  # a literal (no template) broadcast to the rows


def template_fields(template: str) -> set[str]:
    """The columns ``template`` quotes."""
    return {f for _, f, _, _ in Formatter().parse(template) if f is not None and f != "period"}


def period_name(frequency: str) -> str:
    """The name of one period of a panel of ``frequency`` (a polars duration such as ``1d``, ``1w``)."""
    return PERIOD_NAMES.get(frequency, "period")


def export_alerts(incidents: pl.DataFrame, folder: str | Path) -> tuple[Path, Path]:
    """Write the incidents table (:func:`workbench.anomaly.incidents.incidents`) to ``folder``
    (created where missing) as ``alerts.parquet`` and ``alerts.csv`` (UTF-8, ISO dates);
    returns their paths. Raises :class:`FileExistsError` where either file is there already."""
    folder = Path(folder)
    parquet, csv = (folder / name for name in ALERT_FILES)
    there = [str(p) for p in (parquet, csv) if p.exists()]
    if there:
        raise FileExistsError(f"alerts already exported: {', '.join(there)}; write the alerts of a new run "
                              "into a new folder (an earlier run's alerts are never overwritten)")
    folder.mkdir(parents=True, exist_ok=True)
    # "x": created here or not at all, even if another process writes the same folder meanwhile
    with parquet.open("xb") as out:
        incidents.write_parquet(out)
    with csv.open("xb") as out:
        incidents.write_csv(out)
    return parquet, csv
