"""Supply risk in stock decisions: the lead-time model, the three worlds of variable lead times,
and supplier outages, on the tiny synthetic shop with forecasts that know the demand."""

import numpy as np
import polars as pl
import pytest
from scipy.stats import norm

from workbench.config.inventory import LeadTimeConfig
from workbench.config.risk import DisruptionConfig, ShipmentsConfig
from workbench.forecast.series import quantile_column
from workbench.risk.leadtime import LeadTimeModel, lead_times, scipy_distribution, supplier_modes
from workbench.risk.sourcing import solve_sourcing
from workbench.risk.stock import (
    ASSUMED,
    AWARE,
    FIXED,
    Bench,
    disruption,
    lead_time_effect,
    lead_time_summary,
    outage_mask,
)
from workbench.risk.study import sourcing_inputs

QS = [0.05, 0.25, 0.5, 0.75, 0.9, 0.95]
SCMS = ShipmentsConfig().path


def oracle(panel, horizon: int = 28, spread: float = 0.25) -> pl.DataFrame:
    cutoff = panel.dates[-horizon - 1]
    actual = panel.demand.filter(pl.col("date") > cutoff)
    return actual.select(*panel.keys, "date").with_columns(
        pl.lit("oracle").alias("model"), pl.lit(cutoff).alias("cutoff"), actual["demand"].alias("mean"),
        *[(actual["demand"] * (1 + spread * norm.ppf(q))).clip(lower_bound=0).alias(quantile_column(q)) for q in QS])


def bench(tiny_panel, quick, *overrides: str) -> Bench:
    inv = quick.section("inventory", *overrides)
    return Bench.build(tiny_panel, oracle(tiny_panel), "oracle", QS, inv, LeadTimeModel(inv.lead_time, ShipmentsConfig()))


def econ(suppliers, lead) -> pl.DataFrame:
    return pl.DataFrame({"supplier": suppliers, "lead_time": lead})


def test_suppliers_get_modes_from_config_else_in_turn():
    cfg = LeadTimeConfig(modes={"B": "Ocean"}, default_modes=["Truck", "Air"])
    modes = supplier_modes(np.array(["C", "A", "B", "A", "D"], dtype=object), cfg)
    assert modes.tolist() == ["Air", "Truck", "Ocean", "Truck", "Truck"]


def test_fixed_lead_times_draw_the_nominal_ones():
    lt = lead_times(econ(["A", "B"], [3, 5]), LeadTimeConfig(variability="fixed", seed=0))
    assert lt.fixed and (lt.draws(10) == np.array([[3], [5]])).all()
    mean, sd = lt.moments()
    assert mean.tolist() == [3.0, 5.0] and sd.tolist() == [0.0, 0.0]


def test_lead_times_from_a_named_distribution_are_seeded_and_whole():
    cfg = LeadTimeConfig(variability="distribution", distribution="lognorm", params={"s": 0.5, "scale": 1.0},
                         crossing="forbid", seed=4)
    lt = lead_times(econ(["A", "B"], [4, 10]), cfg)
    draws = lt.draws(2000)
    assert draws.dtype.kind == "i" and draws.min() >= 1 and not lt.crossing.any()
    assert (draws == lead_times(econ(["A", "B"], [4, 10]), cfg).draws(2000)).all()  # the seed decides
    mean, sd = lt.moments()
    assert mean[1] == pytest.approx(10 * np.exp(0.125), rel=0.05)  # E[lognorm(s=0.5)] = exp(s^2 / 2)
    assert sd[1] > sd[0] > 0
    with pytest.raises(ValueError, match="not a continuous scipy.stats distribution"):
        scipy_distribution("nope", {})
    with pytest.raises(ValueError, match=r"params=\{'q': 1.0\} do not fit scipy.stats.lognorm"):
        scipy_distribution("lognorm", {"q": 1.0})


@pytest.mark.skipif(not __import__("pathlib").Path(SCMS).is_file(), reason=f"the shipment history {SCMS} is absent")
def test_lead_times_from_the_shipment_history():
    cfg = LeadTimeConfig(modes={"S2": "Ocean"}, default_modes=["Air"], seed=1)
    lt = lead_times(econ(["S1", "S2", "S3"], [7, 7, 2]), cfg, ShipmentsConfig())
    assert lt.group.tolist() == ["Air", "Ocean", "Air"]
    assert lt.crossing.all()  # both modes cross in more than 1 % of the history's orders
    mean, sd = lt.moments()
    assert 6.0 < mean[0] < 8.0 and sd[0] > 0  # most shipments keep their schedule (ratio 1)
    assert mean[1] > mean[0]  # ocean runs later than scheduled more often than air
    with pytest.raises(ValueError, match=r"shipment mode\(s\) \['Rail'\] have fewer than"):
        lead_times(econ(["S1"], [3]), LeadTimeConfig(default_modes=["Rail"], seed=0), ShipmentsConfig())


def test_without_variability_the_three_worlds_coincide(tiny_panel, quick):
    b = bench(tiny_panel, quick, "inventory.lead_time.variability=fixed")
    summary = lead_time_summary(lead_time_effect(b, 2), b.target())
    for policy, part in summary.group_by("policy"):
        assert part["total_cost"].n_unique() == 1 and part["fill_rate"].n_unique() == 1, policy


def test_variable_lead_times_cost_service_and_lead_aware_levels_hold_more_stock(tiny_panel, quick):
    b = bench(tiny_panel, quick, "inventory.lead_time.variability=distribution", "inventory.lead_time.params.s=0.6",
              "inventory.lead_time.samples=300")
    effect = lead_time_effect(b, 6)
    assert effect.filter(pl.col("world") == FIXED).height == len(b.policies)  # the fixed world draws nothing
    s = {(r["policy"], r["world"]): r for r in lead_time_summary(effect, b.target()).iter_rows(named=True)}
    for policy in ("sS_normal", "rQ_quantile"):
        assert s[(policy, ASSUMED)]["fill_rate_after_lead"] < s[(policy, FIXED)]["fill_rate_after_lead"], policy
        assert s[(policy, AWARE)]["mean_stock"] > s[(policy, ASSUMED)]["mean_stock"], policy
        assert s[(policy, AWARE)]["fill_rate_after_lead"] > s[(policy, ASSUMED)]["fill_rate_after_lead"], policy


def test_outage_windows_fit_the_horizon():
    sup = np.array(["A", "B", "A"], dtype=object)
    mask, starts = outage_mask(sup, 20, DisruptionConfig(days=5, start=3), seed=0)
    assert starts == {"A": 3, "B": 3} and mask.sum(axis=1).tolist() == [5, 5, 5] and mask[:, 3:8].all()
    mask, starts = outage_mask(sup, 20, DisruptionConfig(days=5, start=None), seed=0)
    assert all(0 <= s <= 15 for s in starts.values()) and mask.sum(axis=1).tolist() == [5, 5, 5]
    assert (mask[0] == mask[2]).all()  # one supplier, one outage


def test_an_outage_of_every_supplier_costs_service_and_names_the_exposed(tiny_panel, quick):
    b = bench(tiny_panel, quick, "inventory.lead_time.variability=distribution")
    d = disruption(b, DisruptionConfig(days=10, start=5, top=4), "supplier", seed=0)
    assert (d.by_policy["service_lost"] >= -1e-12).all() and (d.by_policy["service_lost"] > 0).any()
    assert (d.by_policy["extra_cost"] > 0).all()
    per_policy = dict(d.by_policy.select("policy", "revenue_at_risk").iter_rows())
    per_supplier = d.by_supplier.group_by("policy").agg(pl.col("revenue_at_risk").sum())
    for policy, total in per_supplier.iter_rows():
        assert total == pytest.approx(per_policy[policy])
    assert d.exposed.height == 4 and d.exposed["revenue_at_risk"].is_sorted(descending=True)
    assert d.reference == d.by_policy.sort("cost_base")["policy"][0]
    # nothing is due in an outage that starts after the window: nothing lost
    late = disruption(b, DisruptionConfig(days=3, start=b.horizon, top=4), "supplier", seed=0)
    assert late.by_policy["revenue_at_risk"].abs().max() == 0.0


def test_bench_levels_follow_the_lead_time_view(tiny_panel, quick):
    b = bench(tiny_panel, quick, "inventory.lead_time.variability=distribution", "inventory.lead_time.aware=true")
    assert b.aware.varies and not b.fixed.varies
    mean, sd = b.lead_times.moments()
    np.testing.assert_array_equal(b.aware.lead_mean, mean)
    np.testing.assert_array_equal(b.aware.lead_sd, sd)
    assert b.aware.lead_samples.shape == (b.econ.height, quick.section("inventory").lead_time.samples)


def test_sourcing_plan_buys_what_sells_at_the_shop_s_own_economics(tiny_panel, quick):
    """A lost unit costs its price and goodwill once the purchase is in the cost: the plan buys
    most of the demand, even for items whose unit cost is most of their price."""
    b = bench(tiny_panel, quick, "inventory.lead_time.variability=fixed")
    risk = quick.section("risk", "risk.sourcing.max_series=6", "risk.sourcing.scenarios=4")
    inv = quick.section("inventory")
    ratios = {"Ocean": np.array([1.0, 1.0, 1.5]), "Air": np.array([0.0, 1.0, 1.0])}  # a ratio 0 is one period
    inputs, chosen = sourcing_inputs(b, inv, risk, ratios)
    assert chosen.height == 6  # the series of highest revenue
    assert chosen["revenue"].min() >= b.econ["revenue"].sort(descending=True)[5]
    price = b.econ.join(chosen.select(b.keys), on=b.keys, how="semi")["price"].to_numpy()
    assert (inputs.shortage >= price).all() and (inputs.shortage > inputs.unit_cost["fast"]).all()
    assert inputs.lead["fast"].min() >= 1
    result = solve_sourcing(inputs, [0.0, 1.0], risk.sourcing.cvar_alpha)
    bought = sum(result.orders[k][0].sum() for k in ("slow", "fast"))
    needed = np.maximum(inputs.demand.mean(axis=0).sum() - inputs.start_stock.sum(), 0.0)
    assert bought > 0.5 * needed
