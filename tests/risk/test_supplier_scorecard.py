"""The supplier scorecard on hand-made histories: CVaR, pooling, the late-rate trend."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from workbench.config.risk import ScorecardConfig
from workbench.risk import schema as s
from workbench.risk.measures import cvar
from workbench.risk.scorecard import late_rate_trend, supplier_scorecard, yearly_late_rate


def history(rows: list[tuple[str, str | None, int, int, float]]) -> pl.DataFrame:
    """(vendor, mode, year, delay, value) rows."""
    frame = pl.DataFrame(rows, orient="row", schema={s.VENDOR: pl.String, s.MODE: pl.String, s.YEAR: pl.Int32,
                                                      s.DELAY: pl.Int64, s.VALUE: pl.Float64})
    return frame.with_columns((pl.col(s.DELAY) > 0).alias(s.LATE))


def random_history(seed: int = 5) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for vendor, mode, n, spread in [("A", "Air", 57, 5), ("A", "Truck", 33, 40), ("B", "Air", 120, 15),
                                    ("C", "Ocean", 41, 60), ("D", "Air", 7, 3), ("E", "Air", 4, 90)]:
        delays = np.round(rng.normal(0, spread, size=n)).astype(int)
        rows += [(vendor, mode, int(y), int(x), float(v)) for x, y, v in
                 zip(delays, rng.integers(2010, 2015, size=n), rng.uniform(1, 100, size=n), strict=True)]
    return history(rows)


def test_cvar_equals_measures_cvar_per_pair():
    frame = random_history()
    cfg = ScorecardConfig(cvar_level=0.9, min_shipments=20)
    card = supplier_scorecard(frame, cfg)
    pooled = frame.with_columns(pl.when(pl.col(s.VENDOR).is_in(["D", "E"])).then(pl.lit("other"))
                                .otherwise(pl.col(s.VENDOR)).alias(s.VENDOR))
    for row in card.iter_rows(named=True):
        delays = pooled.filter((pl.col(s.VENDOR) == row[s.VENDOR]) & (pl.col(s.MODE) == row[s.MODE]))[s.DELAY]
        expected = float(cvar(np.maximum(delays.to_numpy(), 0), 0.9))
        assert row["cvar_delay"] == pytest.approx(expected, abs=1e-9)
        assert row["late_rate"] == pytest.approx(float((delays > 0).mean()))
    assert card["cvar_delay"].to_list() == sorted(card["cvar_delay"].to_list(), reverse=True)
    assert card["value_share"].sum() == pytest.approx(1.0)


def test_small_pairs_are_pooled_per_mode():
    card = supplier_scorecard(random_history(), ScorecardConfig(min_shipments=20))
    pairs = {(r[s.VENDOR], r[s.MODE]): r["shipments"] for r in card.iter_rows(named=True)}
    assert pairs == {("A", "Air"): 57, ("A", "Truck"): 33, ("B", "Air"): 120, ("C", "Ocean"): 41, ("other", "Air"): 11}
    assert set(card.columns) == {s.VENDOR, s.MODE, "shipments", "value_share", "late_rate", "mean_delay_when_late",
                                 "cvar_delay", "years", "late_rate_trend"}
    assert card.filter(pl.col(s.VENDOR) == "B")["years"][0] == "2010-2014"


def test_late_rate_trend_on_a_constructed_history():
    rows = []
    for k, year in enumerate(range(2010, 2015)):  # late rate 0.1, 0.2, ... 0.5: slope +0.1 a year
        rows += [("Up", "Air", year, 3 if i < k + 1 else 0, 1.0) for i in range(10)]
        rows += [("Down", "Air", year, 2 if i < 8 - 2 * k else -1, 1.0) for i in range(10)]  # -0.2 a year
    rows += [("Up", "Air", 2015, 9, 1.0)] * 4  # a year of 4 shipments is left out of the trend
    rows += [("Short", "Truck", y, 1, 1.0) for y in (2010, 2011) for _ in range(10)]
    rows += [("Short", "Truck", 2012, 1, 1.0)] * 3  # two years with 5 or more: no trend
    card = supplier_scorecard(history(rows), ScorecardConfig(min_shipments=5))
    trend = dict(card.select(s.VENDOR, "late_rate_trend").iter_rows())
    assert trend["Up"] == pytest.approx(0.1) and trend["Down"] == pytest.approx(-0.2)
    assert trend["Short"] is None
    yearly = yearly_late_rate(history(rows), (s.VENDOR, s.MODE))
    assert late_rate_trend(yearly, (s.VENDOR, s.MODE)).filter(pl.col(s.VENDOR) == "Up")["trend_years"][0] == 5


def test_yearly_late_rate_and_missing_mode():
    frame = history([("A", "Air", 2010, 1, 1.0), ("A", "Air", 2010, 0, 1.0), ("A", None, 2011, 5, 1.0)])
    t = yearly_late_rate(frame)
    assert t.rows() == [(2010, "Air", 2, 0.5), (2011, "(missing)", 1, 1.0)]
    assert t.columns == [s.YEAR, s.MODE, "shipments", "late_rate"]
