"""The synthetic shop's parts: a fingerprint that pins the shop a seed gives, the stock
process's (s, S) rule from the inventory package's formulas, and the anomalies' events and labels."""

import numpy as np
import polars as pl
import pytest

from workbench.config import SyntheticDataConfig
from workbench.data.labels import label_columns, label_rows
from workbench.data.synthetic import generate_shop
from workbench.data.synthetic_anomalies import (
    AnomalySchedule,
    MoreAnomalies,
    shop_events,
    spell_values,
)
from workbench.data.synthetic_stock import Replenishment, StockOutcome, reorder_policy


def test_a_seed_gives_the_same_shop_as_before():
    """Totals of the 12-item, 400-day shop of seed 42: any change to the generator's draws
    or arithmetic shows here (the experiments' numbers all start from this shop)."""
    p = generate_shop(SyntheticDataConfig(seed=42, n_items=12, n_days=400))
    sums = p.demand.select(pl.col("demand", "views", "carts", "purchases", "stock_on_hand", "receipts").sum())
    assert sums.row(0) == (80555.0, 704077, 153786, 80286, 842939, 78227)
    assert p.demand["price"].sum() == pytest.approx(593294.273, rel=1e-12)
    truth = p.truth.select(pl.col("true_demand", "lost_sales", "shrinkage", "returns", "true_stock").sum())
    assert truth.row(0) == (85949, 5663, 150, 25, 842939)
    labels = dict(p.truth.filter(pl.col("anomaly")).group_by("anomaly_type").len().iter_rows())
    assert labels == {"duplicate_order": 2, "frozen_feed": 4, "level_shift": 102, "phantom": 22, "price_typo": 8,
                      "returns_wave": 18, "shrinkage": 6, "spike": 4}
    assert p.truth["anomaly_event"].n_unique() == 26  # 25 events and the normal days' null
    assert p.static["lead_time"].to_list() == [10, 5, 9, 10, 5, 3, 5, 5, 7, 5, 10, 9]
    assert p.static["unit_cost"].sum() == pytest.approx(396.32, rel=1e-12)


def test_reorder_rule_is_the_textbook_s_and_eoq_batch():
    rule = Replenishment(
        lead_time=np.array([4, 9]), order_cost=np.array([50.0, 20.0]), holding_cost=np.array([0.1, 0.02]),
        dispersion=np.array([5.0, 0.5]), safety_factor=np.array([1.0, -0.3]), delays=np.zeros((2, 1), dtype=int),
    )
    level = np.array([10.0, 0.2])
    policy = reorder_policy(level, rule)
    cover = rule.lead_time + 1
    sd = np.sqrt(level * cover * (1 + level / rule.dispersion))
    s = level * cover + rule.safety_factor * sd
    eoq = np.sqrt(2 * rule.order_cost * level / rule.holding_cost)
    np.testing.assert_allclose(policy.reorder_level, s)
    np.testing.assert_allclose(policy.order_up_to, s + np.clip(eoq, 1.0, 60 * np.maximum(level, 0.05)))
    # at or below s the order lifts the position to S; above s nothing is ordered
    orders = policy.order(0, np.floor(s))
    np.testing.assert_allclose(orders, np.ceil(policy.order_up_to - np.floor(s)))
    assert policy.order(0, s + 1).tolist() == [0.0, 0.0]


def _outcome(**given) -> StockOutcome:
    zeros = np.zeros((1, 4), dtype=np.int64)
    fields = {"sales": zeros, "recorded": zeros, "stock": zeros, "receipts": zeros, "shrink": zeros,
              "returns": zeros, "phantom_seen": zeros.astype(bool)}
    return StockOutcome(**{**fields, **given})


def test_a_later_label_wins_where_anomalies_coincide():
    shape = (1, 4)
    spike = np.array([[False, False, True, True]])
    schedule = AnomalySchedule(np.zeros(shape, bool), np.zeros(shape), spike, np.array([[False, True, True, False]]))
    more = MoreAnomalies(np.array([[1.0, 2.0, 2.0, 2.0]]), np.zeros(shape), {})
    outcome = _outcome(
        shrink=np.array([[2, 0, 1, 0]]), phantom_seen=np.array([[False, True, True, False]]),
        sales=np.array([[1, 0, 1, 0]]), recorded=np.array([[1, 0, 9, 0]]),  # day 4's spike recorded what was sold
    )
    code, event, ids = label_rows(4, shop_events(schedule, more, outcome))
    assert label_columns(code, event)[0].to_list() == ["shrinkage", "phantom", "spike", "level_shift"]
    # the level shift (days 2-4) is one event, the first made; each later type has its own ids
    assert ids["level_shift"].tolist() == [0] and event.tolist() == [1, 3, 4, 0]


def test_returns_are_labelled_where_units_came_back():
    shape = (1, 4)
    none = np.zeros(shape, bool)
    schedule = AnomalySchedule(none, np.zeros(shape), none, none)
    more = MoreAnomalies(np.ones(shape), np.array([[0.0, 0.5, 0.5, 0.0]]), {})
    outcome = _outcome(returns=np.array([[0, 2, 1, 0]]), sales=np.array([[3, 3, 3, 3]]),
                       recorded=np.array([[3, 1, 2, 3]]))  # net of returns: not a spike
    code, event, _ = label_rows(4, shop_events(schedule, more, outcome))
    assert (code >= 0).tolist() == [False, True, True, False] and event[1] == event[2]


def test_spells_carry_their_value_and_end_within_the_history():
    starts = np.zeros((2, 10), bool)
    starts[0, 2] = starts[1, 8] = True
    values = spell_values(np.random.default_rng(0), starts, 3, 3, np.array([0.5, 2.5]), 1.0)
    assert values[0].tolist() == [1, 1, 0.5, 0.5, 0.5, 1, 1, 1, 1, 1]
    assert values[1].tolist() == [1] * 8 + [2.5, 2.5]
