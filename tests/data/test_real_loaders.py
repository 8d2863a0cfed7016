"""Walmart, M5 and transaction-log layouts on fixtures the tests write (no test reads ../shared)."""

import re
from datetime import date

import polars as pl
import pytest
from panels import write_m5, write_transactions, write_walmart

from workbench.config import compose, section
from workbench.data import PanelError, load_data


def _data(*overrides):
    return section(compose(list(overrides)), "data")


# ---------------------------------------------------------------- Walmart
def test_walmart_layout_with_its_quirks(tmp_path):
    folder = write_walmart(tmp_path / "walmart")
    p = load_data(_data("data=walmart", f"data.path={folder}"))
    assert p.frequency == "1w" and p.keys == ("item_id",)
    assert p.n_series == 6
    assert set(p.static.columns) >= {"item_id", "store", "category", "store_type", "store_size"}
    assert {"holiday", "markdown1", "markdown5"} <= set(p.known_future)
    assert {"cpi", "unemployment", "temperature", "fuel_price"} <= set(p.past_covariates)  # known as they happen
    steps = {e["step"]: e for e in p.log}
    assert any(e.get("line_endings") == "CR" for e in p.log if e["step"] == "read")
    assert steps["negative_demand"]["rows"] == 1 and steps["negative_demand"]["action"] == "clip"
    assert steps["missing_demand"]["rows"] == 1  # the missing week, zero-filled and counted
    assert steps["markdown_missing"]["rows"] > 0
    assert p.demand["demand"].min() == 0.0
    assert p.demand.filter(pl.col("item_id") == "1-3")["date"].min() > date(2010, 2, 5)  # late start kept
    assert p.demand.select(pl.all().null_count()).sum_horizontal().item() == 0


def test_walmart_short_series_are_dropped_and_counted(tmp_path):
    folder = write_walmart(tmp_path / "walmart")
    p = load_data(_data("data=walmart", f"data.path={folder}", "data.validation.min_periods=60"))
    short = next(e for e in p.log if e["step"] == "short_series")
    assert short["series"] == 2  # the late starter and the one with a hole
    assert p.n_series == 4


def test_walmart_missing_column_names_file(tmp_path):
    folder = write_walmart(tmp_path / "walmart")
    text = (folder / "train.csv").read_text().replace("Weekly_Sales", "Sales", 1)
    (folder / "train.csv").write_text(text)
    with pytest.raises(PanelError, match=r"train.csv: no column 'Weekly_Sales' \(data.train_file\)"):
        load_data(_data("data=walmart", f"data.path={folder}"))


def test_walmart_bad_date_names_file_column_and_row(tmp_path):
    folder = write_walmart(tmp_path / "walmart")
    lines = (folder / "train.csv").read_text().splitlines()
    lines[3] = lines[3].replace("2010-02-19", "19/02/2010")
    (folder / "train.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(PanelError, match=r"train.csv: column 'Date' has 1 values .*'19/02/2010' in data row 3"):
        load_data(_data("data=walmart", f"data.path={folder}"))


def test_walmart_duplicate_row_is_named(tmp_path):
    folder = write_walmart(tmp_path / "walmart")
    lines = (folder / "train.csv").read_text().splitlines()
    (folder / "train.csv").write_text("\n".join([*lines, lines[2]]) + "\n")
    with pytest.raises(PanelError, match=r"share a key .*item_id=1-1, date=2010-02-12"):
        load_data(_data("data=walmart", f"data.path={folder}"))


def test_walmart_missing_folder(tmp_path):
    with pytest.raises(PanelError, match=r"data.path=.*no such file or folder"):
        load_data(_data("data=walmart", f"data.path={tmp_path / 'nowhere'}"))


# --------------------------------------------------------------------- M5
def test_m5_layout_melts_joins_and_trims(tmp_path):
    folder = write_m5(tmp_path / "m5")
    p = load_data(_data("data=m5", f"data.path={folder}"))
    assert p.keys == ("item_id", "store")
    assert p.n_series == 8
    assert set(p.static.columns) == {"item_id", "store", "dept", "category", "state"}
    assert p.static_keys == ["item_id", "store"]
    first = p.demand.filter((pl.col("item_id") == "HOBBIES_1_001") & (pl.col("store") == "CA_1"))
    assert first["date"].min() > date(2011, 1, 29)  # trimmed before launch
    assert next(e for e in p.log if e["step"] == "before_launch")["rows"] > 0
    ca = p.demand.filter((pl.col("store") == "CA_1") & (pl.col("date") == date(2011, 2, 5)))
    tx = p.demand.filter((pl.col("store") == "TX_1") & (pl.col("date") == date(2011, 2, 5)))
    assert (ca["snap"] == 1).all() and (tx["snap"] == 1).all()
    assert p.demand.filter(pl.col("date") == date(2011, 2, 6))["event"].max() == 1
    assert p.demand["price"].null_count() == 0
    # the wide values land on the right dates
    raw = pl.read_csv(folder / "sales_train_evaluation.csv")
    assert p.demand.filter((pl.col("item_id") == "HOBBIES_1_002") & (pl.col("store") == "TX_1")
                           & (pl.col("date") == date(2011, 1, 29)))["demand"].item() == raw.filter(
        pl.col("id") == "HOBBIES_1_002_TX_1_evaluation")["d_1"].item()


def test_m5_max_series_is_counted(tmp_path):
    folder = write_m5(tmp_path / "m5")
    p = load_data(_data("data=m5", f"data.path={folder}", "data.max_series=3"))
    assert p.n_series == 3
    assert next(e for e in p.log if e["step"] == "max_series")["rows"] == 5


def test_m5_missing_calendar_column(tmp_path):
    folder = write_m5(tmp_path / "m5")
    cal = pl.read_csv(folder / "calendar.csv").drop("snap_TX")
    cal.write_csv(folder / "calendar.csv")
    with pytest.raises(PanelError, match=r"calendar.csv: no column 'snap_TX'"):
        load_data(_data("data=m5", f"data.path={folder}"))


def test_m5_empty_file(tmp_path):
    folder = write_m5(tmp_path / "m5")
    (folder / "sell_prices.csv").write_text("")
    with pytest.raises(PanelError, match=r"sell_prices.csv: the file is empty"):
        load_data(_data("data=m5", f"data.path={folder}"))


# ----------------------------------------------------------- transactions
def test_transaction_log_aggregates_to_daily_demand(tmp_path):
    path = write_transactions(tmp_path / "orders.csv")
    p = load_data(_data("data=transactions", f"data.path={path}"))
    raw = pl.read_csv(path, encoding="latin1")
    sold = raw.filter(~pl.col("InvoiceNo").cast(pl.String).str.starts_with("C") & (pl.col("Quantity") > 0))
    assert p.demand["demand"].sum() == sold["Quantity"].sum()
    assert p.keys == ("item_id",)
    assert {"orders", "customers"} == set(p.past_covariates)
    # shared features added; no holidays: an export of unknown origin has no country
    assert p.known_future == ("price", "price_index", "promo")
    uk = load_data(_data("data=transactions", f"data.path={path}", "data.holiday_country=GB"))
    assert uk.known_future == ("price", "holiday", "price_index", "promo")
    assert uk.demand.filter(pl.col("date") == date(2010, 12, 27))["holiday"].min() == 1  # Christmas (observed)
    steps = {e["step"]: e for e in p.log}
    assert steps["returns"]["cancelled_lines"] > 0 and steps["returns"]["action"] == "drop"
    assert p.demand.select(pl.all().null_count()).sum_horizontal().item() == 0
    day = p.demand.filter((pl.col("item_id") == "85120A") & (pl.col("date") == date(2010, 12, 1)))
    lines = sold.filter((pl.col("StockCode") == "85120A") & pl.col("InvoiceDate").str.starts_with("01/12/2010"))
    assert day["demand"].item() == lines["Quantity"].sum()
    assert day["orders"].item() == lines["InvoiceNo"].n_unique()


def test_transaction_log_by_channel_and_netted_returns(tmp_path):
    path = write_transactions(tmp_path / "orders.csv")
    drop = load_data(_data("data=transactions", f"data.path={path}", "data.channel_column=Country"))
    net = load_data(_data("data=transactions", f"data.path={path}", "data.channel_column=Country",
                          "data.returns=net", "data.validation.negative_demand=clip"))
    assert drop.keys == ("item_id", "channel")
    assert set(drop.demand["channel"].unique()) == {"United Kingdom", "France"}
    assert net.demand["demand"].sum() < drop.demand["demand"].sum()


def test_transaction_log_wrong_encoding_is_named(tmp_path):
    path = write_transactions(tmp_path / "orders.csv")
    with pytest.raises(PanelError, match=r"orders.csv: .*not valid utf-8.*data.encoding=latin-1"):
        load_data(_data("data=transactions", f"data.path={path}", "data.encoding=utf-8"))


def test_transaction_log_bad_timestamp_and_missing_column(tmp_path):
    path = write_transactions(tmp_path / "orders.csv")
    with pytest.raises(PanelError, match=r"orders.csv: column 'InvoiceDate' \(data.columns.timestamp\) has \d+ values that"
                                         r" are not dates in format %Y-%m-%d \(first: '01/12/2010 \d\d:\d\d' in data row 1\);"
                                         r" the values are in format %d/%m/%Y %H:%M: set data.date_format='%d/%m/%Y %H:%M'"):
        load_data(_data("data=transactions", f"data.path={path}", "data.date_format=%Y-%m-%d"))
    with pytest.raises(PanelError, match=r"no column 'Qty' \(data.columns.quantity\)"):
        load_data(_data("data=transactions", f"data.path={path}", "data.columns.quantity=Qty"))


def test_transaction_log_timestamps_without_a_format_are_detected(tmp_path):
    path = write_transactions(tmp_path / "orders.csv")
    given = load_data(_data("data=transactions", f"data.path={path}"))  # conf: %d/%m/%Y %H:%M
    day_first = load_data(_data("data=transactions", f"data.path={path}", "data.date_format=null"))
    assert day_first.demand.equals(given.demand)
    entry = next(e for e in day_first.log if e["step"] == "date_format")
    assert entry["format"] == "%d/%m/%Y %H:%M" and entry["column"] == "InvoiceDate"
    assert entry["rows"] == pl.read_csv(path, encoding="latin1").height and entry["proof"].startswith("13/12/2010")
    assert not [e for e in given.log if e["step"] == "date_format"]
    # the same export written the US way, unpadded ("12/1/2010 8:26", as the UCI CSV has it)
    text = path.read_bytes().decode("latin-1")
    us = re.sub(r"(\d\d)/(\d\d)/(\d{4}) 0?(\d+):", lambda m: f"{int(m[2])}/{int(m[1])}/{m[3]} {m[4]}:", text)
    (tmp_path / "us.csv").write_bytes(us.encode("latin-1"))
    month_first = load_data(_data("data=transactions", f"data.path={tmp_path / 'us.csv'}", "data.date_format=null"))
    assert month_first.demand.equals(given.demand)
    assert next(e for e in month_first.log if e["step"] == "date_format")["format"] == "%m/%d/%Y %H:%M"


def test_transaction_log_text_quantity_is_named_with_its_row(tmp_path):
    path = write_transactions(tmp_path / "orders.csv")
    lines = path.read_bytes().decode("latin-1").splitlines()
    cells = lines[4].split(",")
    cells[3] = "a dozen"
    lines[4] = ",".join(cells)
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    with pytest.raises(PanelError, match=r"orders.csv: column 'Quantity' \(data.columns.quantity\) has 1 values that are"
                                         r" not numbers \(first: 'a dozen' in data row 4\)"):
        load_data(_data("data=transactions", f"data.path={path}"))


def test_transaction_log_empty_file(tmp_path):
    empty = tmp_path / "orders.csv"
    empty.write_text("")
    with pytest.raises(PanelError, match="orders.csv: the file is empty"):
        load_data(_data("data=transactions", f"data.path={empty}"))


def test_shared_features_holidays_and_promotions(tmp_path):
    path = write_transactions(tmp_path / "orders.csv")
    p = load_data(_data("data=transactions", f"data.path={path}", "data.holiday_country=GB"))
    christmas = p.demand.filter(pl.col("date") == date(2010, 12, 25))
    assert christmas.height and (christmas["holiday"] == 1).all()  # GB holidays from the holidays package
    assert p.demand.filter(pl.col("date") == date(2010, 12, 14))["holiday"].max() == 0
    assert p.demand["price_index"].max() == pytest.approx(1.0)
    assert (p.demand.filter(pl.col("promo") == 1)["price_index"] <= 0.9).all()
