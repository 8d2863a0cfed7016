"""Incidents a stock controller reads: grouping, the type guess, the evidence, the export."""

from datetime import date, timedelta

import polars as pl
import pytest

from workbench.anomaly.export import evidence_text, export_alerts, human_number
from workbench.anomaly.incidents import LASTING, SIGNALS, incidents
from workbench.anomaly.types import TYPES

KEYS = ["item_id"]
PERIODS = 12
NORMAL = {"sales_z": 0.1, "ledger_gap": 0.0, "stock_gap": 0.0, "stock_drop": 0.0, "dry_run": 0.0, "price_jump": 0.0,
          "frozen_run": 0.0, "level_change": 0.1, "demand": 10.0, "median": 10.0, "purchases": 10.0, "gap": 0.0,
          "run": 0.0, "stock": 500.0, "price": 19.9}
# series -> (the type it shows, {period: the features and quoted values there})
CASES = {
    "a": ("spike", {3: {"sales_z": 40.0, "ledger_gap": 8.0, "demand": 1240.0, "purchases": 110.0, "median": 100.0}}),
    "b": ("shrinkage", {5: {"stock_gap": -6.0, "stock_drop": 0.45, "gap": -220.0}}),
    "c": ("phantom", {k: {"dry_run": 10.0 * (k - 6), "run": k - 6.0, "demand": 0.0, "stock": 1234.0}
                      for k in (7, 8, 9)}),
    "d": ("duplicate_order", {2: {"sales_z": 3.0, "ledger_gap": 0.9, "demand": 20.0, "purchases": 10.0}}),
    "e": ("price_typo", {6: {"price_jump": 2.3, "price": 199.0}}),
    "f": ("frozen_feed", {k: {"frozen_run": k - 3.0, "stock_gap": 0.5} for k in range(4, 10)}),
    "g": ("level_shift", {k: {"sales_z": 6.0, "demand": 30.0} for k in range(2, 2 + LASTING)}),
    "h": ("returns_wave", {4: {"ledger_gap": -0.6, "stock_gap": 0.5, "demand": 4.0, "sales_z": -0.5}}),
    "i": ("level_shift", {k: {"level_change": 4.0, "sales_z": 2.0} for k in range(6, 9)}),
}


def case_frames(weekly: bool = False) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Rows, scores and flags: each series of CASES flagged exactly where its features move."""
    step = timedelta(weeks=1) if weekly else timedelta(days=1)
    records, flagged = [], []
    for series, (_, moved) in CASES.items():
        for k in range(PERIODS):
            records.append({"item_id": series, "date": date(2024, 1, 1) + k * step, **NORMAL, **moved.get(k, {})})
            flagged.append(k in moved)
    rows = pl.DataFrame(records)
    grid = rows.select(*KEYS, "date")
    scores = grid.with_columns(pl.Series("det", [3.0 + k % 5 if f else 0.1 for k, f in enumerate(flagged)]))
    return rows, scores, grid.with_columns(pl.Series("det", flagged))


def test_type_guess_for_each_constructed_type():
    rows, scores, flags = case_frames()
    table = incidents(rows, scores, flags, "det", KEYS)
    got = dict(table.select("item_id", "type_guess").rows())
    assert got == {series: kind for series, (kind, _) in CASES.items()}
    assert table.height == len(CASES)
    actions = dict(table.select("type_guess", "action").rows())
    assert all(actions[kind] == TYPES[kind].action for kind in actions)


def test_the_sales_feeds_tell_the_cause_of_a_sales_signal():
    rows, scores, flags = case_frames()
    # a's sales far above usual, but the analytics saw them too: demand itself moved
    agree = rows.with_columns(pl.when(pl.col("item_id") == "a").then(pl.col("demand")).otherwise("purchases")
                              .alias("purchases"))
    assert dict(incidents(agree, scores, flags, "det", KEYS).select("item_id", "type_guess").rows())["a"] \
        == "level_shift"
    # without the analytics: the excess over the usual sales tells a spike (a: 11 times) from a duplicate (d: 1)
    alone = incidents(rows.drop("purchases", "ledger_gap"), scores, flags, "det", KEYS)
    got = dict(alone.select("item_id", "type_guess").rows())
    assert (got["a"], got["d"]) == ("spike", "duplicate_order")


def test_incident_columns_and_order():
    rows, scores, flags = case_frames()
    table = incidents(rows, scores, flags, "det", KEYS)
    assert table.columns == ["item_id", "incident", "detector", "start", "end", "periods", "peak", "score",
                             "type_guess", "evidence", "action"]
    assert table["score"].is_sorted(descending=True)
    phantom = table.filter(pl.col("item_id") == "c").row(0, named=True)
    assert (phantom["start"], phantom["end"], phantom["periods"]) == (date(2024, 1, 8), date(2024, 1, 10), 3)
    assert phantom["score"] == scores.filter(flags["det"] & (pl.col("item_id") == "c"))["det"].max()


def test_runs_grouped_with_max_gap():
    rows, scores, _ = case_frames()
    hits = {1, 2, 4, 8}  # a's flagged periods: 1-2, 4 and 8
    flags = scores.select(*KEYS, "date", ((pl.col("item_id") == "a") & pl.int_range(pl.len()).over("item_id")
                                          .is_in(hits)).alias("det"))
    near = incidents(rows, scores, flags, "det", KEYS, max_gap=1)
    assert near.sort("start")["periods"].to_list() == [2, 1, 1]
    wide = incidents(rows, scores, flags, "det", KEYS, max_gap=2).sort("start")
    assert wide["periods"].to_list() == [3, 1]
    assert (wide["start"][0], wide["end"][0]) == (date(2024, 1, 2), date(2024, 1, 5))
    with pytest.raises(ValueError, match="anomaly.incidents.max_gap"):
        incidents(rows, scores, flags, "det", KEYS, max_gap=0)


def test_evidence_in_words_with_numbers_for_people():
    rows, scores, flags = case_frames(weekly=True)
    evidence = rows.select(*KEYS, "date", pl.lit(100.0).alias("expected"), pl.lit(80.2).alias("fan_low"),
                           pl.lit(150.4).alias("fan_high"))
    table = incidents(rows, scores, flags, "det", KEYS, evidence=evidence, frequency="1w")
    said = dict(table.select("item_id", "evidence").rows())
    assert said["a"] == ("the ledger shows 1,240 sold, the shop analytics 110; recorded sales of 1,240 against a "
                         "usual 100; sales of 1,240 against a forecast fan of 80–150")
    assert said["b"].startswith("stock fell 220 units more than sales and receipts explain; stock fell 45% beyond")
    assert said["c"].startswith("3 weeks without a sale while the books show 1,234 in stock")  # weekly periods
    assert said["e"].startswith("a price of 199, far from its usual level")
    assert said["f"].startswith("the same value recorded 6 weeks in a row")
    without = incidents(rows.select(*KEYS, "date"), scores, flags, "det", KEYS)
    assert without["type_guess"].null_count() == without.height
    assert set(without["evidence"]) == {"the score is unusual although no feature stands out"}


def test_labels_show_hits_and_false_alarms():
    rows, scores, flags = case_frames()
    truth = rows.select(*KEYS, "date", pl.when((pl.col("item_id") == "c") & (pl.col("dry_run") > 10))
                        .then(pl.lit("phantom")).when((pl.col("item_id") == "c") & (pl.col("dry_run") > 0))
                        .then(pl.lit("shrinkage")).otherwise(None).alias("anomaly_type"))
    table = incidents(rows, scores, flags, "det", KEYS, truth=truth)
    got = dict(table.select("item_id", "label").rows())
    assert got["c"] == "phantom"  # two of its three periods
    assert {v for k, v in got.items() if k != "c"} == {"none"}


def test_no_flags_give_an_empty_table():
    rows, scores, flags = case_frames()
    table = incidents(rows, scores, flags.with_columns(pl.lit(False).alias("det")), "det", KEYS)
    assert table.is_empty() and "type_guess" in table.columns


def test_bad_input_is_named():
    rows, scores, flags = case_frames()
    with pytest.raises(ValueError, match=r"scores has no \['other'\]"):
        incidents(rows, scores, flags, "other", KEYS)
    with pytest.raises(ValueError, match="expected Boolean"):
        incidents(rows, scores, scores, "det", KEYS)
    with pytest.raises(ValueError, match=r"evidence has no \['fan_low', 'fan_high'\]"):
        incidents(rows, scores, flags, "det", KEYS, evidence=scores)
    with pytest.raises(ValueError, match="unknown format 'x'"):
        evidence_text("{demand:x}")


@pytest.mark.parametrize(("value", "text"), [
    (1240.0, "1,240"), (80.0, "80"), (150.4, "150"), (3.0, "3"), (2.5, "2.5"), (0.25, "0.25"), (-220.0, "-220"),
    (-0.001, "0"), (12_345_678.9, "12,345,679"), (1_000_000.0, "1,000,000"), (999.6, "1,000"),
])
def test_human_numbers(value, text):
    assert pl.select(human_number(pl.lit(value))).item() == text


def test_every_signal_points_to_known_types():
    for signal in SIGNALS:
        assert {signal.up, signal.down} - {None} <= set(TYPES)
        assert signal.notable > 0 and signal.texts


def test_export_writes_both_files_and_never_overwrites(tmp_path):
    rows, scores, flags = case_frames()
    table = incidents(rows, scores, flags, "det", KEYS)
    parquet, csv = export_alerts(table, tmp_path / "run")
    assert pl.read_parquet(parquet).equals(table)
    assert pl.read_csv(csv, try_parse_dates=True).height == table.height
    assert "1,240" in csv.read_text()
    with pytest.raises(FileExistsError, match="alerts.parquet"):
        export_alerts(table, tmp_path / "run")
    parquet.unlink()
    with pytest.raises(FileExistsError, match="alerts.csv"):
        export_alerts(table, tmp_path / "run")
    assert not parquet.exists()  # nothing written when either file is there
