"""Cold-start forecasts for new items from their text neighbours, against the category average and
random items, on a panel built here whose names carry the signal."""

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from workbench.config import ColdStartConfig, ForecastConfig, TextConfig
from workbench.data import DemandPanel, validate_panel
from workbench.data.text import add_text_features
from workbench.forecast.coldstart import (
    ALL,
    CATEGORY,
    OWN,
    RANDOM,
    TEXT,
    blend,
    cold_start_study,
    item_folds,
    method_weights,
    neighbour_table,
)

# three demand levels, each with products of its own: the name says how well an item sells
LEVELS = {40.0: ["paper towels", "aa batteries", "bottled water", "toilet roll"],
          6.0: ["desk lamp", "yoga mat", "coffee grinder", "rain jacket"],
          0.4: ["brass telescope", "concert harp", "ship model", "antique globe"]}
COLOURS = ["red", "blue", "green", "black", "white", "grey"]


def _panel(n_items: int = 48, n_days: int = 150, seed: int = 0, text: bool = True) -> DemandPanel:
    rng = np.random.default_rng(seed)
    level_of = rng.choice(list(LEVELS), n_items)
    names = [f"{rng.choice(COLOURS)} {rng.choice(LEVELS[lv])}".capitalize() for lv in level_of]
    items = [f"I{k:03d}" for k in range(n_items)]
    days = [date(2024, 1, 1) + timedelta(days=t) for t in range(n_days)]
    week = np.array([0.8, 0.9, 1.0, 1.0, 1.1, 1.4, 0.8])
    mean = level_of[:, None] * week[np.arange(n_days) % 7][None, :]
    demand = pl.DataFrame({"item_id": np.repeat(items, n_days), "date": days * n_items,
                           "demand": rng.poisson(mean).reshape(-1).astype(float)})
    static = pl.DataFrame({"item_id": items, "name": names,
                           "category": rng.choice(["a", "b", "c"], n_items)})  # categories say nothing
    panel = validate_panel(DemandPanel(demand=demand, static=static, name="named"))
    return add_text_features(panel, TextConfig(column="name", dims=8, seed=seed)) if text else panel


def _fc(**cold) -> ForecastConfig:
    return ForecastConfig(horizon=14, n_backtest_windows=2, season_length=7, seed=5,
                          cold_start=ColdStartConfig(**{"neighbours": 5, "folds": 4, "window": 28, **cold}))


@pytest.fixture(scope="module")
def named():
    return _panel()


def test_text_neighbours_beat_random_neighbours_and_the_category(named):
    study = cold_start_study(named, _fc())
    mae = dict(zip(study.scores["method"], study.scores["MAE"], strict=True))
    assert list(study.scores["method"]) == [TEXT, CATEGORY, ALL, RANDOM, OWN]
    assert mae[TEXT] < 0.5 * mae[RANDOM]
    assert mae[TEXT] < 0.5 * mae[CATEGORY]
    assert mae[OWN] <= mae[TEXT] * 1.05  # its own history, which a new item lacks, is the floor
    scores = study.scores.row(0, named=True)
    assert scores["MAE / category average"] == pytest.approx(mae[TEXT] / mae[CATEGORY])
    assert scores["better than category average"] > 0.6
    assert abs(scores["bias"]) < 0.25
    assert set(study.scores["new items"]) == {48}  # every item held out once


def test_folds_hold_out_every_item_once_and_follow_the_seed():
    items = [f"I{k}" for k in range(11)]
    folds = item_folds(items, 4, seed=1)
    assert sorted(i for f in folds for i in f) == sorted(items) and [len(f) for f in folds] == [3, 3, 3, 2]
    assert folds == item_folds(items, 4, seed=1) and folds != item_folds(items, 4, seed=2)
    assert len(item_folds(items[:3], 5, seed=1)) == 3
    with pytest.raises(ValueError, match="at least 2"):
        item_folds(items[:1], 4, seed=1)


def test_the_study_is_the_same_for_the_same_seed(named):
    a, b = cold_start_study(named, _fc()), cold_start_study(named, _fc())
    assert a.scores.equals(b.scores) and a.neighbours.equals(b.neighbours)


def test_blend_averages_only_the_items_that_have_a_level():
    levels = np.array([[[2.0, 4.0]], [[np.nan, 8.0]], [[6.0, np.nan]]])  # known items x slots x steps
    weights = np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 0.0], [1.0, 3.0, 1.0]])
    out = blend(weights, levels)
    np.testing.assert_allclose(out[0, 0], [2.0, 6.0])
    assert np.isnan(out[1, 0, 0]) and out[1, 0, 1] == 8.0  # no known item has a level there
    np.testing.assert_allclose(out[2, 0], [4.0, (4.0 + 24.0) / 4.0])


def test_a_new_item_without_text_takes_its_category(named):
    new, known = ["I000", "I001"], [f"I{k:03d}" for k in range(2, 48)]
    vectors = np.zeros((2, 8))
    vectors[1, 0] = 1.0
    near = (np.arange(6).reshape(2, 3), np.ones((2, 3)))
    w = method_weights(named, new, known, vectors, near, 3, seed=0)
    np.testing.assert_array_equal(w[TEXT][0], w[CATEGORY][0])
    assert w[TEXT][1].sum() == pytest.approx(3.0) and (w[RANDOM].sum(axis=1) == 3).all()
    # an item of no known category is compared with all items; items of no category with none
    static = named.static.with_columns(pl.when(pl.col("item_id").is_in(["I000", "I002"])).then(None)
                                       .otherwise(pl.col("category")).alias("category"))
    w = method_weights(replace(named, static=static), new, known, vectors, near, 3, seed=0)
    assert (w[CATEGORY][0] == 1).all() and w[CATEGORY][1, 0] == 0 and 0 < w[CATEGORY][1].sum() < len(known)


def test_without_text_vectors_the_study_says_which_setting(named):
    with pytest.raises(ValueError, match=r"no text vectors.*data\.text\.column"):
        cold_start_study(_panel(n_items=6, text=False), _fc())


def test_neighbour_table_names_each_items_nearest(named):
    study = cold_start_study(named, _fc())
    table = neighbour_table(study, named, "name", n_items=3, n_neighbours=2)
    assert table.columns == ["new item", "its name", "rank", "neighbour", "neighbour name", "cosine"]
    assert table.height == 6 and table["new item"].n_unique() == 3 and set(table["rank"]) == {1, 2}
    assert (table["new item"] != table["neighbour"]).all()
    # the nearest neighbour shares the product (the words after the colour)
    first = table.filter(pl.col("rank") == 1)
    product = pl.col("its name").str.to_lowercase().str.split(" ").list.slice(1).list.join(" ")
    near_product = pl.col("neighbour name").str.to_lowercase().str.split(" ").list.slice(1).list.join(" ")
    assert first.select((product == near_product).mean()).item() >= 2 / 3
