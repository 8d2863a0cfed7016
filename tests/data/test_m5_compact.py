"""The M5 loader's compact panel: Enum keys, 32-bit values, the file's numbers exactly, and
every check of bad input still naming the file, the column or the row."""

from datetime import date

import polars as pl
import pytest
from panels import write_m5

from workbench.config import compose, section
from workbench.data import PanelError, load_data
from workbench.data.io import csv_header
from workbench.forecast.series import to_series_set

SALES = "sales_train_evaluation.csv"


def _load(folder, *extra):
    return load_data(section(compose(["data=m5", f"data.path={folder}", *extra]), "data"))


@pytest.fixture(scope="module")
def m5(tmp_path_factory):
    folder = write_m5(tmp_path_factory.mktemp("m5") / "m5", n_items=5, stores=("CA_1", "TX_1", "WI_1"), n_days=90)
    return folder, _load(folder)


def test_keys_are_enums_and_values_are_32_bit(m5):
    _, p = m5
    schema = p.demand.schema
    assert all(isinstance(schema[k], pl.Enum) for k in p.keys)
    assert schema["item_id"].categories.to_list() == sorted(p.demand["item_id"].cast(pl.String).unique())
    assert schema["date"] == pl.Date
    assert {c: schema[c] for c in ("demand", "price", "price_index")} == dict.fromkeys(
        ("demand", "price", "price_index"), pl.Float32)
    assert {c: schema[c] for c in ("event", "snap", "holiday", "promo")} == dict.fromkeys(
        ("event", "snap", "holiday", "promo"), pl.Int8)
    # the static table's keys join onto the demand rows as they are
    assert all(p.static.schema[k] == schema[k] for k in p.keys)
    assert p.demand.join(p.static, on=list(p.keys), how="anti").height == 0


def test_rows_come_sorted_and_equal_the_wide_file(m5):
    folder, p = m5
    assert p.demand.equals(p.demand.sort([*p.keys, "date"]))
    wide = pl.read_csv(folder / SALES)
    cal = pl.read_csv(folder / "calendar.csv").select("d", pl.col("date").str.to_date())
    cells = (wide.unpivot(index=["item_id", "store_id"], on=[c for c in wide.columns if c.startswith("d_")],
                          variable_name="d", value_name="sold")
             .join(cal, on="d").rename({"store_id": "store"}))
    got = p.demand.select(pl.col("item_id", "store").cast(pl.String), "date", "demand")
    both = cells.join(got, on=["item_id", "store", "date"], how="left")
    kept = both.filter(pl.col("demand").is_not_null())
    assert kept.height == p.demand.height
    assert (kept["sold"] == kept["demand"]).all()
    # what is not in the panel is the days of the late-launched item before its first price
    trimmed = both.filter(pl.col("demand").is_null())
    assert trimmed.height == next(e for e in p.log if e["step"] == "before_launch")["rows"] > 0
    assert trimmed["item_id"].unique().to_list() == ["HOBBIES_1_001"]
    first_priced = p.demand.filter(pl.col("item_id") == "HOBBIES_1_001")["date"].min()
    assert trimmed["date"].max() < first_priced


def test_covariates_are_looked_up_per_state_and_week(m5):
    folder, p = m5
    prices = pl.read_csv(folder / "sell_prices.csv")
    row = p.demand.filter((pl.col("item_id") == "HOBBIES_1_003") & (pl.col("store") == "WI_1")
                          & (pl.col("date") == date(2011, 2, 2)))
    week = 11101 + 4 // 7  # the fifth day of the calendar (from 2011-01-29)
    price = prices.filter((pl.col("item_id") == "HOBBIES_1_003") & (pl.col("store_id") == "WI_1")
                          & (pl.col("wm_yr_wk") == week))["sell_price"].item()
    assert row["price"].item() == pytest.approx(price, rel=1e-6)
    assert row["snap"].item() == 1  # WI's SNAP days are the 2nd to the 16th
    tx = p.demand.filter((pl.col("store") == "TX_1") & (pl.col("date") == date(2011, 2, 2)))
    assert (tx["snap"] == 0).all()  # TX's are the 3rd to the 15th


def test_large_and_decimal_sales_are_read_wider(tmp_path):
    folder = write_m5(tmp_path / "m5")
    sales = pl.read_csv(folder / SALES).with_columns(
        pl.when(pl.col("id") == "HOBBIES_1_002_CA_1_evaluation").then(40_000).otherwise(pl.col("d_20")).alias("d_20"),
        pl.when(pl.col("id") == "HOBBIES_1_003_CA_1_evaluation").then(2.5).otherwise(pl.col("d_30")).alias("d_30"))
    sales.write_csv(folder / SALES)
    p = _load(folder)
    day = p.demand.filter(pl.col("store") == "CA_1").sort("item_id", "date")
    assert day.filter((pl.col("item_id") == "HOBBIES_1_002") & (pl.col("date") == date(2011, 2, 17)))["demand"].item() == 40_000
    assert day.filter((pl.col("item_id") == "HOBBIES_1_003") & (pl.col("date") == date(2011, 2, 27)))["demand"].item() == 2.5


def test_text_in_a_day_column_is_named(tmp_path):
    folder = write_m5(tmp_path / "m5")
    sales = pl.read_csv(folder / SALES).with_columns(pl.col("d_7").cast(pl.String).str.replace("^", "x"))
    sales.write_csv(folder / SALES)
    with pytest.raises(PanelError, match=r"sales_train_evaluation.csv: day column 'd_7' is String; expected unit sales"):
        _load(folder)


def test_text_in_the_prices_is_named_with_its_row(tmp_path):
    folder = write_m5(tmp_path / "m5")
    prices = pl.read_csv(folder / "sell_prices.csv").with_columns(
        pl.when(pl.int_range(pl.len()) == 4).then(pl.lit("n/a")).otherwise(pl.col("sell_price").cast(pl.String))
        .alias("sell_price"))
    prices.write_csv(folder / "sell_prices.csv")
    with pytest.raises(PanelError, match=r"sell_prices.csv: column 'sell_price' has 1 values .*'n/a' in data row 5"):
        _load(folder)


def test_an_empty_sales_cell_is_missing_demand(tmp_path):
    folder = write_m5(tmp_path / "m5")
    sales = pl.read_csv(folder / SALES).with_columns(
        pl.when(pl.col("id") == "HOBBIES_1_002_TX_1_evaluation").then(None).otherwise(pl.col("d_40")).alias("d_40"))
    sales.write_csv(folder / SALES)
    with pytest.raises(PanelError, match=r"column 'demand' has 1 missing values \(first row: item_id=HOBBIES_1_002,"
                                         r" store=TX_1, date=2011-03-09\)"):
        _load(folder)
    p = _load(folder, "data.validation.missing_demand=zero")
    assert next(e for e in p.log if e["step"] == "missing_demand")["rows"] == 1
    assert p.demand.schema["demand"] == pl.Float32


def test_a_series_listed_twice_is_a_duplicate(tmp_path):
    folder = write_m5(tmp_path / "m5")
    sales = pl.read_csv(folder / SALES)
    pl.concat([sales, sales.slice(3, 1)]).write_csv(folder / SALES)
    with pytest.raises(PanelError, match=r"rows share a key .*first duplicate: item_id=HOBBIES_1_004, store=CA_1"):
        _load(folder)


def test_header_is_read_alone_whatever_the_line_endings(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes(b"\xef\xbb\xbfid,item_id,d_1,d_2\r1,a,0,1\r")
    assert csv_header(path) == ["id", "item_id", "d_1", "d_2"]
    (tmp_path / "empty.csv").write_bytes(b"\n")
    with pytest.raises(PanelError, match=r"empty.csv: the file is empty"):
        csv_header(tmp_path / "empty.csv")


def test_forecasting_keys_keep_the_panels_types(m5):
    _, p = m5
    data = to_series_set(p)
    assert data.keys.schema == p.demand.select(p.keys).schema
    assert data.keys.join(p.demand, on=list(p.keys), how="anti").height == 0
