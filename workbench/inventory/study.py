"""The inventory study: forecast quantiles -> policy parameters -> plan -> simulation.

Everything is per series (item x channel where the data has channels) and
vectorised over series: one polars query for the parameters, one cvxpy problem
for the plan, one numpy loop over periods for each simulation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from workbench.data.classes import abc_classes
from workbench.data.panel import DATE, DEMAND, DemandPanel
from workbench.forecast.series import period, quantile_column
from workbench.inventory.lp import PlanResult, replenishment_lp
from workbench.inventory.policies import eoq, normal_sd_from_quantiles, safety_stock
from workbench.inventory.simulate import Costs, PlanPolicy, ReorderPolicy, SimResult, simulate

# used where the static table has no such column (the report lists what was defaulted):
# a lead time of 7 days (in periods of the panel), an order cost of 50, a unit cost of 70%
# of the price, a holding cost of 25% of the unit cost a year, one volume unit per unit
DEFAULTS = {
    "lead_time_days": 7.0,
    "order_cost": 50.0,
    "unit_cost_share": 0.7,
    "holding_rate_per_year": 0.25,
    "volume": 1.0,
}


def series_economics(panel: DemandPanel, before, cfg) -> tuple[pl.DataFrame, list[str]]:
    """Per-series costs, lead time, volume, revenue and ABC class (revenue before ``before``).

    Returns the table and the list of attributes that came from defaults.
    """
    keys = list(panel.keys)
    days = period(panel).days or 1  # periods are days or weeks
    hist = panel.demand.filter(pl.col(DATE) <= before)
    has_price_cov = "price" in panel.demand.columns
    stats = hist.group_by(keys).agg(
        pl.col(DEMAND).mean().alias("mean_demand"),
        (pl.col(DEMAND) * pl.col("price")).sum().alias("revenue")
        if has_price_cov
        else pl.col(DEMAND).sum().alias("revenue"),
        (pl.col("price").mean() if has_price_cov else pl.lit(None, dtype=pl.Float64)).alias("mean_price"),
    )
    static = panel.static
    defaulted: list[str] = []
    econ = stats.join(static, on=panel.static_keys, how="left")
    if "price" not in econ.columns:
        econ = econ.with_columns(pl.col("mean_price").fill_null(1.0).alias("price"))
        defaulted.append("price")
    econ = econ.with_columns(pl.col("price").fill_null(pl.col("mean_price")).fill_null(1.0))
    if "unit_cost" not in econ.columns:
        econ = econ.with_columns((DEFAULTS["unit_cost_share"] * pl.col("price")).alias("unit_cost"))
        defaulted.append("unit_cost")
    if "holding_cost" not in econ.columns:  # per unit and period
        rate = DEFAULTS["holding_rate_per_year"] * days / 365.0
        econ = econ.with_columns((pl.col("unit_cost") * rate).alias("holding_cost"))
        defaulted.append("holding_cost")
    if "lead_time" not in econ.columns:  # in periods
        econ = econ.with_columns(pl.lit(max(1.0, round(DEFAULTS["lead_time_days"] / days))).alias("lead_time"))
        defaulted.append("lead_time")
    for col in ("order_cost", "volume"):
        if col not in econ.columns:
            econ = econ.with_columns(pl.lit(DEFAULTS[col]).alias(col))
            defaulted.append(col)
    classes = abc_classes(econ.select([*keys, "revenue"]), keys, cutoffs=tuple(cfg.abc_shares))
    service = pl.DataFrame(
        {"abc": list(cfg.service_levels), "service_level": list(cfg.service_levels.values())}
    )
    econ = (
        econ.join(classes.select([*keys, "abc"]), on=keys)
        .join(service, on="abc", how="left")
        .with_columns(
            pl.col("lead_time").cast(pl.Int64).clip(lower_bound=1),
            ((pl.col("price") - pl.col("unit_cost")).clip(lower_bound=0.0) * (1 + cfg.shortage_penalty))
            .alias("shortage_cost"),
        )
    )
    return econ.sort(keys), defaulted


def policy_parameters(
    forecasts: pl.DataFrame, econ: pl.DataFrame, keys: list[str], quantiles: list[float], review: int,
    service_override: float | None = None, rho: float = 0.0,
) -> pl.DataFrame:
    """(s, S) per series from one model's forecast quantiles over the lead time.

    Daily sd from the widest quantile pair under a normal assumption, combined over the
    ``L + review - 1`` periods an order must cover with a common correlation ``rho`` between the days' errors
    (0: independent days; 1: one error for the whole cover period, as when the
    level itself is uncertain); days beyond the forecast horizon repeat the
    horizon's mean day. ``s = mu_L + z sigma_L``, ``S = s + max(EOQ, review days)``.
    """
    qs = sorted(quantiles)
    lo, hi = quantile_column(qs[0]), quantile_column(qs[-1])
    f = forecasts.sort([*keys, DATE]).with_columns(
        pl.int_range(pl.len()).over(keys).alias("day"),
        normal_sd_from_quantiles(pl.col(lo), pl.col(hi), qs[0], qs[-1]).alias("sd"),
    )
    horizon = f.get_column("day").max() + 1
    e = econ.select([*keys, "lead_time", "service_level", "holding_cost", "order_cost"])
    # an order placed at the end of period t sells from t + L; the next one from t + R + L,
    # so an order must cover the L + R - 1 periods in between
    cover = pl.col("lead_time") + review - 1
    agg = (
        f.join(e, on=keys)
        .group_by(keys)
        .agg(
            pl.col("mean").mean().alias("mu_daily"),
            pl.col("sd").pow(2).mean().alias("var_daily"),
            pl.col("sd").mean().alias("sd_daily"),
            pl.col("sd").filter(pl.col("day") < cover).sum().alias("sd_in"),
            pl.col("mean").filter(pl.col("day") < cover).sum().alias("mu_in"),
            pl.col("sd").pow(2).filter(pl.col("day") < cover).sum().alias("var_in"),
            pl.first("lead_time"),
            pl.first("service_level"),
            pl.first("holding_cost"),
            pl.first("order_cost"),
        )
        .with_columns(
            # the part of the cover period beyond the forecast horizon
            (cover - horizon).clip(lower_bound=0).alias("beyond"),
        )
        .with_columns(
            (pl.col("mu_in") + pl.col("beyond") * pl.col("mu_daily")).alias("mu_cover"),
            # daily errors correlated at rho: var = (1 - rho) sum sd^2 + rho (sum sd)^2
            (
                (1 - rho) * (pl.col("var_in") + pl.col("beyond") * pl.col("var_daily"))
                + rho * (pl.col("sd_in") + pl.col("beyond") * pl.col("sd_daily")) ** 2
            ).sqrt().alias("sd_cover"),
        )
    )
    service = np.full(agg.height, service_override) if service_override else agg["service_level"].to_numpy()
    ss = safety_stock(service, agg["sd_cover"].to_numpy(), 1.0)
    q, _ = eoq(agg["order_cost"].to_numpy(), agg["holding_cost"].to_numpy().clip(1e-9), agg["mu_daily"].to_numpy())
    batch = np.maximum(q, review * agg["mu_daily"].to_numpy())
    reorder = agg["mu_cover"].to_numpy() + ss
    return agg.select([*keys, "lead_time", "mu_daily", "mu_cover", "sd_cover"]).with_columns(
        pl.Series("service_level", service),
        pl.Series("safety_stock", ss),
        pl.Series("eoq", q),
        pl.Series("reorder_level", reorder),
        pl.Series("order_up_to", reorder + batch),
    ).sort(keys)


@dataclass
class InventoryStudy:
    economics: pl.DataFrame
    defaulted: list[str]
    parameters: dict[str, pl.DataFrame]  # model -> (s, S) per series
    plan: PlanResult
    plan_model: str
    capacity: pl.DataFrame  # group, capacity, mean shadow price, overflow
    results: pl.DataFrame  # policy, forecaster, fill rate, costs ...
    per_series: pl.DataFrame  # policy x series outcomes
    tradeoff: pl.DataFrame  # service target -> cost, fill rate
    sims: dict[str, SimResult]


def _matrix(frame: pl.DataFrame, keys: list[str], value: str) -> np.ndarray:
    wide = frame.sort([*keys, DATE]).group_by(keys, maintain_order=True).agg(pl.col(value))
    return np.array(wide.get_column(value).to_list(), dtype=float)


def run_inventory_study(
    panel: DemandPanel, forecasts: pl.DataFrame, models: list[str], quantiles: list[float], cfg
) -> InventoryStudy:
    """Price (s, S) and LP policies driven by each of ``models`` on the hold-out window.

    ``forecasts`` are the hold-out forecasts (one origin). Actual demand is the true
    demand where the data has it (synthetic), else the recorded demand.
    """
    keys = list(panel.keys)
    cutoff = forecasts.get_column("cutoff").min()
    dates = forecasts.get_column(DATE).unique().sort()
    # the series that have forecasts (a series that had not started at the origin has none)
    ids = forecasts.select(keys).unique()
    econ, defaulted = series_economics(panel, cutoff, cfg)
    econ = econ.join(ids, on=keys, how="semi").sort(keys)
    actual_src = panel.truth if panel.truth is not None else panel.demand
    actual_col = "true_demand" if panel.truth is not None else DEMAND
    window = actual_src.filter(pl.col(DATE).is_in(dates.implode())).select([*keys, DATE, actual_col])
    window = window.join(ids, on=keys, how="semi")
    demand = _matrix(window, keys, actual_col)
    if "stock_on_hand" in panel.demand.columns:
        start = (
            panel.demand.filter(pl.col(DATE) == cutoff).join(ids, on=keys, how="semi")
            .sort(keys).get_column("stock_on_hand").to_numpy()
        )
    else:
        start = None
    lead = econ.get_column("lead_time").to_numpy()
    costs = Costs(
        holding=econ.get_column("holding_cost").to_numpy(),
        ordering=econ.get_column("order_cost").to_numpy(),
        shortage=econ.get_column("shortage_cost").to_numpy(),
    )

    def start_stock(p: pl.DataFrame) -> np.ndarray:
        """Stock on hand at the origin; data without stock starts at the policy's order-up-to."""
        return start if start is not None else p.get_column("order_up_to").to_numpy()

    def run_reorder(p: pl.DataFrame, s0: np.ndarray) -> SimResult:
        policy = ReorderPolicy(p["reorder_level"].to_numpy(), p["order_up_to"].to_numpy())
        return simulate(demand, s0, lead, policy, costs)

    params: dict[str, pl.DataFrame] = {}
    sims: dict[str, SimResult] = {}
    rows = []
    for model in models:
        fm = forecasts.filter(pl.col("model") == model)
        p = policy_parameters(fm, econ, keys, quantiles, cfg.review_days, rho=cfg.error_correlation)
        params[model] = p
        sims[f"(s,S) | {model}"] = run_reorder(p, start_stock(p))
        rows.append(("(s,S)", model))

    # the LP plans against the last model (the best one, by the caller's ordering)
    plan_model = models[-1]
    fm = forecasts.filter(pl.col("model") == plan_model)
    plan_col = quantile_column(cfg.plan_quantile)
    if plan_col not in fm.columns:
        raise ValueError(
            f"inventory.plan_quantile={cfg.plan_quantile} is not among the forecast quantiles {sorted(quantiles)}"
        )
    plan_demand = _matrix(fm, keys, plan_col)
    p = params[plan_model]
    s0 = start_stock(p)
    group_names = econ.get_column(keys[-1]).to_numpy() if len(keys) > 1 else np.array(["all"] * econ.height)
    uniq, group = np.unique(group_names, return_inverse=True)
    volume = econ.get_column("volume").to_numpy()
    mu = p.get_column("mu_daily").to_numpy()
    capacity = np.bincount(group, weights=volume * mu * cfg.capacity_cover_days, minlength=uniq.size)
    q, _ = eoq(costs.ordering, np.clip(costs.holding, 1e-9, None), np.maximum(mu, 1e-6))
    plan = replenishment_lp(
        plan_demand, s0, lead, costs.holding, costs.ordering / np.maximum(q, 1.0), costs.shortage,
        volume, group, capacity, cfg.overflow_cost, solver=cfg.lp_solver, order_every=cfg.lp_order_every,
    )
    sims[f"LP plan | {plan_model}"] = simulate(demand, s0, lead, PlanPolicy(plan.orders), costs)
    rows.append(("LP plan", plan_model))

    results = pl.DataFrame(
        [{"policy": pol, "forecaster": mod, **sims[f"{pol} | {mod}"].summary()} for pol, mod in rows]
    ).sort("total_cost")
    per_series = pl.concat(
        [
            econ.select(keys).with_columns(
                pl.lit(name).alias("policy"),
                pl.Series("fill_rate", np.where(r.demand > 0, r.sales / np.maximum(r.demand, 1e-9), 1.0)),
                pl.Series("total_cost", r.total_cost),
                pl.Series("lost_sales", r.lost),
            )
            for name, r in sims.items()
        ]
    )
    capacity_table = pl.DataFrame(
        {
            "group": uniq,
            "capacity": capacity,
            "peak_planned_volume": (
                np.array([np.sum((volume[:, None] * plan.stock)[group == g], axis=0).max() for g in range(uniq.size)])
            ),
            "mean_shadow_price": plan.capacity_price.mean(axis=1),
            "binding_periods": (plan.capacity_price > 1e-7).sum(axis=1),
            "overflow_volume": plan.overflow.sum(axis=1),
        }
    )
    trade = []
    for level in cfg.tradeoff_levels:
        pt = policy_parameters(fm, econ, keys, quantiles, cfg.review_days, service_override=level,
                               rho=cfg.error_correlation)
        trade.append({"service_target": level, **run_reorder(pt, s0).summary()})
    return InventoryStudy(
        economics=econ,
        defaulted=defaulted,
        parameters=params,
        plan=plan,
        plan_model=plan_model,
        capacity=capacity_table,
        results=results,
        per_series=per_series,
        tradeoff=pl.DataFrame(trade),
        sims=sims,
    )
