import numpy as np
import polars as pl
import pytest
from panels import perfect_forecasts, write_walmart

from workbench.config import compose, section
from workbench.data import load_data
from workbench.forecast.series import quantile_column
from workbench.inventory import (
    Cube,
    LevelInputs,
    check_inventory_config,
    make_policies,
    run_inventory_study,
    series_economics,
    service_table,
)
from workbench.inventory.lp import SHADOW_SCHEMA, PlanSolverFailed
from workbench.inventory.tradeoff import cost_at


def test_weekly_panel_without_costs_gets_defaults_in_periods(tmp_path):
    panel = load_data(section(compose(["data=walmart", f"data.path={write_walmart(tmp_path / 'w')}"]), "data"))
    inv = section(compose(["experiment=walmart"]), "inventory")
    econ, defaulted, _ = series_economics(panel, panel.dates[-10], inv)
    assert set(defaulted) == {"price", "unit_cost", "holding_cost", "lead_time", "order_cost", "volume"}
    assert (econ["lead_time"] == 1).all()  # 7 days is one weekly period
    assert econ["holding_cost"][0] == pytest.approx(0.7 * 0.25 * 7 / 365)
    assert set(econ["abc"]) <= {"A", "B", "C"} and econ["service_level"].null_count() == 0


def test_a_better_forecast_is_worth_money(tiny_panel):
    qs = [0.05, 0.25, 0.5, 0.75, 0.9, 0.95]
    inv = section(compose(["experiment=quick"]), "inventory")
    truth = tiny_panel.truth.select("item_id", "channel", "date", pl.col("true_demand").cast(pl.Float64).alias("demand"))
    from dataclasses import replace

    oracle_panel = replace(tiny_panel, demand=tiny_panel.demand.drop("demand").join(truth, on=["item_id", "channel", "date"]))
    good = perfect_forecasts(oracle_panel, 60, qs, spread=0.1)
    bad = good.with_columns(pl.lit("biased").alias("model"),
                            *[(pl.col(c) * 0.3) for c in ["mean", *[quantile_column(q) for q in qs]]])
    study = run_inventory_study(tiny_panel, pl.concat([bad, good]), ["biased", "oracle"], qs, inv)
    for policy in inv.policies:
        res = {r["forecaster"]: r for r in study.results.filter(pl.col("policy") == policy).iter_rows(named=True)}
        assert res["oracle"]["fill_rate"] > res["biased"]["fill_rate"], policy
        assert res["oracle"]["total_cost"] < res["biased"]["total_cost"], policy
    assert set(study.plans) == {"lp", "scenario_lp", "mip"}
    assert all(p.status.startswith("optimal") for p in study.plans.values())
    # the deterministic plan prices its limits; transfers run between the two channels
    assert set(study.shadow_prices["family"]) == {"warehouse", "supplier", "budget"}
    assert set(study.shadow_prices.filter(family="warehouse")["name"]) == {"online", "store"}
    assert study.plans["lp"].transfers.shape[0] == 2 * tiny_panel.static.height
    # a curve per policy and forecaster, and costs at equal service where both reach it
    assert study.tradeoff.group_by("policy", "forecaster").len()["len"].to_list() == [len(inv.tradeoff_levels)] * 4
    # a forecast at 30% of demand never reaches the oracle's service: no like-for-like row, and a note says so
    assert study.equal_service.height == 0
    assert any("no common fill rate" in note for note in study.notes)
    with pytest.raises(ValueError, match="inventory.lp.plan_quantile=0.9 is not among"):
        run_inventory_study(tiny_panel, good.drop("q90"), ["oracle"], [q for q in qs if q != 0.9], inv)


def test_service_levels_by_abc_and_xyz():
    table = service_table({"A": 0.98, "AZ": 0.9, "B": 0.95, "C": 0.9})
    lookup = {(r["abc"], r["xyz"]): r["service_level"] for r in table.iter_rows(named=True)}
    assert lookup[("A", "X")] == 0.98 and lookup[("A", "Z")] == 0.9 and lookup[("C", "Y")] == 0.9
    with pytest.raises(ValueError, match="no level for class BX"):
        service_table({"A": 0.98, "C": 0.9})
    with pytest.raises(ValueError, match=r"unknown classes \['D'\]"):
        service_table({"A": 0.98, "B": 0.95, "C": 0.9, "D": 0.5})
    with pytest.raises(ValueError, match=r"inventory.service_levels.A=1.5"):
        service_table({"A": 1.5, "B": 0.95, "C": 0.9})


def test_quantile_levels_follow_the_forecast():
    """A forecast with a weekly peak moves the order-up-to level with it, and the level is the
    sum of the days' quantiles over the cover."""
    n, H = 2, 14
    mean = np.tile(np.where(np.arange(H) % 7 == 5, 30.0, 10.0), (n, 1))
    levels = np.array([0.05, 0.5, 0.95])
    values = np.stack([mean * 0.5, mean, mean * 1.5], axis=-1)
    cube = Cube(mean=mean, values=values, levels=levels)
    econ = pl.DataFrame({"lead_time": [2, 2], "holding_cost": [0.1, 0.1], "order_cost": [10.0, 10.0],
                         "service_level": [0.5, 0.95], "shortage_cost": [5.0, 5.0]})
    (policy,) = make_policies(["RS_quantile"])
    S = policy.levels(LevelInputs.from_economics(cube, econ, review=1, correlation=1.0))["S"]
    # day 3 covers days 4 and 5 (the peak): median 10 + 30, q95 1.5 x that
    assert S[0, 3] == pytest.approx(40.0) and S[1, 3] == pytest.approx(60.0)
    assert S[0, 0] == pytest.approx(20.0)


def test_cost_at_equal_service_interpolates_each_curve():
    trade = pl.DataFrame({"policy": ["p"] * 4, "forecaster": ["a", "a", "b", "b"],
                          "fill_rate": [0.8, 0.9, 0.85, 0.95], "total_cost": [100.0, 200.0, 50.0, 150.0]})
    eq = cost_at(trade, [0.875], on="fill_rate")
    assert eq.sort("forecaster")["total_cost"].to_list() == pytest.approx([175.0, 75.0])
    assert cost_at(trade, [0.97], on="fill_rate")["total_cost"].null_count() == 2  # beyond both curves


def test_unknown_location_is_named(tiny_panel):
    qs = [0.05, 0.5, 0.9, 0.95]
    inv = section(compose(["experiment=quick", "inventory.lp.location=region"]), "inventory")
    good = perfect_forecasts(tiny_panel, 20, qs)
    with pytest.raises(ValueError, match="inventory.lp.location='region' is neither a key nor a static column"):
        run_inventory_study(tiny_panel, good, ["oracle"], qs, inv)


def test_inventory_settings_are_checked_before_anything_runs():
    inv = section(compose(["experiment=quick"]), "inventory")
    check_inventory_config(inv, [0.05, 0.5, 0.9, 0.95])
    for override, message in [
        ("inventory.lp.cvar_alpha=1.0", "inventory.lp.cvar_alpha=1.0; expected in"),
        ("+inventory.lp.penalty.space=1", r"penalty has unknown limits \['space'\]"),
        ("inventory.review_days=0", "inventory.review_days and inventory.lp.order_every must be at least 1"),
        ("inventory.policies=[sS_normal,ss_normal]", "inventory.policies: unknown inventory policy 'ss_normal'"),
        ("inventory.policies=[]", "inventory.policies is empty"),
    ]:
        with pytest.raises(ValueError, match=message):
            check_inventory_config(section(compose(["experiment=quick", override]), "inventory"), [0.05, 0.5, 0.9])


def test_backorder_mode_runs_and_prices_waiting(tiny_panel):
    qs = [0.05, 0.5, 0.9, 0.95]
    good = perfect_forecasts(tiny_panel, 20, qs)
    lost = section(compose(["experiment=quick", "inventory.lp.scenarios=0", "inventory.lp.mip=false"]), "inventory")
    back = section(compose(["experiment=quick", "inventory.shortage=backorder", "inventory.backorder_days=14",
                            "inventory.lp.scenarios=0", "inventory.lp.mip=false"]), "inventory")
    a = run_inventory_study(tiny_panel, good, ["oracle"], qs, lost)
    b = run_inventory_study(tiny_panel, good, ["oracle"], qs, back)
    days = 1  # the synthetic panel is daily
    assert np.allclose(b.economics["shortage_cost"], a.economics["shortage_cost"] / 14 * days)
    assert b.sims[("sS_normal", "oracle")].backorders and b.plans["lp"].status == "optimal"


def test_a_plan_that_cannot_be_made_leaves_the_rest_of_the_study(tiny_panel):
    """Forecasts far above the stock on hand and a minimum service of 100%: no plan can serve the
    first lead time. Each plan fails on its own; the policies, the trade-off and the rest remain."""
    qs = [0.05, 0.5, 0.9, 0.95]
    inv = section(compose(["experiment=quick", "inventory.lp.min_service=1.0", "inventory.lp.scenarios=4"]), "inventory")
    cols = ["mean", *[quantile_column(q) for q in qs]]
    huge = perfect_forecasts(tiny_panel, 20, qs).with_columns(pl.col(c) * 50 + 100 for c in cols)
    study = run_inventory_study(tiny_panel, huge, ["oracle"], qs, inv)
    assert study.plans == {}
    # the open-loop plans fail, and so does every re-planned plan at its first review
    assert set(study.plan_errors) == {"lp", "scenario_lp", "mip", "lp_mpc", "scenario_lp_mpc", "mip_mpc"}
    for message in (study.plan_errors[k] for k in ("lp", "scenario_lp", "mip")):
        assert "the lead time makes the minimum service (inventory.lp.min_service=1) impossible" in message
    assert study.shadow_prices.height == 0 and study.shadow_prices.schema == pl.Schema(SHADOW_SCHEMA)
    assert set(study.results["policy"]) == set(inv.policies) and study.results["total_cost"].is_finite().all()
    assert set(study.sims) == {(p, "oracle") for p in inv.policies}
    assert study.tradeoff.height == 2 * len(inv.tradeoff_levels)


def test_only_the_plans_own_errors_are_caught(tiny_panel, monkeypatch):
    import workbench.inventory.plans as study_module

    qs = [0.05, 0.5, 0.9, 0.95]
    inv = section(compose(["experiment=quick", "inventory.lp.scenarios=0", "inventory.lp.mip=false"]), "inventory")
    good = perfect_forecasts(tiny_panel, 20, qs)

    def broken(*args, **kwargs):
        raise PlanSolverFailed("the replenishment plan ended 'user_limit' with HIGHS and has no usable solution")

    monkeypatch.setattr(study_module, "plan_replenishment", broken)
    study = run_inventory_study(tiny_panel, good, ["oracle"], qs, inv)
    assert study.plan_errors == {"lp": "the replenishment plan ended 'user_limit' with HIGHS and has no usable solution"}
    assert study.plans == {} and study.shadow_prices.columns == list(SHADOW_SCHEMA)

    def bug(*args, **kwargs):
        raise TypeError("a programming error is not a plan that could not be made")

    monkeypatch.setattr(study_module, "plan_replenishment", bug)
    with pytest.raises(TypeError, match="programming error"):
        run_inventory_study(tiny_panel, good, ["oracle"], qs, inv)
