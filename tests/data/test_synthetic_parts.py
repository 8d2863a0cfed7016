"""The synthetic shop's parts: a fingerprint that pins the shop a seed gives, the stock
process's (s, S) rule from the inventory package's formulas, and the anomaly labels."""

import numpy as np
import polars as pl
import pytest

from workbench.config import SyntheticDataConfig
from workbench.data.synthetic import generate_shop
from workbench.data.synthetic_anomalies import AnomalySchedule, anomaly_labels
from workbench.data.synthetic_stock import Replenishment, reorder_policy


def test_a_seed_gives_the_same_shop_as_before():
    """Totals of the 12-item, 400-day shop of seed 42: any change to the generator's draws
    or arithmetic shows here (the experiments' numbers all start from this shop)."""
    p = generate_shop(SyntheticDataConfig(seed=42, n_items=12, n_days=400))
    sums = p.demand.select(pl.col("demand", "views", "carts", "purchases", "stock_on_hand", "receipts").sum())
    assert sums.row(0) == (79649.0, 701151, 152568, 78439, 886640, 77777)
    assert p.demand["price"].sum() == pytest.approx(589697.0, rel=1e-12)
    assert p.truth.select(pl.col("true_demand", "lost_sales", "shrinkage").sum()).row(0) == (85318, 6879, 1074)
    labels = dict(p.truth.filter(pl.col("anomaly")).group_by("anomaly_type").len().iter_rows())
    assert labels == {"phantom": 73, "shrinkage": 30, "spike": 26}
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


def test_a_later_label_wins_where_anomalies_coincide():
    shape = (1, 4)
    spike = np.array([[False, False, True, True]])
    schedule = AnomalySchedule(np.zeros(shape, bool), np.zeros(shape), spike, np.zeros(shape, bool))
    shrink = np.array([[2, 0, 1, 0]])
    phantom_seen = np.array([[False, True, True, False]])
    recorded = np.array([[1, 0, 9, 0]])
    sales = np.array([[1, 0, 1, 0]])  # the spike on day 4 recorded what was sold: no anomaly
    labels = anomaly_labels(schedule, shrink, phantom_seen, recorded, sales)
    assert labels.tolist() == [["shrinkage", "phantom", "spike", None]]
