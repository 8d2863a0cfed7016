"""The tables and the headline of the 01_data study."""

from dataclasses import replace

import polars as pl

from workbench.data import HEADLINE, headline
from workbench.data.classes import series_classes
from workbench.data.quality import quality_table
from workbench.data.study import (
    anomaly_counts,
    class_counts,
    largest_per_abc,
    most_censored,
    overview,
    overview_table,
    preparation_log,
    quality_summary,
)


def test_overview_table_is_one_row_in_the_readers_words(tiny_panel):
    facts = overview_table(tiny_panel)
    assert facts.height == 1
    assert facts.columns[:4] == ["data", "series", "items", "periods"]
    assert "distinct channel values" in facts.columns
    row = facts.row(0, named=True)
    assert row["series"] == tiny_panel.n_series == 12
    assert row["first date"] == tiny_panel.dates.min()


def test_class_counts_cover_every_series(tiny_panel):
    classes = series_classes(tiny_panel)
    counts = class_counts(classes, "abc", "xyz")
    assert counts["abc"].to_list() == sorted(counts["abc"].to_list())
    assert counts.drop("abc").sum_horizontal().sum() == tiny_panel.n_series
    picks = largest_per_abc(classes)
    assert picks["abc"].to_list() == sorted(set(classes["abc"]))
    for row in picks.iter_rows(named=True):
        assert row["revenue"] == classes.filter(pl.col("abc") == row["abc"])["revenue"].max()


def test_quality_tables(tiny_panel):
    quality = quality_table(tiny_panel)
    summary = quality_summary(quality, tiny_panel).row(0, named=True)
    assert summary["series"] == tiny_panel.n_series
    assert summary["suspected censored periods"] == quality["censored_days"].sum()
    assert most_censored(quality, 3).height == 3
    counts = anomaly_counts(tiny_panel.truth)
    assert counts.columns == ["anomaly_type", "series-days"]
    assert counts["series-days"].sum() == tiny_panel.truth["anomaly"].sum()


def test_preparation_log_writes_details_with_the_formatter(tiny_panel):
    p = replace(tiny_panel, log=({"step": "read", "file": "x.csv", "bom": True}, {"step": "missing_dates", "rows": 3}))
    log = preparation_log(p, lambda v: f"<{v}>")
    assert log.to_dicts() == [
        {"step": "read", "action": None, "rows": None, "details": "file=<x.csv>, bom=<True>"},
        {"step": "missing_dates", "action": None, "rows": 3, "details": ""},
    ]


def test_headline_declares_the_series_and_keeps_the_details(tiny_panel):
    classes = series_classes(tiny_panel)
    logged = headline(overview(tiny_panel), classes, quality_table(tiny_panel))
    assert logged.stage == HEADLINE.stage == "01_data"
    assert [m.key for m in HEADLINE.metrics] == ["n_series"]
    assert list(logged.values) == ["n_series", "n_items", "n_periods", "zero_share", "sbc_counts", "xyz_counts",
                                   "suspected_censored_periods", "outlier_periods", "abc_counts"]
    assert logged.values["n_series"] == 12
    assert sum(logged.values["abc_counts"].values()) == 12
