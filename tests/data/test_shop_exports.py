"""Real shop data as it is exported: mapped columns checked by name, holiday columns and files,
closed days, ambiguous dates, and transaction logs in two files, one unit per line, with a
status column and a cut-off last line. Every fixture is written here (no test reads ../shared)."""

from datetime import date, timedelta

import polars as pl
import pytest

from workbench.config import compose, section
from workbench.data import PanelError, load_data
from workbench.data.quality import quality_table
from workbench.data.study import quality_summary

DAYS = [date(2024, 1, 1) + timedelta(days=k) for k in range(84)]


def _data(*overrides):
    return section(compose(["experiment=quick", *overrides]), "data")


@pytest.fixture
def stores_csv(tmp_path):
    """Two stores, 84 days: closed on Sundays (Open=0, no sales), StateHoliday text 0/a/b,
    a promo flag; sales otherwise between 5 and 12."""
    rows = ["Store,Date,Sales,Open,StateHoliday,Promo"]
    for store in (1, 2):
        for k, d in enumerate(DAYS):
            is_open = int(d.weekday() != 6)
            holiday = {date(2024, 1, 1): "a", date(2024, 3, 1): "b"}.get(d, "0")
            rows.append(f"{store},{d.isoformat()},{(5 + k % 8) * is_open},{is_open},{holiday},{k % 5 == 0:d}")
    path = tmp_path / "train.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def _stores(path, *extra):
    return _data("data=panel", f"data.path={path}", "data.columns.item_id=Store", "data.columns.date=Date",
                 "data.columns.demand=Sales", *extra)


# ---------------------------------------------------------------- column mapping
def test_unknown_canonical_column_is_refused_with_the_known_names(stores_csv):
    with pytest.raises(PanelError, match=r"data.columns.holliday: 'holliday' is not a canonical column name; the"
                                         r" names a mapping may use are item_id, date, demand, price, promo, holiday,"
                                         r" closed, stock_on_hand"):
        load_data(_stores(stores_csv, "+data.columns.holliday=StateHoliday"))


def test_unknown_canonical_column_of_a_transaction_log_is_refused(tmp_path):
    path = _order_lines(tmp_path)
    with pytest.raises(PanelError, match=r"data.columns.qty: 'qty' is not a canonical column name; .* order_id,"
                                         r" item_id, quantity, timestamp, unit_price"):
        load_data(_lines_cfg(path, "+data.columns.qty=n"))


# ---------------------------------------------------------------- holidays
def test_holiday_text_column_is_encoded_as_flags_and_counted(stores_csv):
    p = load_data(_stores(stores_csv, "+data.columns.holiday=StateHoliday"))
    assert {"holiday", "holiday_a", "holiday_b"} <= set(p.known_future)
    d = p.demand.filter(pl.col("item_id") == "1")
    assert d.filter(pl.col("date") == date(2024, 1, 1)).select("holiday", "holiday_a", "holiday_b").row(0) == (1, 1, 0)
    assert d.filter(pl.col("date") == date(2024, 3, 1)).select("holiday", "holiday_a", "holiday_b").row(0) == (1, 0, 1)
    assert d["holiday"].sum() == 2 and d.schema["holiday"] == pl.Float64
    entry = next(e for e in p.log if e["step"] == "holiday_column")
    assert entry["rows"] == 4 and entry["categories"] == {"a": 2, "b": 2} and entry["column"] == "StateHoliday"
    # a holiday column from the data wins over a country: the country's holidays are not added
    assert not any(e.get("columns", "").startswith("holiday") for e in p.log if e["step"] == "features")


def test_holidays_file_of_the_data_per_store(stores_csv, tmp_path):
    file = tmp_path / "holidays.csv"
    file.write_text("day,shop\n05/01/2024,1\n15/01/2024,2\n15/01/2024,1\n")
    p = load_data(_stores(stores_csv, f"data.holidays_path={file}", "+data.holidays_columns.item_id=shop",
                          "data.holidays_columns.date=day"))
    flagged = p.demand.filter(pl.col("holiday") == 1).select("item_id", "date").sort("item_id", "date")
    assert flagged.rows() == [("1", date(2024, 1, 5)), ("1", date(2024, 1, 15)), ("2", date(2024, 1, 15))]
    assert "holiday" in p.known_future
    assert next(e for e in p.log if e["step"] == "holidays_file")["rows"] == 3
    with pytest.raises(PanelError, match=r"data.holidays_path=.* and data.holiday_country='DE' are both set"):
        load_data(_stores(stores_csv, f"data.holidays_path={file}", "data.holiday_country=DE"))
    with pytest.raises(PanelError, match=r"data.holidays_columns.region: the panel has no column 'region'"):
        load_data(_stores(stores_csv, f"data.holidays_path={file}", "+data.holidays_columns.region=shop",
                          "data.holidays_columns.date=day"))


def test_holidays_file_per_region_of_the_static_table(stores_csv, tmp_path):
    (tmp_path / "stores.csv").write_text("Store,State\n1,BY\n2,NW\n")
    (tmp_path / "holidays.csv").write_text("date,state\n2024-01-06,BY\n2024-02-01,NW\n2024-02-02,BY\n")
    p = load_data(_stores(stores_csv, f"data.static_path={tmp_path / 'stores.csv'}", "data.static_columns.item_id=Store",
                          "+data.static_columns.region=State", f"data.holidays_path={tmp_path / 'holidays.csv'}",
                          "+data.holidays_columns.region=state"))
    flagged = p.demand.filter(pl.col("holiday") == 1).select("item_id", "date").sort("item_id", "date")
    assert flagged.rows() == [("1", date(2024, 1, 6)), ("1", date(2024, 2, 2)), ("2", date(2024, 2, 1))]
    assert "region" not in p.demand.columns  # the static column is only looked up
    with pytest.raises(PanelError, match=r"data.holidays_path=.* is set but the data has its own holiday column"):
        load_data(_stores(stores_csv, "+data.columns.holiday=StateHoliday",
                          f"data.holidays_path={tmp_path / 'holidays.csv'}"))


def test_holiday_country_takes_a_subdivision(stores_csv):
    national = load_data(_stores(stores_csv, "data.holiday_country=DE")).demand
    bavaria = load_data(_stores(stores_csv, "data.holiday_country=DE-BY")).demand
    epiphany = pl.col("date") == date(2024, 1, 6)  # a holiday in Bavaria, not in all of Germany
    assert national.filter(epiphany)["holiday"].sum() == 0
    assert bavaria.filter(epiphany)["holiday"].sum() == 2
    assert bavaria["holiday"].sum() > national["holiday"].sum()
    with pytest.raises(PanelError, match=r"data.holiday_country='DE-XX': DE has no subdivision 'XX'; its"
                                         r" subdivisions are BB, BE, BW, BY"):
        load_data(_stores(stores_csv, "data.holiday_country=DE-XX"))
    with pytest.raises(PanelError, match=r"'ZZ' is not a country the holidays package knows"):
        load_data(_stores(stores_csv, "data.holiday_country=ZZ"))


def test_no_holiday_country_is_assumed_for_an_order_log():
    assert section(compose(["experiment=transactions", "data.path=x.csv"]), "data").holiday_country is None
    uci = section(compose(["experiment=online_retail"]), "data")
    assert uci.holiday_country == "GB" and uci.validation.truncated_last_line == "drop"


# ---------------------------------------------------------------- closed days
def test_closed_days_are_a_known_future_flag_and_not_censoring(stores_csv):
    plain = load_data(_stores(stores_csv))
    p = load_data(_stores(stores_csv, "+data.columns.closed=Open", "data.closed_values=[0]"))
    assert "closed" in p.known_future and p.demand.schema["closed"] == pl.Float64
    sundays = p.demand.filter(pl.col("date").dt.weekday() == 7)
    assert sundays["closed"].min() == 1 and p.demand.filter(pl.col("date").dt.weekday() != 7)["closed"].max() == 0
    entry = next(e for e in p.log if e["step"] == "closed")
    assert entry["rows"] == 2 * 12 and entry["with_sales"] == 0
    quality = quality_table(p, alpha=0.5)
    assert quality["censored_days"].sum() == 0 and quality["closed_days"].to_list() == [12, 12]
    assert quality_summary(quality, p)["closed periods"].item() == 24
    # without the column the same Sundays look like censoring at this alpha
    assert quality_table(plain, alpha=0.5)["censored_days"].sum() >= 20


def test_closed_values_compare_as_text_too(tmp_path):
    path = tmp_path / "flags.csv"
    path.write_text("sku,day,units,state\n" + "".join(
        f"A,{d.isoformat()},{0 if k % 7 == 0 else 3},{'shut' if k % 7 == 0 else 'open'}\n" for k, d in enumerate(DAYS)))
    p = load_data(_data("data=panel", f"data.path={path}", "data.columns.item_id=sku", "data.columns.date=day",
                        "data.columns.demand=units", "+data.columns.closed=state", "data.closed_values=[shut]"))
    assert p.demand["closed"].sum() == 12


# ---------------------------------------------------------------- dates
def test_dates_that_read_both_ways_are_refused_or_decided_by_the_others(tmp_path):
    both = tmp_path / "both.csv"
    both.write_text("sku,day,units\nA,1/2/2013,1\nA,1/3/2013,2\n")
    with pytest.raises(PanelError, match=r"read both day-first and month-first \(%d/%m/%Y or %m/%d/%Y\).*first:"
                                         r" '1/2/2013' in data row 1\); set data.date_format='%d/%m/%Y' or"
                                         r" data.date_format='%m/%d/%Y'"):
        load_data(_data("data=panel", f"data.path={both}", "data.columns.item_id=sku", "data.columns.date=day",
                        "data.columns.demand=units"))
    decided = tmp_path / "decided.csv"
    decided.write_text("sku,day,units\n" + "".join(f"A,{d.day}/{d.month}/{d.year},1\n" for d in DAYS[:20]))
    p = load_data(_data("data=panel", f"data.path={decided}", "data.columns.item_id=sku", "data.columns.date=day",
                        "data.columns.demand=units"))
    entry = next(e for e in p.log if e["step"] == "date_format")
    assert entry["format"] == "%d/%m/%Y" and entry["proof"] == "13/1/2024" and entry["ambiguous_values"] == 12
    assert p.demand["date"].to_list() == DAYS[:20]


# ---------------------------------------------------------------- transaction logs
def _order_lines(tmp_path, cut: bool = False):
    """Olist-like order lines (no quantity: one unit per line) and their orders in a second
    file with a timestamp and a status; order o9 is cancelled, line 4's order is missing."""
    lines = ["order_id,product_id,price"]
    orders = ["id,placed,order_status"]
    for k in range(10):
        day = DAYS[k]
        orders.append(f"o{k},{day.isoformat()} 10:00,{'canceled' if k == 9 else 'delivered'}")
        lines += [f"o{k},P1,9.9", f"o{k},P1,9.9", f"o{k},P2,5.0"]
    lines.append("o99,P2,5.0")  # its order is not in the orders file
    text = "\n".join(lines) + "\n" + ("o3,P2" if cut else "")
    (tmp_path / "items.csv").write_text(text)
    (tmp_path / "orders.csv").write_text("\n".join(orders) + "\n")
    return tmp_path / "items.csv"


def _lines_cfg(path, *extra):
    return _data("data=transactions", f"data.path={path}", f"data.orders_path={path.parent / 'orders.csv'}",
                 "data.orders_key=id", "data.columns.order_id=order_id", "data.columns.item_id=product_id",
                 "data.columns.timestamp=placed", "data.columns.unit_price=price", "~data.columns.quantity",
                 "data.units_per_line=1", "data.customer_column=null", "data.status_column=order_status",
                 "data.date_format=null", "data.cancellation_prefix=null", *extra)


def test_two_file_export_joined_one_unit_lines_status_cancellations(tmp_path):
    path = _order_lines(tmp_path)
    with pytest.raises(PanelError, match=r"items.csv: 1 order lines have no order in .*orders.csv \(first: order"
                                         r" 'o99' in data row 31\); set data.validation.missing_orders=drop"):
        load_data(_lines_cfg(path))
    p = load_data(_lines_cfg(path, "data.validation.missing_orders=drop"))
    steps = {e["step"]: e for e in p.log}
    assert steps["missing_orders"]["rows"] == 1 and steps["missing_orders"]["action"] == "drop"
    assert steps["units_per_line"]["rows"] == 30
    assert steps["cancelled_status"]["rows"] == 3 and steps["cancelled_status"]["orders"] == 1
    p1 = p.demand.filter(pl.col("item_id") == "P1").sort("date")
    assert p1["demand"].to_list() == [2.0] * 9  # two lines a day, the cancelled tenth day gone
    assert p.demand["demand"].sum() == 27.0


def test_quantity_column_and_units_per_line_together_are_refused(tmp_path):
    path = _order_lines(tmp_path)
    with pytest.raises(PanelError, match=r"data.units_per_line=1.0 and data.columns.quantity='price'"):
        load_data(_lines_cfg(path, "+data.columns.quantity=price", "data.validation.missing_orders=drop"))


def test_truncated_last_line_is_refused_or_dropped_and_counted(tmp_path):
    path = _order_lines(tmp_path, cut=True)
    with pytest.raises(PanelError, match=r"items.csv: the last line \(line 33\) is cut off: 'o3,P2' has 2 of the"
                                         r" header's 3 fields .*data.validation.truncated_last_line=drop"):
        load_data(_lines_cfg(path, "data.validation.missing_orders=drop"))
    p = load_data(_lines_cfg(path, "data.validation.missing_orders=drop", "data.validation.truncated_last_line=drop"))
    read = p.log[0]
    assert read["truncated_last_line"] == 33 and read["lines"] == 31
    assert p.demand["demand"].sum() == 27.0
    # a whole last line without a line break is read as it is
    whole = tmp_path / "whole.csv"
    whole.write_text(path.read_text().rsplit("\n", 1)[0].rstrip("\n"))
    q = load_data(_lines_cfg(whole, "data.validation.missing_orders=drop"))
    assert "truncated_last_line" not in q.log[0] and q.log[0]["lines"] == 31
