from datetime import date, timedelta

import polars as pl
import pytest

from workbench.config import CONF_DIR, DATA_SOURCES, PanelFileConfig, ValidationPolicy
from workbench.data import DemandPanel, PanelError, load_data, validate_panel
from workbench.data.panel import DEMAND


@pytest.fixture
def panel_cfg(quick):
    """``panel_cfg(path, *overrides)``: the data section of the quick experiment reading ``path`` with data=panel."""
    return lambda path, *extra: quick.section("data", "data=panel", f"data.path={path}", *extra)


@pytest.fixture
def sales_csv(tmp_path):
    rows = ["sku,day,units,list_price,shop"]
    for sku in ("A1", "B2"):
        for d in range(1, 11):
            for shop in ("web", "store"):
                rows.append(f"{sku},{d:02d}/01/2024,{d % 4},{9.5},{shop}")
    path = tmp_path / "sales.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def mapped(panel_cfg):
    """``mapped(path, *overrides)``: the fixture file's columns mapped to the panel's."""
    return lambda path, *extra: panel_cfg(
        path,
        "data.columns.item_id=sku",
        "data.columns.date=day",
        "data.columns.demand=units",
        "data.date_format=%d/%m/%Y",
        "data.channel_column=shop",
        "+data.columns.price=list_price",
        "data.known_future=[price]",
        *extra,
    )


def test_csv_with_mapped_columns_and_channels(sales_csv, mapped):
    p = load_data(mapped(sales_csv))
    assert p.keys == ("item_id", "channel")
    assert p.n_series == 4
    assert p.demand.height == 40
    assert p.demand.schema["date"] == pl.Date
    assert p.demand["price"].unique().to_list() == [9.5]


def test_parquet_and_static_file(tmp_path, sales_csv, mapped):
    df = pl.read_csv(sales_csv)
    df.write_parquet(tmp_path / "sales.parquet")
    pl.DataFrame({"code": ["A1", "B2"], "cost": [3.0, 4.0]}).write_csv(tmp_path / "items.csv")
    cfg = mapped(
        tmp_path / "sales.parquet",
        f"data.static_path={tmp_path / 'items.csv'}",
        "data.static_columns.item_id=code",
        "+data.static_columns.unit_cost=cost",
    )
    p = load_data(cfg)
    assert p.static.columns == ["item_id", "unit_cost"]
    assert p.static["unit_cost"].to_list() == [3.0, 4.0]


def test_missing_file_names_the_setting(tmp_path, panel_cfg):
    with pytest.raises(PanelError, match=r"data.path=.*nope.csv.*no such file"):
        load_data(panel_cfg(tmp_path / "nope.csv"))


def test_missing_column_names_file_setting_and_columns(sales_csv, mapped):
    with pytest.raises(PanelError, match=r"sales.csv: no column 'qty' \(data.columns.demand\); columns are \['sku'"):
        load_data(mapped(sales_csv, "data.columns.demand=qty"))


def test_unparseable_date_names_file_column_and_value(tmp_path, sales_csv, mapped):
    text = sales_csv.read_text().replace("05/01/2024", "2024-01-05", 1)
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    with pytest.raises(PanelError, match=r"bad.csv: column 'day' \(data.columns.date\) has 1 values that are not dates"
                       r" in format %d/%m/%Y \(first: '2024-01-05' in data row 9\); '2024-01-05' is in format %Y-%m-%d"):
        load_data(mapped(bad))


def test_duplicate_key_in_file(tmp_path, sales_csv, mapped):
    lines = sales_csv.read_text().splitlines()
    dup = tmp_path / "dup.csv"
    dup.write_text("\n".join([*lines, lines[1]]) + "\n")
    with pytest.raises(PanelError, match=r"share a key .*item_id=A1, channel=web, date=2024-01-01"):
        load_data(mapped(dup))


def test_empty_file(tmp_path, panel_cfg):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(PanelError, match="empty"):
        load_data(panel_cfg(empty))
    header = tmp_path / "header.csv"
    header.write_text("item_id,date,demand\n")
    with pytest.raises(PanelError, match="header but no rows"):
        load_data(panel_cfg(header))


def test_wrong_type_in_file(tmp_path, sales_csv, mapped):
    # the offending row, not the first row of the file (a valid one, demand=1)
    text = sales_csv.read_text().replace(",3,9.5", ",three,9.5", 1)
    bad = tmp_path / "typed.csv"
    bad.write_text(text)
    with pytest.raises(PanelError, match=r"typed.csv: column 'units' \(data.columns.demand\) has 1 values that are not"
                                         r" numbers \(first: 'three' in data row 5\); expected a number in every row"):
        load_data(mapped(bad))
    text = sales_csv.read_text().replace(",9.5,", ",9.5 EUR,", 1)
    bad.write_text(text)
    with pytest.raises(PanelError, match=r"column 'list_price' \(data.columns.price\) has 1 values that are not numbers"
                                         r" \(first: '9.5 EUR' in data row 1\)"):
        load_data(mapped(bad))


def test_text_past_the_rows_polars_infers_types_from_is_named_with_its_row(tmp_path, panel_cfg):
    from workbench.data.io import read_csv_text

    rows = ["item_id,date,demand", *(f"i{k // 100},2024-01-{1 + k % 28:02d},{k % 5}" for k in range(100_005))]
    rows[100_003] = rows[100_003].rsplit(",", 1)[0] + ",abc"
    path = tmp_path / "long.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(PanelError, match=r"long.csv: column 'demand' \(data.columns.demand\) has 1 values that are not"
                                         r" numbers \(first: 'abc' in data row 100003\)"):
        load_data(panel_cfg(path))
    # a decimal there is no error: the column is read as floats
    rows[100_003] = rows[100_003].rsplit(",", 1)[0] + ",2.5"
    path.write_text("\n".join(rows) + "\n")
    df, _ = read_csv_text(path)
    assert df.schema["demand"] == pl.Float64 and df["demand"][100_002] == 2.5


def _dated(tmp_path, name, dates):
    path = tmp_path / name
    path.write_text("\n".join(["sku,day,units", *(f"A1,{d},{k % 3}" for k, d in enumerate(dates))]) + "\n")
    return path


@pytest.fixture
def unformatted(panel_cfg):
    """``unformatted(path, *overrides)``: a dated file's columns mapped, its date format left to detection."""
    return lambda path, *extra: panel_cfg(path, "data.columns.item_id=sku", "data.columns.date=day",
                                          "data.columns.demand=units", *extra)


def test_date_format_is_detected_from_the_values_and_logged(tmp_path, unformatted):
    days = [date(2024, 1, 1) + timedelta(days=k) for k in range(20)]
    cases = {
        "us.csv": ([f"{d.month:02d}/{d.day:02d}/{d.year}" for d in days], "%m/%d/%Y", "01/13/2024"),
        "eu.csv": ([f"{d.day:02d}/{d.month:02d}/{d.year}" for d in days], "%d/%m/%Y", "13/01/2024"),
        "eu_time.csv": ([f"{d.day}.{d.month}.{d.year} 08:30" for d in days], "%d.%m.%Y %H:%M", "13.1.2024 08:30"),
        "iso.csv": ([d.isoformat() for d in days], "%Y-%m-%d", None),
    }
    for name, (dates, fmt, proof) in cases.items():
        p = load_data(unformatted(_dated(tmp_path, name, dates)))
        assert p.demand["date"].to_list() == days, name
        entry = next(e for e in p.log if e["step"] == "date_format")
        assert entry == {"step": "date_format", "action": "detected", "column": "day", "format": fmt, "rows": 20,
                         **({"proof": proof, "ambiguous_values": 12} if proof else {})}, name
    # a format that is set is used as it is, and not logged as detected
    p = load_data(unformatted(_dated(tmp_path, "eu.csv", cases["eu.csv"][0]), "data.date_format=%d/%m/%Y"))
    assert p.demand["date"].to_list() == days
    assert not [e for e in p.log if e["step"] == "date_format"]


def test_dates_that_read_both_ways_are_refused_not_guessed(sales_csv, mapped):
    # the fixture's dates run 01/01/2024 .. 10/01/2024: day-first or month-first, nothing tells
    with pytest.raises(PanelError, match=r"sales.csv: column 'day' \(data.columns.date\) holds dates that read both"
                                         r" day-first and month-first \(%d/%m/%Y or %m/%d/%Y\) and no field is above 12"
                                         r" to tell which \(first: '01/01/2024' in data row 1\); set"
                                         r" data.date_format='%d/%m/%Y' or data.date_format='%m/%d/%Y'"):
        load_data(mapped(sales_csv, "data.date_format=null"))


def test_unreadable_dates_suggest_the_format_they_are_in(tmp_path, unformatted):
    us = _dated(tmp_path, "us.csv", [f"01/{d:02d}/2024" for d in range(1, 20)])
    with pytest.raises(PanelError, match=r"us.csv: column 'day' \(data.columns.date\) has 7 values that are not dates in"
                                         r" format %d/%m/%Y \(first: '01/13/2024' in data row 13\); the values are in"
                                         r" format %m/%d/%Y: set data.date_format='%m/%d/%Y'$"):
        load_data(unformatted(us, "data.date_format=%d/%m/%Y"))
    typo = _dated(tmp_path, "typo.csv", [f"01/{d:02d}/2024" for d in range(1, 12)] + ["2024-13-45", "01/13/2024"])
    with pytest.raises(PanelError, match=r"has 1 values that are not dates in format %m/%d/%Y, the format of the other"
                                         r" values \(first: '2024-13-45' in data row 12\); '2024-13-45' is not a date in"
                                         r" any format tried \(12 of 13 distinct values are in format %m/%d/%Y\)"):
        load_data(unformatted(typo))
    words = _dated(tmp_path, "words.csv", ["1 Jan 2024", "2 Jan 2024"])
    with pytest.raises(PanelError, match=r"has 2 values that are not dates in any format tried .*\(first: '1 Jan 2024' in"
                                         r" data row 1\); set data.date_format to the format of the values"):
        load_data(unformatted(words))


# ------------------------------------------------- the registry of data sources
def _source_overrides(name, tmp_path):
    """Overrides that point each registered source at a small fixture (no test reads ../shared)."""
    from panels import seasonal_panel, write_m5, write_transactions, write_walmart

    if name == "panel":
        path = tmp_path / "long.csv"
        seasonal_panel(n_series=3, n_days=60).demand.select("item_id", "date", "demand").write_csv(path)
        return ["data=panel", f"data.path={path}"]
    fixtures = {"synthetic": lambda: None, "walmart": lambda: write_walmart(tmp_path / "walmart"),
                "m5": lambda: write_m5(tmp_path / "m5"), "transactions": lambda: write_transactions(tmp_path / "t.csv")}
    path = fixtures[name]()
    return [f"data={name}", *([f"data.path={path}"] if path else ["data.n_items=4", "data.n_days=120"])]


@pytest.mark.parametrize("name", list(DATA_SOURCES))
def test_every_source_loads_the_panel_contract(name, tmp_path, quick):
    """Each registered source composes against its schema and its loader returns a panel that its
    validation policy turns into the contract: validated again with every policy at ``error``,
    nothing changes."""
    cfg = quick.section("data", *_source_overrides(name, tmp_path))
    assert type(cfg) is DATA_SOURCES[name].schema and cfg.source == name
    assert (CONF_DIR / "data" / f"{name}.yaml").exists()
    raw = DATA_SOURCES[name].load_function()(cfg)
    assert isinstance(raw, DemandPanel) and raw.demand.height > 0
    panel = validate_panel(raw, cfg.validation, source=name)
    again = validate_panel(panel, ValidationPolicy(), source=name)
    assert again.demand.equals(panel.demand) and again.static.equals(panel.static)
    assert panel.demand.schema[DEMAND].is_float() and panel.n_series > 0


def test_every_data_option_names_a_registered_source():
    from omegaconf import OmegaConf

    for path in sorted((CONF_DIR / "data").glob("*.yaml")):
        schema = OmegaConf.load(path).defaults[0]
        assert schema.removesuffix("_schema") in DATA_SOURCES, path.name


def test_a_source_needs_a_schema_that_names_it():
    from workbench.config import register_source

    with pytest.raises(ValueError, match=r"data source 'shop2': its schema PanelFileConfig has source='panel'"):
        register_source("shop2", PanelFileConfig, "workbench.data.loaders:load_panel_file")
