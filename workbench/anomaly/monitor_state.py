"""The daily monitor's state and its inputs: the stored tail of history, a new increment, the alert log.

The monitor keeps, per series, only the last periods of history the features and the forecast
model need (the *tail*, a :class:`~workbench.data.panel.DemandPanel` saved in its folder). An
increment is a file of new periods in the panel's own columns; :func:`read_increment` checks it
against the tail once, before anything is scored, and names what is wrong: a missing column, a
value that is not a number or a date, a duplicated row, a series the detectors never saw, a date
already scored, a period missing between the tail and the increment or inside it.

The alert log only grows: each increment appends its incidents to ``alerts.csv`` and writes
``alerts/<first>_<last>.parquet`` and ``scores/<first>_<last>.parquet`` next to it; a part that
exists already is an error, never overwritten.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from workbench.data.contracts import period
from workbench.data.panel import DATE, DemandPanel


class IncrementError(ValueError):
    """A malformed increment: the message names the file, the column, the series or the date."""


def tail_of(panel: DemandPanel, periods: int) -> DemandPanel:
    """The last ``periods`` periods of every series (by the panel's date grid), without truth."""
    first = history_start(panel.demand.get_column(DATE).max(), periods, period(panel))
    return replace(panel, demand=panel.demand.filter(pl.col(DATE) >= first), truth=None)


OPEN = "open_incidents.parquet"  # per series, the incident that may go on in the next increment
STATE = "state.json"  # the increment the state was rolled forward by


def stage_state(tail: DemandPanel, open_incidents: pl.DataFrame, name: str, folder: Path) -> Path:
    """Write the next state (the tail, the open incidents, the increment's name) next to ``folder``,
    as ``<folder>.new``; :func:`commit_state` swaps it in once the increment is logged."""
    fresh = Path(folder).with_name(Path(folder).name + ".new")
    if fresh.exists():
        shutil.rmtree(fresh)
    tail.save(fresh)
    open_incidents.write_parquet(fresh / OPEN)
    (fresh / STATE).write_text(json.dumps({"last_logged": name}))
    return fresh


def commit_state(folder: Path) -> None:
    """Swap ``<folder>.new`` in for ``folder``; a crash leaves one whole state (see :func:`recover_state`)."""
    folder = Path(folder)
    fresh, old = folder.with_name(folder.name + ".new"), folder.with_name(folder.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if folder.exists():
        os.replace(folder, old)
    os.replace(fresh, folder)
    if old.exists():
        shutil.rmtree(old)


def no_incidents(tail: DemandPanel) -> pl.DataFrame:
    """An empty table of open incidents for the tail's series."""
    return pl.DataFrame(schema={**{k: tail.demand.schema[k] for k in tail.keys}, "start": pl.Date, "end": pl.Date})


def save_state(tail: DemandPanel, folder: Path) -> None:
    """Write a first state to ``folder`` at once: the tail, no open incident."""
    stage_state(tail, no_incidents(tail), "", folder)
    commit_state(folder)


def recover_state(folder: Path, log: Path) -> None:
    """Finish or undo what a crashed monitor left: a staged state whose increment was logged is
    swapped in, one whose increment was not is dropped; a state moved aside is put back."""
    folder = Path(folder)
    fresh, old = folder.with_name(folder.name + ".new"), folder.with_name(folder.name + ".old")
    if not folder.exists() and old.exists():
        os.replace(old, folder)
    if fresh.exists():
        name = json.loads((fresh / STATE).read_text())["last_logged"] if (fresh / STATE).exists() else None
        if name and (Path(log) / "alerts" / f"{name}.parquet").exists():
            commit_state(folder)
        else:
            shutil.rmtree(fresh)


def open_incidents(folder: Path, tail: DemandPanel) -> pl.DataFrame:
    """The state's open incidents: keys, ``start`` and ``end`` (the last flagged date); none in a
    state copied from a run."""
    path = Path(folder) / OPEN
    return pl.read_parquet(path) if path.exists() else no_incidents(tail)


def continue_incidents(found: pl.DataFrame, still_open: pl.DataFrame, keys: list[str], step: timedelta,
                       max_gap: int, last: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Join the increment's incidents to the ones the previous increments left open: an incident
    that starts at most ``max_gap`` periods after its series' open one ended continues it (its
    ``start`` becomes the open one's, ``continues`` is true), as the batch run would have grouped
    them. Returns the incidents with an ``incident_id`` (series and start, unique in the log) and
    the incidents still open after ``last``, the increment's last date."""
    prev = still_open.rename({"start": "_open_start", "end": "_open_end"})
    joined = found.join(prev, on=keys, how="left")
    near = (pl.col("start") - pl.col("_open_end")) <= step * max_gap
    goes_on = pl.col("_open_end").is_not_null() & near & (pl.col("start") == pl.col("start").min().over(keys))
    out = joined.with_columns(goes_on.alias("continues")).with_columns(
        pl.when("continues").then(pl.col("_open_start")).otherwise(pl.col("start")).alias("start"),
    ).drop("_open_start", "_open_end")
    out = out.with_columns(pl.concat_str([*[pl.col(k).cast(pl.String) for k in keys],
                                          pl.col("start").cast(pl.String)], separator="/").alias("incident_id"))
    latest = out.sort("end").group_by(keys, maintain_order=True).last().select(*keys, "start", "end")
    merged = pl.concat([still_open.join(latest.select(keys), on=keys, how="anti"), latest], how="vertical_relaxed")
    # an incident can go on while the next period is at most max_gap periods after its last flag
    return out, merged.filter(last + step - pl.col("end") <= step * max_gap)


def _read(path: Path) -> pl.DataFrame:
    if not path.exists():
        raise IncrementError(f"{path}: no such file; expected the new periods of the panel as CSV or parquet")
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    if path.suffix in (".csv", ".txt"):
        return pl.read_csv(path, infer_schema=False)  # every column as text: cast below, with row numbers
    raise IncrementError(f"{path}: unknown file type {path.suffix!r}; expected .csv or .parquet")


def _cast(frame: pl.DataFrame, schema: pl.Schema, path: Path) -> pl.DataFrame:
    """Each column as the tail holds it; the first value that does not convert is named with its row."""
    out = []
    for name, dtype in schema.items():
        col = frame.get_column(name)
        if col.dtype == dtype:
            out.append(col)
            continue
        if dtype == pl.Date and col.dtype == pl.String:
            cast = col.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        else:
            cast = col.cast(dtype, strict=False)
        bad = cast.is_null() & col.is_not_null()
        if bad.any():
            row = int(bad.arg_max())
            raise IncrementError(f"{path}: column {name!r} row {row + 1} holds {col[row]!r}; expected "
                                 f"{'a date YYYY-MM-DD' if dtype == pl.Date else f'a {dtype} value'}")
        out.append(cast)
    return pl.DataFrame(out)


def read_increment(path: str | Path, tail: DemandPanel) -> pl.DataFrame:
    """The new periods of ``path``, checked against the ``tail``: the tail's columns (extra ones are
    dropped), every known series on every period from the one after the tail's last date to the
    increment's last, each once. Raises :class:`IncrementError` naming the problem."""
    path = Path(path)
    frame = _read(path)
    keys = list(tail.keys)
    schema = tail.demand.schema
    missing = [c for c in schema if c not in frame.columns]
    if missing:
        raise IncrementError(f"{path}: missing column(s) {missing}; expected the panel's columns {list(schema)}")
    if frame.is_empty():
        raise IncrementError(f"{path}: no rows; expected at least one new period")
    frame = _cast(frame.select(list(schema)), schema, path).sort([*keys, DATE])
    dup = frame.filter(frame.select([*keys, DATE]).is_duplicated())
    if dup.height:
        row = dup.row(0, named=True)
        raise IncrementError(f"{path}: {dup.height} duplicated rows, e.g. {_where(row, keys)} on {row[DATE]};"
                             " expected one row per series and period")
    known = tail.demand.select(keys).unique()
    unknown = frame.select(keys).unique().join(known, on=keys, how="anti")
    if unknown.height:
        raise IncrementError(f"{path}: {unknown.height} series the detectors have no history of, e.g. "
                             f"{_where(unknown.row(0, named=True), keys)}; expected the series of the fitted run")
    last = tail.demand.get_column(DATE).max()
    old = frame.filter(pl.col(DATE) <= last)
    if old.height:
        row = old.row(0, named=True)
        raise IncrementError(f"{path}: {old.height} rows on dates already scored (up to {last}), e.g. "
                             f"{_where(row, keys)} on {row[DATE]}; expected only periods after {last}")
    step = period(tail)
    grid = _grid(known, last + step, frame.get_column(DATE).max(), tail.frequency)
    off_grid = frame.select([*keys, DATE]).join(grid, on=[*keys, DATE], how="anti")
    if off_grid.height:
        row = off_grid.row(0, named=True)
        raise IncrementError(f"{path}: {row[DATE]} is not a period of the panel's grid (every {step.days} days"
                             f" from {last}); expected the next periods")
    gaps = grid.join(frame.select([*keys, DATE]), on=[*keys, DATE], how="anti")
    if gaps.height:
        row = gaps.sort(DATE).row(0, named=True)
        raise IncrementError(f"{path}: {gaps.height} series-periods missing, e.g. {_where(row, keys)} on "
                             f"{row[DATE]}; expected every series on every period after {last} (a gap)")
    return frame


def _grid(series: pl.DataFrame, first: date, last: date, frequency: str) -> pl.DataFrame:
    dates = pl.date_range(first, last, interval=frequency, eager=True).alias(DATE)
    return series.join(dates.to_frame(), how="cross")


def _where(row: dict, keys: list[str]) -> str:
    return ", ".join(f"{k}={row[k]!r}" for k in keys)


def append_log(folder: Path, name: str, incidents: pl.DataFrame, scores: pl.DataFrame) -> tuple[Path, Path]:
    """Append ``incidents`` to ``folder/alerts.csv`` and write this increment's parts
    ``alerts/<name>.parquet`` and ``scores/<name>.parquet``; an existing part is an error."""
    folder = Path(folder)
    parts = [folder / "alerts" / f"{name}.parquet", folder / "scores" / f"{name}.parquet"]
    for part in parts:
        if part.exists():
            raise IncrementError(f"{part} exists: the periods {name} were logged before; the log is never rewritten")
        part.parent.mkdir(parents=True, exist_ok=True)
    incidents.write_parquet(parts[0])
    scores.write_parquet(parts[1])
    csv = folder / "alerts.csv"
    text = _csv_ready(incidents)
    with open(csv, "a", encoding="utf-8") as fh:
        text.write_csv(fh, include_header=not csv.exists() or csv.stat().st_size == 0)
    return csv, parts[0]


def _csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """Nested or object columns as text, so that the CSV keeps one line per incident."""
    return frame.with_columns([pl.col(c).cast(pl.String) for c, t in frame.schema.items()
                               if t.is_nested() or t == pl.Object])


def increment_name(frame: pl.DataFrame) -> str:
    """``<first date>_<last date>`` of an increment: the name of its log parts."""
    d = frame.get_column(DATE)
    return f"{d.min()}_{d.max()}"


def history_start(last: date, periods: int, step: timedelta) -> date:
    """The first date of a tail of ``periods`` periods ending on ``last``."""
    return last - step * (periods - 1)
