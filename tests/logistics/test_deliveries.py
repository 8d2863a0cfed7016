"""Deliveries: demand split over sites, priced in litres and kilograms, per site and day."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from workbench.data.panel import DemandPanel
from workbench.logistics.deliveries import channel_demand, site_drops, split_by_share, volumes


def test_split_by_share_sums_exactly_and_is_seeded():
    units = np.random.default_rng(0).integers(0, 50, (7, 11))
    shares = np.array([0.5, 0.3, 0.2, 0.0])
    parts = split_by_share(units, shares, seed=4)
    assert parts.shape == (7, 4, 11) and parts.dtype.kind == "i"
    np.testing.assert_array_equal(parts.sum(axis=1), units)
    assert parts[:, 3].sum() == 0  # a site with no share gets nothing
    np.testing.assert_array_equal(parts, split_by_share(units.astype(float), shares, seed=4))
    assert not np.array_equal(parts, split_by_share(units, shares, seed=5))


def test_split_by_share_converges_to_the_shares():
    shares = np.array([3.0, 1.0, 6.0])  # need not be normalised
    parts = split_by_share(np.full((2, 3), 100_000), shares, seed=1)
    got = parts.sum(axis=(0, 2)) / parts.sum()
    np.testing.assert_allclose(got, shares / shares.sum(), rtol=0.02)


@pytest.mark.parametrize(("units", "shares", "message"), [
    (np.array([[1.5, 2.0]]), [1.0], r"units\[0, 0\] = 1.5"),
    (np.array([[1, -2]]), [1.0], r"units\[0, 1\] = -2"),
    (np.array([[1, 2]]), [0.0, 0.0], "positive sum"),
    (np.array([1, 2]), [1.0], r"expected \(rows, days\)"),
])
def test_split_by_share_refuses_bad_input(units, shares, message):
    with pytest.raises(ValueError, match=message):
        split_by_share(units, np.array(shares), seed=0)


def test_volumes_from_static_with_and_without_weight():
    static = pl.DataFrame({"item_id": ["a", "b", "c"], "volume": [2.0, 0.5, 10.0]})
    volume, weight = volumes(static, ["c", "a"], weight_per_litre=0.4)
    assert volume.tolist() == [10.0, 2.0] and weight.tolist() == pytest.approx([4.0, 0.8])
    volume, weight = volumes(static.with_columns(pl.Series("weight", [1.0, 2.0, 3.0])), ["b"], 0.4)
    assert (volume.tolist(), weight.tolist()) == ([0.5], [2.0])
    with pytest.raises(ValueError, match=r"no 'volume' column.*data.static_columns"):
        volumes(static.drop("volume"), ["a"], 0.4)
    with pytest.raises(ValueError, match=r"item\(s\) \['zz'\]"):
        volumes(static, ["a", "zz"], 0.4)


def test_site_drops_totals_equal_units_times_volume():
    rng = np.random.default_rng(2)
    units = rng.integers(0, 4, (5, 3, 6))
    units[:, 1, 2] = 0  # a site-day with nothing to bring is left out
    volume, weight = rng.uniform(0.1, 5.0, 5), rng.uniform(0.1, 2.0, 5)
    dates = [date(2024, 5, 1) + timedelta(days=d) for d in range(6)]
    drops = site_drops(units, volume, weight, ["S1", "S2", "S3"], dates)
    assert drops.columns == ["date", "site_id", "units", "volume_l", "weight_kg"]
    assert drops.filter((pl.col("site_id") == "S2") & (pl.col("date") == dates[2])).height == 0
    assert (drops["units"] > 0).all()
    assert drops["units"].sum() == units.sum()
    assert drops["volume_l"].sum() == pytest.approx((units * volume[:, None, None]).sum())
    one = drops.filter((pl.col("site_id") == "S3") & (pl.col("date") == dates[4])).row(0, named=True)
    assert one["weight_kg"] == pytest.approx(units[:, 2, 4] @ weight)


def _panel() -> DemandPanel:
    days = [date(2024, 1, 1) + timedelta(days=d) for d in range(4)]
    rows = [{"item_id": item, "channel": ch, "date": d, "demand": float(i + 10 * j + (ch == "online"))}
            for j, item in enumerate(["b", "a"]) for ch in ("store", "online") for i, d in enumerate(days)
            if not (item == "a" and ch == "store" and i == 1)]  # a missing day counts as zero
    demand = pl.DataFrame(rows)
    truth = demand.rename({"demand": "true_demand"}).with_columns(pl.col("true_demand") * 2)
    return DemandPanel(demand=demand, static=pl.DataFrame({"item_id": ["a", "b"], "volume": [1.0, 2.0]}),
                       keys=("item_id", "channel"), truth=truth)


def test_channel_demand_reads_the_true_demand_of_one_channel():
    panel = _panel()
    dates = [date(2024, 1, 2), date(2024, 1, 3), date(2024, 1, 9)]
    items, matrix = channel_demand(panel, "channel", "store", dates)
    assert items == ["a", "b"] and matrix.dtype == np.int64
    # true demand (twice the recorded); 'a' has no record on 1/2, nobody on 1/9
    assert matrix.tolist() == [[0, 24, 0], [2, 4, 0]]
    items, online = channel_demand(panel, "channel", "online", dates[:2])
    assert online.tolist() == [[24, 26], [4, 6]]
    with pytest.raises(ValueError, match=r"'wholesale' is not a value.*\['online', 'store'\]"):
        channel_demand(panel, "channel", "wholesale", dates)
