"""The shipment-history loader on small files with each quirk of the SCMS history, and on the real file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from workbench.config.risk import ShipmentsConfig
from workbench.data.schema import PanelError
from workbench.risk import schema as s
from workbench.risk.shipments import load_shipments, quality_by_mode, quality_table

REAL = Path(__file__).parents[2].parent / "shared/data/scms_shipment_pricing/SCMS_Delivery_History_Dataset.csv"
HEADER = ("ID,Vendor,Country,Shipment Mode,PO Sent to Vendor Date,Scheduled Delivery Date,Delivered to Client Date,"
          "Delivery Recorded Date,Line Item Value,Weight (Kilograms),Freight Cost (USD)")
ROWS = [
    '1,V1,KE,Air,1/10/14,2-Jun-14,2-Jun-14,3-Jun-14,"1,200.50",100,500',
    "2,V1,KE,Air,Date Not Captured,10-Jun-14,15-Jun-14,16-Jun-14,800,See ASN-1 (ID#:1),See ASN-1 (ID#:1)",
    "3,V2,TZ,N/A,N/A - From RDC,1-Jul-14,28-Jun-14,1-Jul-14,300,Weight Captured Separately,"
    "Freight Included in Commodity Cost",
    "4,V2,TZ,Truck,6/1/14,1-Jul-14,20-Jul-14,18-Jul-14,50,See DN-9 (ID#:999),Invoiced Separately",
    "5,V3,TZ,Truck,8/1/14,1-Aug-14,25-Jul-14,26-Jul-14,70,See ASN-3 (ID#:3),",
]
MAPPING = {"shipment_id": "ID", "vendor": "Vendor", "country": "Country", "mode": "Shipment Mode",
           "po_date": "PO Sent to Vendor Date", "scheduled_date": "Scheduled Delivery Date",
           "delivered_date": "Delivered to Client Date", "recorded_date": "Delivery Recorded Date",
           "value": "Line Item Value", "weight_kg": "Weight (Kilograms)", "freight_usd": "Freight Cost (USD)"}


def write(tmp_path: Path, rows: list[str] = ROWS, header: str = HEADER, bom: bool = True, newline: str = "\r") -> str:
    path = tmp_path / "history.csv"
    text = newline.join([header, *rows]) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return str(path)


def config(path: str, **overrides) -> ShipmentsConfig:
    return ShipmentsConfig(path=path, columns=dict(MAPPING), **overrides)


def entries(log: list[dict], step: str, column: str | None = None) -> list[dict]:
    return [e for e in log if e["step"] == step and (column is None or e.get("column") == column)]


def test_quirks_are_read_and_logged(tmp_path):
    sh = load_shipments(config(write(tmp_path)))
    f = sh.frame
    assert f.height == 5 and sh.path.endswith("history.csv")
    read = entries(sh.log, "read")[0]
    assert read["bom"] is True and read["line_endings"] == "CR"
    assert f.schema[s.PO_DATE] == pl.Date and f.schema[s.WEIGHT] == pl.Float64 and f.schema[s.DELAY] == pl.Int64
    assert s.INSURANCE not in f.columns and s.QUANTITY + s.NOTE not in f.columns  # not mapped: absent
    assert f[s.VALUE].to_list() == [1200.5, 800.0, 300.0, 50.0, 70.0]  # thousands separator stripped
    assert f[s.WEIGHT].to_list() == [100.0, 100.0, None, None, None]
    assert f[s.WEIGHT + s.NOTE].to_list() == ["value", "reference", "separate", "unresolved reference",
                                               "unresolved reference"]
    assert f[s.FREIGHT].to_list() == [500.0, 500.0, None, None, None]
    assert f[s.FREIGHT + s.NOTE].to_list() == ["value", "reference", "included", "separate", "missing"]
    assert f[s.MODE].to_list() == ["Air", "Air", None, "Truck", "Truck"]
    assert f[s.PO_DATE].to_list()[:3] == [dt.date(2014, 1, 10), None, None]
    assert f[s.SCHEDULED][0] == dt.date(2014, 6, 2)
    missing = {(e["column"], e["text"]): e["rows"] for e in entries(sh.log, "missing_values")}
    assert missing == {(s.MODE, "N/A"): 1, (s.PO_DATE, "Date Not Captured"): 1, (s.PO_DATE, "N/A - From RDC"): 1,
                       (s.FREIGHT, ""): 1}
    refs = {(e["column"], e["action"]): e for e in entries(sh.log, "reference")}
    assert refs[(s.WEIGHT, "resolved")]["rows"] == 1
    unresolved = refs[(s.WEIGHT, "unresolved: null")]
    assert (unresolved["rows"], unresolved["absent_id"], unresolved["not_a_number"]) == (2, 1, 1)
    texts = {(e["column"], e["text"]): e["rows"] for e in entries(sh.log, "number_text")}
    assert texts == {(s.WEIGHT, "Weight Captured Separately"): 1, (s.FREIGHT, "Freight Included in Commodity Cost"): 1,
                     (s.FREIGHT, "Invoiced Separately"): 1}
    assert entries(sh.log, "delivered_before_po")[0]["rows"] == 1


def test_derived_columns(tmp_path):
    f = load_shipments(config(write(tmp_path))).frame
    assert f[s.DELAY].to_list() == [0, 5, -3, 19, -7]
    assert f[s.LATE].to_list() == [False, True, False, True, False]
    assert f[s.LEAD_TIME].to_list() == [143, None, None, 49, -7]
    assert f[s.SCHEDULED_LEAD].to_list() == [143, None, None, 30, 0]
    ratio = f[s.LEAD_RATIO].to_list()  # none where the plan is 0 days or the delivery precedes the order
    assert ratio[0] == 1.0 and ratio[3] == pytest.approx(49 / 30) and ratio[4] is None
    assert f[s.YEAR].to_list() == [2014] * 5 and f[s.MONTH].to_list() == [6, 6, 7, 7, 8]
    later = load_shipments(config(write(tmp_path), late_after_days=5)).frame
    assert later[s.LATE].to_list() == [False, False, False, True, False]


def test_quality_tables(tmp_path):
    sh = load_shipments(config(write(tmp_path)))
    q = {r["check"]: r for r in quality_table(sh).iter_rows(named=True)}
    assert q["delivered on the scheduled day"]["rows"] == 1 and q["delivered on the scheduled day"]["share"] == 0.2
    assert q["PO date missing"]["rows"] == 2
    assert q["delivered before PO sent"]["rows"] == 1
    assert q["delivery recorded before delivered"]["rows"] == 1
    assert q["shipment mode missing"]["rows"] == 1
    assert q["weight_kg: unresolved reference"]["rows"] == 2 and q["freight_usd: included"]["rows"] == 1
    by_mode = {r["mode"]: r for r in quality_by_mode(sh.frame).iter_rows(named=True)}
    assert by_mode["Air"]["exact_share"] == 0.5 and by_mode["Air"]["late_share"] == 0.5
    assert by_mode["Truck"]["early_share"] == 0.5 and by_mode["(missing)"]["shipments"] == 1
    assert by_mode["all"]["shipments"] == 5


def test_plain_file_and_two_digit_years(tmp_path):
    rows = ["1,V1,KE,Air,6/1/06,2-Jun-06,2-Jun-06,2-Jun-06,10,1,1"]
    formats = {**ShipmentsConfig().date_formats, "scheduled_date": ["%d-%b-%Y", "%d-%b-%y"]}
    sh = load_shipments(config(write(tmp_path, rows, bom=False, newline="\n"), date_formats=formats))
    assert "bom" not in sh.log[0] and "line_endings" not in sh.log[0]
    # %Y would read "06" as the year 6: it does not count, and %y reads 2006
    assert sh.frame[s.SCHEDULED][0] == dt.date(2006, 6, 2) and sh.frame[s.PO_DATE][0] == dt.date(2006, 6, 1)


def test_bad_date_names_column_row_and_setting(tmp_path):
    rows = [*ROWS[:2], ROWS[2].replace("1-Jul-14", "2014-07-01", 1)]
    with pytest.raises(PanelError) as err:
        load_shipments(config(write(tmp_path, rows)))
    msg = str(err.value)
    assert "'Scheduled Delivery Date' (scheduled_date)" in msg and "'2014-07-01'" in msg and "data row 3" in msg
    assert "risk.shipments.date_formats.scheduled_date" in msg and "history.csv" in msg


def test_unknown_text_in_a_number_column(tmp_path):
    rows = [*ROWS[:3], ROWS[3].replace("See DN-9 (ID#:999)", "about 5 kg")]
    with pytest.raises(PanelError) as err:
        load_shipments(config(write(tmp_path, rows)))
    msg = str(err.value)
    assert "'Weight (Kilograms)' (weight_kg)" in msg and "'about 5 kg'" in msg and "data row 4" in msg
    assert "risk.shipments.number_texts" in msg and "risk.shipments.reference_pattern" in msg


def test_missing_required_column_names_the_setting(tmp_path):
    header = HEADER.replace("Shipment Mode", "Transport")
    with pytest.raises(PanelError, match=r"no column 'Shipment Mode' for 'mode' \(risk\.shipments\.columns\.mode\)"):
        load_shipments(config(write(tmp_path, header=header)))
    unset = {k: v for k, v in MAPPING.items() if k != "vendor"}
    with pytest.raises(PanelError, match=r"risk\.shipments\.columns\.vendor is not set"):
        load_shipments(ShipmentsConfig(path=write(tmp_path), columns=unset))
    with pytest.raises(PanelError, match=r"risk\.shipments\.columns\.carrier: 'carrier' is not a canonical"):
        load_shipments(ShipmentsConfig(path=write(tmp_path), columns={**MAPPING, "carrier": "Vendor"}))


def test_duplicate_ids_and_empty_keys(tmp_path):
    rows = [*ROWS[:2], ROWS[2].replace("3,", "1,", 1)]
    with pytest.raises(PanelError, match=r"repeated shipment id \(first: '1' in data rows \[1, 3\]\)"):
        load_shipments(config(write(tmp_path, rows)))
    rows = [ROWS[0], ROWS[1].replace(",V1,", ",,")]
    with pytest.raises(PanelError, match=r"column 'Vendor' is empty in 1 rows \(first: data row 2\)"):
        load_shipments(config(write(tmp_path, rows)))


@pytest.mark.skipif(not REAL.exists(), reason=f"the SCMS delivery history is not at {REAL}")
def test_real_scms_history():
    sh = load_shipments(ShipmentsConfig(path=str(REAL)))
    f = sh.frame
    assert f.height == 10_324 and f[s.SHIPMENT_ID].n_unique() == 10_324
    assert f.select(pl.col(s.SCHEDULED, s.DELIVERED).null_count()).row(0) == (0, 0)
    assert f[s.YEAR].min() == 2006 and f[s.YEAR].max() == 2015  # two-digit years in this century
    freight = dict(f[s.FREIGHT + s.NOTE].value_counts().iter_rows())
    weight = dict(f[s.WEIGHT + s.NOTE].value_counts().iter_rows())
    assert freight["included"] == 1_442 and freight["separate"] == 239 and weight["separate"] == 1_507
    assert freight["reference"] > 2_000 and weight["reference"] > 2_000
    assert 0 < freight["unresolved reference"] < 200 and 0 < weight["unresolved reference"] < 200
    assert f[s.MODE].null_count() == 360 and f[s.PO_DATE].null_count() == 5_732
    assert f.filter(pl.col(s.FREIGHT + s.NOTE).is_in(["value", "reference"]))[s.FREIGHT].null_count() == 0
    read = entries(sh.log, "read")[0]
    assert read["bom"] is True and read["line_endings"] == "CR"
    q = {r["check"]: r["share"] for r in quality_table(sh).iter_rows(named=True)}
    assert q["delivered on the scheduled day"] > 0.5  # the history's own oddity, shown
