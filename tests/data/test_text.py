"""Item text as static covariates: the synthetic shop's names, TF-IDF + SVD vectors, the settings
and the errors, and a transaction log's descriptions."""

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from workbench.checks import SettingError, check_settings
from workbench.config import TextConfig, compose, section, to_plain
from workbench.data import PanelError, load_data
from workbench.data.synthetic import generate_shop
from workbench.data.synthetic_names import DEMAND_WORDS
from workbench.data.text import add_text_features, text_columns, text_vectors

NAMES = ["Organic oat milk 1 l", "Organic oat milk 500 ml", "Barista oat milk 1 l", "Stainless steel kettle 1.7 l",
         "Electric kettle 1.7 l", "Stainless steel saucepan", "Wireless earbuds", "Bluetooth speaker"]


def _cfg(**over) -> TextConfig:
    return TextConfig(**{"column": "name", "dims": 4, "seed": 3, **over})


def _cosine(v: np.ndarray, a: int, b: int) -> float:
    return float(v[a] @ v[b])  # rows have unit length


def test_vectors_are_deterministic_unit_rows_of_the_asked_size():
    texts = [*NAMES, None, "   "]
    first, again = text_vectors(texts, _cfg()), text_vectors(texts, _cfg())
    assert first.values.shape == (10, 4)
    assert np.array_equal(first.values, again.values)
    np.testing.assert_allclose(np.linalg.norm(first.values[:8], axis=1), 1.0, atol=1e-9)
    assert first.missing == 2 and not first.values[8:].any()  # no text: a zero vector, counted
    assert first.distinct == 8 and 0 < first.explained < 1
    # similar names are near, unlike ones far: oat milk with oat milk, kettle with kettle
    v = first.values
    assert _cosine(v, 0, 1) > _cosine(v, 0, 3) + 0.3
    assert _cosine(v, 3, 4) > _cosine(v, 3, 6) + 0.3


def test_fewer_texts_than_dims_leave_the_last_columns_zero():
    out = text_vectors(["red mug", "blue mug", "green plate"], _cfg(dims=6)).values
    assert out.shape == (3, 6)
    assert out[:, :2].any() and not out[:, 2:].any()  # three texts span two dimensions at most
    assert not text_vectors(["only one"], _cfg()).values.any()
    assert text_vectors(["--", "!!"], _cfg(char_ngrams=[])).values.shape == (2, 4)  # no word at all: zeros


def test_word_only_and_char_only_vectors_differ():
    words = text_vectors(NAMES, _cfg(char_ngrams=[])).values
    chars = text_vectors(NAMES, _cfg(word_ngrams=[])).values
    assert words.shape == chars.shape and not np.allclose(np.abs(words), np.abs(chars), atol=1e-3)


def test_the_static_table_gets_the_text_columns(tiny_panel):
    static = tiny_panel.static
    dims = TextConfig.__dataclass_fields__["dims"].default
    assert static["name"].dtype == pl.String and static["name"].null_count() == 0
    assert set(text_columns(dims)) <= set(static.columns)
    assert static.select(text_columns(dims)).to_numpy().any(axis=1).all()
    entry = next(e for e in tiny_panel.log if e["step"] == "item_text")
    assert (entry["column"], entry["rows"], entry["missing"]) == ("name", static.height, 0)


def test_without_a_text_column_the_static_table_is_unchanged(quick):
    panel = load_data(quick.section("data", "data.n_items=6", "data.n_days=120", "data.text.column=null"))
    assert "name" in panel.static.columns and not any(c.startswith("text_") for c in panel.static.columns)


def test_a_missing_text_column_names_the_setting_and_the_columns(quick):
    cfg = quick.section("data", "data.n_items=4", "data.n_days=120", "data.text.column=title")
    with pytest.raises(PanelError, match=r"data\.text\.column='title'.*columns are \['item_id', 'name', 'category'"):
        load_data(cfg)


def test_a_numeric_text_column_is_refused(tiny_panel):
    with pytest.raises(PanelError, match=r"data\.text\.column='price' holds Float64 values; expected text"):
        add_text_features(tiny_panel, _cfg(column="price"))


@pytest.mark.parametrize("override,message", [
    ("data.text.word_ngrams=[2,1]", r"data\.text\.word_ngrams=\[2, 1\]; expected \[\] or \[shortest, longest\]"),
    ("data.text.dims=0", r"data\.text\.dims=0; expected 1 or more"),
    ("forecast.cold_start.folds=1", r"forecast\.cold_start\.folds=1; expected 2 or more"),
])
def test_bad_text_settings_are_refused_before_a_run(override, message):
    with pytest.raises(SettingError, match=message):
        check_settings(to_plain(compose(["experiment=quick", override])))


def test_names_share_words_carry_demand_and_leave_the_shop_unchanged(monkeypatch):
    cfg = section(compose(["experiment=quick", "data.n_items=120", "data.n_days=90"]), "data")
    shop = generate_shop(cfg)
    names = shop.static.select("name", "category", "slow_mover",
                               pl.col("name").str.to_lowercase().alias("lower"))
    assert names["name"].n_unique() > 100  # nearly every item its own name
    slow_word = pl.any_horizontal(pl.col("lower").str.contains(w, literal=True) for w in DEMAND_WORDS["slow"])
    share = names.group_by("slow_mover").agg(slow_word.mean().alias("share"))
    by_kind = dict(zip(share["slow_mover"], share["share"], strict=True))
    assert by_kind[True] > 0.5 and by_kind[False] < 0.05  # the names tell slow movers apart, not perfectly
    assert generate_shop(cfg).static.equals(shop.static)  # the same seed, the same names
    assert not generate_shop(replace(cfg, seed=cfg.seed + 1)).static["name"].equals(shop.static["name"])
    # names come from a stream of their own: without them the shop's numbers are the same
    monkeypatch.setattr("workbench.data.synthetic.item_names", lambda items, seed: np.full(items.category.size, "x"))
    plain = generate_shop(cfg)
    assert plain.demand.equals(shop.demand) and plain.truth.equals(shop.truth)
    assert plain.static.drop("name").equals(shop.static.drop("name"))


def test_a_transaction_logs_most_frequent_description_is_the_item_text(tmp_path):
    lines = ["InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID"]
    texts = {"A1": ["RED MUG", "RED MUG", "RED MUG ", "RED MUG DAMAGED"], "B2": ["", "", "", ""],
             "C3": ["BLUE MUG", "BLUE PLATE", "BLUE PLATE", "BLUE MUG"]}
    for day in range(40):
        when = date(2011, 1, 3) + timedelta(days=day)
        for k, (item, descriptions) in enumerate(texts.items()):
            lines.append(f"{1000 + day * 3 + k},{item},{descriptions[day % 4]},{1 + day % 3},"
                         f"{when:%d/%m/%Y} 10:00,2.50,17850")
    path = tmp_path / "orders.csv"
    path.write_text("\n".join(lines) + "\n")
    cfg = section(compose(["experiment=transactions", f"data.path={path}", "+data.columns.description=Description",
                           "data.text.column=description", "data.text.dims=3"]), "data")
    panel = load_data(cfg)
    described = dict(zip(panel.static["item_id"], panel.static["description"], strict=True))
    # the most frequent (spaces stripped), ties to the first in order of text; none: missing
    assert described == {"A1": "RED MUG", "B2": None, "C3": "BLUE MUG"}
    entry = next(e for e in panel.log if e["step"] == "item_descriptions")
    assert (entry["rows"], entry["several"], entry["missing"]) == (2, 2, 1)
    text = next(e for e in panel.log if e["step"] == "item_text")
    assert text["missing"] == 1
    b2 = panel.static.filter(pl.col("item_id") == "B2").select(text_columns(3)).to_numpy()
    assert not b2.any()  # no description: an empty vector
