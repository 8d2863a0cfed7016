import polars as pl
import pytest

from workbench.config import compose, section
from workbench.data import PanelError, load_data


def _cfg(path, *extra):
    return section(compose(["data=panel", f"data.path={path}", *extra]), "data")


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


def _mapped(path, *extra):
    return _cfg(
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


def test_csv_with_mapped_columns_and_channels(sales_csv):
    p = load_data(_mapped(sales_csv))
    assert p.keys == ("item_id", "channel")
    assert p.n_series == 4
    assert p.demand.height == 40
    assert p.demand.schema["date"] == pl.Date
    assert p.demand["price"].unique().to_list() == [9.5]


def test_parquet_and_static_file(tmp_path, sales_csv):
    df = pl.read_csv(sales_csv)
    df.write_parquet(tmp_path / "sales.parquet")
    pl.DataFrame({"code": ["A1", "B2"], "cost": [3.0, 4.0]}).write_csv(tmp_path / "items.csv")
    cfg = _mapped(
        tmp_path / "sales.parquet",
        f"data.static_path={tmp_path / 'items.csv'}",
        "data.static_columns.item_id=code",
        "+data.static_columns.unit_cost=cost",
    )
    p = load_data(cfg)
    assert p.static.columns == ["item_id", "unit_cost"]
    assert p.static["unit_cost"].to_list() == [3.0, 4.0]


def test_missing_file_names_the_setting(tmp_path):
    with pytest.raises(PanelError, match=r"data.path=.*nope.csv.*no such file"):
        load_data(_cfg(tmp_path / "nope.csv"))


def test_missing_column_names_file_setting_and_columns(sales_csv):
    with pytest.raises(PanelError, match=r"sales.csv: no column 'qty' \(data.columns.demand\); columns are \['sku'"):
        load_data(_mapped(sales_csv, "data.columns.demand=qty"))


def test_unparseable_date_names_file_column_and_value(tmp_path, sales_csv):
    text = sales_csv.read_text().replace("05/01/2024", "2024-01-05", 1)
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    with pytest.raises(PanelError, match=r"bad.csv: column 'date' has 1 values that are not dates .*'2024-01-05'"):
        load_data(_mapped(bad))


def test_duplicate_key_in_file(tmp_path, sales_csv):
    lines = sales_csv.read_text().splitlines()
    dup = tmp_path / "dup.csv"
    dup.write_text("\n".join([*lines, lines[1]]) + "\n")
    with pytest.raises(PanelError, match=r"share a key .*item_id=A1, channel=web, date=2024-01-01"):
        load_data(_mapped(dup))


def test_empty_file(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(PanelError, match="empty"):
        load_data(_cfg(empty))
    header = tmp_path / "header.csv"
    header.write_text("item_id,date,demand\n")
    with pytest.raises(PanelError, match="header but no rows"):
        load_data(_cfg(header))


def test_wrong_type_in_file(tmp_path, sales_csv):
    text = sales_csv.read_text().replace(",3,9.5", ",three,9.5", 1)
    bad = tmp_path / "typed.csv"
    bad.write_text(text)
    with pytest.raises(PanelError, match=r"column 'demand' has type String; expected numbers"):
        load_data(_mapped(bad))
