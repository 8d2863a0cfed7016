"""Alerts grouped into incidents: one per series and run of flagged periods.

:func:`incident_runs` numbers the runs; :func:`incidents` turns them into the table a stock
controller reads: when, how unusual, what it most likely is (``type_guess``, one of
:data:`workbench.anomaly.types.TYPES`), the evidence in plain words and what to do.

The guess reads the features of the incident's flagged periods (:data:`SIGNALS`, the one table
of what each feature points to and how it is quoted): each feature in units of a deviation
worth noticing (``notable``), the feature furthest from normal and its sign name the type. Where
that feature is one of recorded sales (:data:`SALES_SIGNALS`), the two sales feeds tell the
cause, from the ledger's units beyond the shop analytics' (or, without analytics, beyond the usual
sales) in typical periods' sales: :data:`SPIKE_EXCESS` or more is a data-entry spike (it records
5 to 15 times the sales), more than :data:`FEEDS_AGREE` a duplicated order (it doubles them),
less than minus that a returns wave (the ledger nets the returns off), and feeds that agree say
demand itself moved: a level shift. A move of sales that lasts :data:`LASTING` flagged periods
or more is a level shift too. Where no feature of the rows moves (or the rows have none), the
guess is null rather than made up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from workbench.anomaly.export import evidence_text, fill_texts, period_name, template_fields
from workbench.anomaly.types import TYPES
from workbench.data.panel import DATE


def period_index() -> pl.Expr:
    """Each row's period number: the dense rank of its date among the frame's dates (0, 1, ...)."""
    return (pl.col(DATE).rank("dense") - 1).cast(pl.Int64)


def incident_runs(frame: pl.DataFrame, keys: list[str], flag: str, max_gap: int = 1) -> pl.Series:
    """Incident number of every row of ``frame`` (sorted by ``keys`` and ``date``), null where
    the boolean column ``flag`` is false. Flagged rows of one series at most ``max_gap``
    periods apart (1: consecutive) are one incident; numbers run 0, 1, ... over the frame.

    >>> f = pl.DataFrame({"item_id": ["a"] * 5 + ["b"] * 2, "date": [1, 2, 3, 4, 5, 1, 2],
    ...                   "hit": [True, True, False, True, False, True, True]})
    >>> incident_runs(f, ["item_id"], "hit").to_list()
    [0, 0, None, 1, None, 2, 2]
    >>> incident_runs(f, ["item_id"], "hit", max_gap=2).to_list()
    [0, 0, None, 0, None, 1, 1]
    """
    marked = frame.select(*keys, pl.col(flag).fill_null(False).alias("_hit"), period_index().alias("_p"))
    hits = marked.with_row_index("_row").filter(pl.col("_hit"))
    prev = pl.col("_p").shift(1).over(keys)
    starts = hits.with_columns(((prev.is_null()) | (pl.col("_p") - prev > max_gap)).alias("_start"))
    ids = starts.with_columns((pl.col("_start").cast(pl.Int64).cum_sum() - 1).alias("_id"))
    out = pl.Series("incident", [None] * frame.height, dtype=pl.Int64)
    return out.scatter(ids["_row"], ids["_id"])


@dataclass(frozen=True)
class Signal:
    """What a feature of the rows says about an incident.

    ``up`` / ``down``: the type a value above / below normal points to (``None``: the feature does
    not go that way); ``notable``: a deviation worth noticing, in the feature's units (it makes
    features comparable); ``texts``: how the evidence quotes it, tried in order, the first whose
    columns the rows have (placeholders are columns of the rows; ``{period}`` is the period's name;
    specs: ``+`` signed, ``moved`` "rose 5" or "fell 5", ``%`` a share as a percentage, ``money`` a
    price, ``periods`` a count of periods).
    """

    feature: str
    up: str | None
    down: str | None
    notable: float
    texts: tuple[str, ...]


SIGNALS: tuple[Signal, ...] = (
    Signal("sales_z", "spike", "returns_wave", 5.0, ("recorded sales of {demand} against a usual {median}",
                                                     "recorded sales far from their usual level")),
    Signal("ledger_gap", "spike", "returns_wave", 0.5, ("the ledger shows {demand} sold, the shop analytics {purchases}",
                                                        "the ledger and the shop analytics disagree")),
    Signal("stock_gap", "returns_wave", "shrinkage", 2.0,
           ("stock {gap:moved} units more than sales and receipts explain",
            "stock moved more than sales and receipts explain")),
    Signal("stock_drop", "shrinkage", None, 0.2, ("stock fell {stock_drop:%} beyond sales",)),
    Signal("dry_run", "phantom", None, 5.0, ("{run:periods} without a sale while the books show {stock} in stock",
                                             "no sale for a while although the books show stock")),
    Signal("price_jump", "price_typo", "price_typo", 1.0,
           ("a price of {price:money} against a usual {usual_price:money}",
            "a price of {price:money}, far from its usual level", "a price far from its usual level")),
    Signal("frozen_run", "frozen_feed", None, 2.0, ("the same value recorded {frozen_run:periods} in a row",)),
    Signal("level_change", "level_shift", "level_shift", 3.0,
           ("sales moved to about {recent} a {period} from a usual {median}",
            "sales moved to a new level from a usual {median}", "sales moved to a new level")),
)
SALES_SIGNALS = ("sales_z", "ledger_gap")  # the features of recorded sales, refined by the sales feeds
SPIKE_EXCESS = 2.5  # typical periods' sales the ledger records in excess: from here, a spike
FEEDS_AGREE = 0.25  # within this many typical periods' sales the ledger and the analytics agree
LASTING = 5  # flagged periods of a move of sales that make it a level shift
FAN_TEXT = "sales of {demand} against a forecast fan of {fan_low}–{fan_high}"


def incidents(rows: pl.DataFrame, scores: pl.DataFrame, flags: pl.DataFrame, detector: str, keys: Sequence[str],
              evidence: pl.DataFrame | None = None, max_gap: int = 1, frequency: str = "1d",
              truth: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per incident of ``detector`` (a series and a run of flagged periods, :func:`incident_runs`).

    Columns: the keys, ``incident``, ``detector``, ``start`` and ``end`` (its first and last flagged
    date), ``periods`` (flagged periods), ``peak`` (the date of its highest score) and ``score``,
    ``type_guess`` (module docstring), ``evidence`` (the two features furthest from normal, quoted
    where each is furthest, and the forecast fan at the peak where ``evidence`` gives one),
    ``action`` (the type's, :data:`~workbench.anomaly.types.TYPES`) and, where ``truth`` is given,
    ``label`` (the most common labelled type of its flagged periods, ``"none"`` for a false alarm).
    ``rows``: the features frame; ``scores`` / ``flags``: keys, ``date`` and a column ``detector``;
    ``evidence``: keys, ``date``, ``fan_low``, ``fan_high``. Sorted by score, highest first.
    """
    keys = list(keys)
    grid = [*keys, DATE]
    _check(rows, scores, flags, detector, grid, evidence, truth, max_gap)
    period = period_name(frequency)
    marked = flags.select(*grid, pl.col(detector).fill_null(False).alias("_flag"))
    hit = (marked.with_columns(incident_runs(marked, keys, "_flag", max_gap)).filter("_flag").drop("_flag")
           .join(scores.select(*grid, pl.col(detector).cast(pl.Float64).alias("_score")), on=grid, how="left"))
    signals = [s for s in SIGNALS if s.feature in rows.columns]
    texts = [next((t for t in s.texts if template_fields(t) <= set(rows.columns)), None) for s in signals]
    quoted = set().union({s.feature for s in signals}, {"demand", "median", "purchases"},
                         *(template_fields(t) for t in texts if t)) & (set(rows.columns) - set(grid))
    hit = hit.join(rows.select(*grid, *sorted(quoted)), on=grid, how="left", maintain_order="left")
    if evidence is not None:
        hit = hit.join(evidence.select(*grid, "fan_low", "fan_high"), on=grid, how="left", maintain_order="left")
    hit = hit.with_row_index("_row")
    peak = pl.col("_score").fill_nan(None)
    table = hit.group_by("incident").agg(
        *[pl.col(k).first() for k in keys], pl.col(DATE).min().alias("start"), pl.col(DATE).max().alias("end"),
        pl.len().cast(pl.Int64).alias("periods"), peak.max().alias("score"),
        pl.col(DATE).sort_by(peak, descending=True, nulls_last=True).first().alias("peak"),
        pl.col("_row").sort_by(peak, descending=True, nulls_last=True).first().alias("_peak_row"))
    strongest = _strongest(hit, signals)
    table = table.join(_guess(hit, strongest, signals), on="incident", how="left")
    said = _said(hit, strongest, texts, period)
    if evidence is not None and "demand" in hit.columns:
        # the fan at the peak, after the features' texts
        fan = table.select("incident", pl.col("_peak_row").alias("_row")).join(hit.drop("incident"), on="_row")
        said = pl.concat([said, fan.select("incident", pl.lit(len(SIGNALS), pl.Int64).alias("_rank"),
                                           evidence_text(FAN_TEXT, period).alias("_text"))])
    words = said.drop_nulls("_text").sort("incident", "_rank").group_by("incident").agg(
        pl.col("_text").str.join("; ").alias("evidence"))
    table = table.join(words, on="incident", how="left").with_columns(
        pl.col("evidence").fill_null("the score is unusual although no feature stands out"),
        pl.col("type_guess").replace_strict({n: t.action for n, t in TYPES.items()}, default=None,
                                            return_dtype=pl.String).alias("action"),
        pl.lit(detector).alias("detector"))
    columns = [*keys, "incident", "detector", "start", "end", "periods", "peak", "score", "type_guess", "evidence",
               "action"]
    if truth is not None:
        table = table.join(_labels(hit, truth, grid), on="incident", how="left").with_columns(
            pl.col("label").fill_null("none"))
        columns.append("label")
    return table.select(columns).sort("score", "incident", descending=[True, False], nulls_last=True)


def _check(rows, scores, flags, detector, grid, evidence, truth, max_gap) -> None:
    if max_gap < 1:
        raise ValueError(f"anomaly.incidents.max_gap: expected periods >= 1, got {max_gap}")
    frames = {"rows": (rows, grid), "scores": (scores, [*grid, detector]), "flags": (flags, [*grid, detector])}
    if evidence is not None:
        frames["evidence"] = (evidence, [*grid, "fan_low", "fan_high"])
    if truth is not None:
        frames["truth"] = (truth, [*grid, "anomaly_type"])
    for name, (frame, needed) in frames.items():
        missing = [c for c in needed if c not in frame.columns]
        if missing:
            raise ValueError(f"incidents: {name} has no {missing} column(s); expected {needed}")
    if flags.schema[detector] != pl.Boolean:
        raise ValueError(f"incidents: flags[{detector!r}] is {flags.schema[detector]}; expected Boolean")


def _strongest(hit: pl.DataFrame, signals: list[Signal]) -> pl.DataFrame:
    """Per incident and signal, the flagged period where the feature is furthest from normal (in
    ``notable`` units, with the type its sign points to), ranked 0, 1, ... strongest first."""
    if not signals:
        return pl.DataFrame(schema={"incident": pl.Int64, "_signal": pl.Int64, "_row": pl.UInt32,
                                    "_type": pl.String, "_rank": pl.Int64})
    long = pl.concat([hit.select("incident", "_row", pl.lit(i, pl.Int64).alias("_signal"),
                                 pl.col(s.feature).cast(pl.Float64).alias("_value")) for i, s in enumerate(signals)])
    z = pl.col("_value") / pl.col("_signal").replace_strict({i: s.notable for i, s in enumerate(signals)})
    up = pl.col("_signal").replace_strict({i: s.up for i, s in enumerate(signals)}, return_dtype=pl.String)
    down = pl.col("_signal").replace_strict({i: s.down for i, s in enumerate(signals)}, return_dtype=pl.String)
    return (long.with_columns(z.abs().alias("_strength"), pl.when(z > 0).then(up).otherwise(down).alias("_type"))
            .filter(pl.col("_strength").is_finite() & (pl.col("_strength") > 0) & pl.col("_type").is_not_null())
            .sort("incident", "_signal", "_strength", "_row", descending=[False, False, True, False])
            .group_by("incident", "_signal", maintain_order=True).first()
            .sort("incident", "_strength", "_signal", descending=[False, True, False])
            .with_columns(pl.int_range(pl.len()).over("incident").cast(pl.Int64).alias("_rank"))
            .select("incident", "_signal", "_row", "_type", "_rank"))


def _guess(hit: pl.DataFrame, strongest: pl.DataFrame, signals: list[Signal]) -> pl.DataFrame:
    """The type of each incident's strongest signal, refined by the rules of the module docstring."""
    sales = [i for i, s in enumerate(signals) if s.feature in SALES_SIGNALS]
    top = strongest.filter(pl.col("_rank") == 0).join(hit.group_by("incident").len("periods"), on="incident")
    guess = pl.col("_type")
    if {"demand", "median"} <= set(hit.columns):
        feeds = "purchases" in hit.columns
        excess = (pl.col("demand") - pl.col("purchases" if feeds else "median")) \
            / pl.max_horizontal(pl.col("median"), pl.lit(1.0))
        top = top.join(hit.select("_row", excess.alias("_excess")), on="_row")
        by_feeds = pl.when(pl.col("_excess") >= SPIKE_EXCESS).then(pl.lit("spike")) \
            .when(pl.col("_excess") > FEEDS_AGREE).then(pl.lit("duplicate_order"))
        if feeds:  # without the analytics a fall of sales stays a returns wave: nothing tells them apart
            by_feeds = by_feeds.when(pl.col("_excess") < -FEEDS_AGREE).then(pl.lit("returns_wave")) \
                .when(pl.col("_excess").is_not_null()).then(pl.lit("level_shift"))
        else:
            by_feeds = by_feeds.when(guess == "spike").then(pl.lit("duplicate_order"))
        guess = pl.when(pl.col("_signal").is_in(sales)).then(by_feeds.otherwise(guess)).otherwise(guess)
    lasting = pl.col("_signal").is_in(sales) & (pl.col("periods") >= LASTING)
    return top.select("incident", pl.when(lasting).then(pl.lit("level_shift")).otherwise(guess).alias("type_guess"))


def _said(hit: pl.DataFrame, strongest: pl.DataFrame, texts: list[str | None], period: str) -> pl.DataFrame:
    """The texts of each incident's two strongest signals, quoted at the period where each is strongest."""
    picked = strongest.filter(pl.col("_rank") < 2).join(hit.drop("incident"), on="_row", how="left")
    said = fill_texts(picked, {i: t for i, t in enumerate(texts) if t is not None}, "_signal", period)
    return picked.select("incident", "_rank", said.alias("_text"))


def _labels(hit: pl.DataFrame, truth: pl.DataFrame, grid: list[str]) -> pl.DataFrame:
    """The most common labelled type of each incident's flagged periods (ties: the first by name)."""
    labelled = hit.select("incident", *grid).join(truth.select(*grid, "anomaly_type"), on=grid, how="inner")
    return (labelled.drop_nulls("anomaly_type").group_by("incident", "anomaly_type").len()
            .sort("incident", "len", "anomaly_type", descending=[False, True, False])
            .group_by("incident", maintain_order=True).first().select("incident", pl.col("anomaly_type").alias("label")))
