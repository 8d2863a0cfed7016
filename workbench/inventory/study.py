"""The inventory study: forecast quantiles -> policy levels and plans -> closed-loop simulation.

Everything is per series (item x channel where the data has channels) and
vectorised over series: one polars query for the economics, numpy over the
(series, day, quantile) cube of each forecaster for the policy levels, one cvxpy
problem per plan, one numpy loop over periods per simulation.

Policies, each driven by every forecaster compared:

* ``(s,S) normal``: reorder level = mean lead-time demand + z sigma, with sigma read off
  the widest quantile pair under a normal assumption; S = s + EOQ. The textbook rule.
* ``(R,S) quantile``: every R periods order up to the forecast's own quantile of demand
  over R + L - 1 periods at the class's service target.
* ``(r,Q) quantile``: reorder point = the lead-time demand quantile at the service
  target, Q = EOQ.
* ``(R,S) newsvendor``: as (R,S) quantile, at the cost-optimal service level
  ``1 - h R / p`` instead of a target.

Levels follow the forecast day by day (a weekly pattern moves them). Quantiles of a
sum over days are sums of the days' quantiles: the days' errors are taken as fully
correlated (``inventory.error_correlation`` = 1), which the normal policy can relax.
Plans: the LP against one forecast quantile, the scenario LP (expected cost plus
CVaR) against demand paths drawn from the quantiles, and the mixed-integer plan with
case packs, MOQs and the fixed cost per order. Plans run open-loop in the simulation.
A plan that cannot be made (infeasible, unbounded, stopped by the solver) is left out
with its reason in ``plan_errors``; the policies and everything else still run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl
from scipy.stats import norm

from workbench.data.classes import abc_classes
from workbench.data.panel import DATE, DEMAND, DemandPanel
from workbench.data.quality import xyz_classes
from workbench.forecast.series import period, quantile_column
from workbench.inventory.lp import (
    SHADOW_SCHEMA,
    Limits,
    PlanError,
    PlanItems,
    PlanResult,
    Transfers,
    plan_replenishment,
)
from workbench.inventory.policies import (
    cost_service_level,
    eoq,
    normal_sd_from_quantiles,
    quantile_at,
)
from workbench.inventory.simulate import (
    Costs,
    OrderUpToPolicy,
    PlanPolicy,
    Policy,
    ReorderPolicy,
    ReorderQuantityPolicy,
    SimResult,
    simulate,
)

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
POLICIES = ("(s,S) normal", "(R,S) quantile", "(r,Q) quantile", "(R,S) newsvendor")


def service_table(levels: dict[str, float]) -> pl.DataFrame:
    """``inventory.service_levels`` as a table over the nine ABC x XYZ classes; a two-letter
    key ("AX") wins over its one-letter ABC class ("A")."""
    rows = []
    for a in "ABC":
        for x in "XYZ":
            level = levels.get(a + x, levels.get(a))
            if level is None:
                raise ValueError(
                    f"inventory.service_levels has no level for class {a}{x}: give '{a}{x}' or '{a}' "
                    f"(keys given: {sorted(levels)})"
                )
            if not 0.0 < float(level) < 1.0:
                raise ValueError(f"inventory.service_levels.{a + x if a + x in levels else a}={level}; expected in (0, 1)")
            rows.append({"abc": a, "xyz": x, "service_level": float(level)})
    unknown = set(levels) - {r["abc"] for r in rows} - {r["abc"] + r["xyz"] for r in rows}
    if unknown:
        raise ValueError(f"inventory.service_levels has unknown classes {sorted(unknown)}; expected A-C or AX-CZ")
    return pl.DataFrame(rows)


def check_inventory_config(cfg, quantiles: list[float]) -> None:
    """Settings of the inventory stage that can be checked before anything runs; each error
    names the setting."""
    service_table(dict(cfg.service_levels))
    choices = {"inventory.shortage": (cfg.shortage, ("lost_sales", "backorder")),
               "inventory.lp.objective": (cfg.lp.objective, ("cost", "profit"))}
    for name, (value, allowed) in choices.items():
        if value not in allowed:
            raise ValueError(f"{name}={value!r}; expected one of {list(allowed)}")
    if not any(abs(cfg.lp.plan_quantile - q) < 1e-9 for q in quantiles):
        raise ValueError(
            f"inventory.lp.plan_quantile={cfg.lp.plan_quantile} is not among the forecast quantiles {sorted(quantiles)}"
        )
    if not 0.0 < cfg.lp.cvar_alpha < 1.0:
        raise ValueError(f"inventory.lp.cvar_alpha={cfg.lp.cvar_alpha}; expected in (0, 1)")
    unknown = set(cfg.lp.penalty) - {"warehouse", "supplier", "budget", "service"}
    if unknown:
        raise ValueError(f"inventory.lp.penalty has unknown limits {sorted(unknown)}; expected warehouse, supplier, budget or service")
    if cfg.backorder_days <= 0:
        raise ValueError(f"inventory.backorder_days={cfg.backorder_days}; expected > 0")
    if cfg.review_days < 1 or cfg.lp.order_every < 1:
        raise ValueError("inventory.review_days and inventory.lp.order_every must be at least 1 period")


def series_economics(panel: DemandPanel, before, cfg) -> tuple[pl.DataFrame, list[str]]:
    """Per-series costs, lead time, volume, revenue, ABC/XYZ class and service target
    (from history up to ``before``). Returns the table and the attributes that came from defaults.
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
    defaulted: list[str] = []
    econ = stats.join(panel.static, on=panel.static_keys, how="left")
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
    for col in ("case_pack", "moq"):
        if col not in econ.columns:
            econ = econ.with_columns(pl.lit(float(getattr(cfg.lp, col))).alias(col))
    classes = abc_classes(econ.select([*keys, "revenue"]), keys, cutoffs=tuple(cfg.abc_shares))
    xyz = xyz_classes(hist, keys, cutoffs=tuple(cfg.xyz_cutoffs)).with_columns(pl.col("xyz").fill_null("Z"))
    per_unit_short = (pl.col("price") - pl.col("unit_cost")).clip(lower_bound=0.0) * (1 + cfg.shortage_penalty)
    econ = (
        econ.join(classes.select([*keys, "abc"]), on=keys)
        .join(xyz.select([*keys, "xyz"]), on=keys, how="left")
        .with_columns(pl.col("xyz").fill_null("Z"))
        .join(service_table(dict(cfg.service_levels)), on=["abc", "xyz"], how="left")
        .with_columns(
            pl.col("lead_time").cast(pl.Int64).clip(lower_bound=1),
            # lost sales: the margin and goodwill; backorders: that much per backorder_days of waiting
            (per_unit_short if cfg.shortage == "lost_sales" else per_unit_short / cfg.backorder_days * days)
            .alias("shortage_cost"),
        )
    )
    return econ.sort(keys), defaulted


@dataclass
class Cube:
    """One forecaster's hold-out forecasts as arrays over (series, day[, quantile])."""

    mean: np.ndarray  # (n, H)
    values: np.ndarray  # (n, H, Q)
    levels: np.ndarray  # (Q,)

    @staticmethod
    def path(what: np.ndarray, length: np.ndarray, horizon: int) -> np.ndarray:
        """Sum of ``what`` (n, H) over days t+1 .. t+length per series, for every decision
        day t of the window: (n, horizon). Days past the forecast horizon count as its
        average day."""
        n, H = what.shape
        cum = np.concatenate([np.zeros((n, 1)), np.cumsum(what, axis=1)], axis=1)
        avg = what.mean(axis=1, keepdims=True)

        def upto(k):  # sum of the first k days, k (n, horizon)
            return np.take_along_axis(cum, np.minimum(k, H), axis=1) + np.maximum(k - H, 0) * avg

        first = np.broadcast_to(np.arange(1, horizon + 1), (n, horizon))
        return upto(first + np.asarray(length)[:, None]) - upto(first)


def forecast_cube(forecasts: pl.DataFrame, keys: list[str], quantiles: list[float], model: str) -> Cube:
    qs = sorted(quantiles)
    f = forecasts.filter(pl.col("model") == model).sort([*keys, DATE])
    wide = f.group_by(keys, maintain_order=True).agg(pl.col("mean"), *[pl.col(quantile_column(q)) for q in qs])
    mean = np.array(wide.get_column("mean").to_list(), dtype=float)
    values = np.stack([np.array(wide.get_column(quantile_column(q)).to_list(), dtype=float) for q in qs], axis=-1)
    return Cube(mean=np.maximum(mean, 0.0), values=np.maximum(np.sort(values, axis=-1), 0.0), levels=np.array(qs))


def policy_levels(cube: Cube, econ: pl.DataFrame, horizon: int, review: int, rho: float,
                  service: np.ndarray | None = None) -> dict[str, dict[str, np.ndarray]]:
    """Levels of every policy in :data:`POLICIES` per series and decision day, from one
    forecaster. ``service`` overrides the class targets (the trade-off sweep)."""
    lead = econ.get_column("lead_time").to_numpy()
    h = econ.get_column("holding_cost").to_numpy()
    K = econ.get_column("order_cost").to_numpy()
    target = econ.get_column("service_level").to_numpy() if service is None else np.broadcast_to(service, lead.shape)
    mu = cube.mean.mean(axis=1)
    q_eoq, _ = eoq(K, np.clip(h, 1e-9, None), np.maximum(mu, 1e-9))
    # normal: sd per day from the widest pair, combined with correlation rho over the cover
    sd = normal_sd_from_quantiles(cube.values[..., 0], cube.values[..., -1], cube.levels[0], cube.levels[-1])
    cover_c = lead  # continuous review: an order placed now is sold from t + L
    cover_p = lead + review - 1  # periodic: until the next order arrives
    mean_c = cube.path(cube.mean, cover_c, horizon)
    var_c = (1 - rho) * cube.path(sd**2, cover_c, horizon) + rho * cube.path(sd, cover_c, horizon) ** 2
    z = norm.ppf(target)[:, None]
    s_normal = mean_c + z * np.sqrt(var_c)

    def quantile_path(cover, level):  # the days' quantiles at `level`, summed over the cover
        daily = quantile_at(cube.levels, cube.values, np.broadcast_to(np.asarray(level)[:, None], cube.mean.shape))
        return cube.path(daily, cover, horizon)

    p = econ.get_column("shortage_cost").to_numpy()
    newsvendor = np.clip(cost_service_level(h, p, review), cube.levels[0], cube.levels[-1])
    batch = np.maximum(q_eoq, 1.0)[:, None]
    return {
        "(s,S) normal": {"s": s_normal, "S": s_normal + batch},
        "(R,S) quantile": {"S": quantile_path(cover_p, target)},
        "(r,Q) quantile": {"r": quantile_path(cover_c, target), "Q": np.broadcast_to(batch, s_normal.shape)},
        "(R,S) newsvendor": {"S": quantile_path(cover_p, newsvendor), "service": newsvendor},
        "_info": {"mu": mu, "eoq": q_eoq, "target": np.asarray(target, dtype=float), "sd_cover": np.sqrt(var_c[:, 0])},
    }


def make_policy(name: str, lv: dict[str, np.ndarray], review: int) -> Policy:
    if name == "(s,S) normal":
        return ReorderPolicy(lv["s"], lv["S"])
    if name in ("(R,S) quantile", "(R,S) newsvendor"):
        return OrderUpToPolicy(lv["S"], review=review)
    if name == "(r,Q) quantile":
        return ReorderQuantityPolicy(lv["r"], lv["Q"])
    raise ValueError(f"unknown policy '{name}'; expected one of {list(POLICIES)}")


def demand_scenarios(cube: Cube, n_scenarios: int, rho: float, seed: int) -> np.ndarray:
    """Demand paths ``(S, n, H)`` drawn from the forecast quantiles through a Gaussian
    copula: the days of a series share a common shock with correlation ``rho``. Draws
    beyond the outermost quantiles are held at them."""
    rng = np.random.default_rng(seed)
    n, H = cube.mean.shape
    common = rng.standard_normal((n_scenarios, n, 1))
    daily = rng.standard_normal((n_scenarios, n, H))
    u = norm.cdf(np.sqrt(rho) * common + np.sqrt(1 - rho) * daily)
    return quantile_at(cube.levels, np.broadcast_to(cube.values, (n_scenarios, *cube.values.shape)), u)


@dataclass
class InventoryStudy:
    """What :func:`run_inventory_study` found. A plan that could not be made is absent from
    ``plans``, ``sims``, ``results`` and ``per_series``, with its reason in ``plan_errors``."""

    economics: pl.DataFrame
    defaulted: list[str]
    parameters: pl.DataFrame  # forecaster x series: targets, EOQ, average levels of each policy
    plans: dict[str, PlanResult]  # the plans that could be made ("LP plan", "scenario LP", "MIP plan")
    plan_model: str
    shadow_prices: pl.DataFrame  # the deterministic plan's limits, use and dual values; no rows without it
    results: pl.DataFrame  # policy x forecaster: fill rate, service, costs ...
    per_series: pl.DataFrame  # policy x forecaster x series outcomes
    tradeoff: pl.DataFrame  # policy x forecaster x service target -> cost, fill rate
    equal_service: pl.DataFrame  # cost of each policy x forecaster at common fill rates
    sims: dict[str, SimResult]
    notes: list[str]
    # plan name ("LP plan", "scenario LP", "MIP plan") -> the message of its PlanError
    # (infeasible, unbounded, solver failed or stopped); empty when every plan was made
    plan_errors: dict[str, str] = field(default_factory=dict)


def _matrix(frame: pl.DataFrame, keys: list[str], value: str) -> np.ndarray:
    wide = frame.sort([*keys, DATE]).group_by(keys, maintain_order=True).agg(pl.col(value))
    return np.array(wide.get_column(value).to_list(), dtype=float)


def _locations(panel: DemandPanel, econ: pl.DataFrame, column: str | None) -> np.ndarray:
    if column is None:
        return np.array(["all"] * econ.height)
    if column not in econ.columns:
        raise ValueError(
            f"inventory.lp.location='{column}' is neither a key nor a static column of the data "
            f"(keys {list(panel.keys)}, static {panel.static.columns}); set it to one of them or to null"
        )
    return econ.get_column(column).cast(pl.String).to_numpy()


def _transfer_arcs(econ: pl.DataFrame, loc: np.ndarray, keys: list[str], column: str) -> tuple[np.ndarray, np.ndarray]:
    """Every ordered pair of rows that hold the same item at two locations."""
    product = [k for k in keys if k != column] or ["item_id"]
    rows = econ.select(product).with_columns(pl.int_range(pl.len()).alias("row"), pl.Series("loc", loc))
    pairs = rows.join(rows, on=product, suffix="_to").filter(pl.col("loc") != pl.col("loc_to"))
    return pairs.get_column("row").to_numpy(), pairs.get_column("row_to").to_numpy()


def _interp_cost_at(trade: pl.DataFrame, fill_rates: list[float], on: str = "fill_rate") -> pl.DataFrame:
    """Total cost of each curve at the given fill rates (linear between the sweep's points;
    null outside the range the sweep reached)."""
    out = []
    for (pol, fc), part in trade.sort(on).group_by(["policy", "forecaster"], maintain_order=True):
        x, y = part[on].to_numpy(), part["total_cost"].to_numpy()
        for f in fill_rates:
            inside = x.min() - 1e-9 <= f <= x.max() + 1e-9
            out.append({"policy": pol, "forecaster": fc, "fill_rate": f,
                        "total_cost": float(np.interp(f, x, y)) if inside else None})
    return pl.DataFrame(out, schema={"policy": pl.String, "forecaster": pl.String, "fill_rate": pl.Float64,
                                     "total_cost": pl.Float64})


def run_inventory_study(
    panel: DemandPanel, forecasts: pl.DataFrame, models: list[str], quantiles: list[float], cfg
) -> InventoryStudy:
    """Price every policy driven by each of ``models``, and the plans made from the last
    of them (the best, by the caller's ordering), on the hold-out window.

    ``forecasts`` are the hold-out forecasts (one origin). Actual demand is the true
    demand where the data has it (synthetic), else the recorded demand.
    """
    check_inventory_config(cfg, quantiles)
    keys = list(panel.keys)
    lp_cfg = cfg.lp
    plan_col = quantile_column(lp_cfg.plan_quantile)
    cutoff = forecasts.get_column("cutoff").min()
    dates = forecasts.get_column(DATE).unique().sort()
    ids = forecasts.select(keys).unique()  # a series that had not started at the origin has none
    econ, defaulted = series_economics(panel, cutoff, cfg)
    econ = econ.join(ids, on=keys, how="semi").sort(keys)
    actual_src = panel.truth if panel.truth is not None else panel.demand
    actual_col = "true_demand" if panel.truth is not None else DEMAND
    window = actual_src.filter(pl.col(DATE).is_in(dates.implode())).select([*keys, DATE, actual_col])
    demand = _matrix(window.join(ids, on=keys, how="semi"), keys, actual_col)
    n, horizon = demand.shape
    lead = econ.get_column("lead_time").to_numpy()
    costs = Costs(
        holding=econ.get_column("holding_cost").to_numpy(),
        ordering=econ.get_column("order_cost").to_numpy(),
        shortage=econ.get_column("shortage_cost").to_numpy(),
    )
    notes: list[str] = []
    cubes = {m: forecast_cube(forecasts, keys, quantiles, m) for m in models}
    for m, c in cubes.items():
        if c.mean.shape != (n, horizon):
            raise ValueError(
                f"forecasts of '{m}' cover {c.mean.shape[0]} series x {c.mean.shape[1]} periods; the hold-out"
                f" window has {n} x {horizon}: every compared model must forecast every series on every date"
            )
    review = max(int(cfg.review_days), 1)
    levels = {m: policy_levels(cubes[m], econ, horizon, review, cfg.error_correlation) for m in models}
    if "stock_on_hand" in panel.demand.columns:
        start = (
            panel.demand.filter(pl.col(DATE) == cutoff).join(ids, on=keys, how="semi")
            .sort(keys).get_column("stock_on_hand").to_numpy().astype(float)
        )
    else:  # no stock in the data: start every policy at the best forecaster's order-up-to level
        start = levels[models[-1]]["(R,S) quantile"]["S"][:, 0]
        notes.append("The data records no stock: every policy starts at the best forecaster's (R,S) level.")
    backorders = cfg.shortage == "backorder"
    # orders placed before the origin are known: receipts inside the first lead time
    pipeline = None
    if "receipts" in panel.demand.columns:
        got = panel.demand.filter(pl.col(DATE).is_in(dates.implode())).join(ids, on=keys, how="semi")
        pipeline = _matrix(got, keys, "receipts")
        pipeline = np.where(np.arange(horizon)[None, :] < lead[:, None], np.nan_to_num(pipeline), 0.0)

    def run(policy: Policy) -> SimResult:
        return simulate(demand, start, lead, policy, costs, pipeline=pipeline, backorders=backorders)

    sims: dict[str, SimResult] = {}
    rows, param_frames = [], []
    for model in models:
        lv = levels[model]
        for name in POLICIES:
            sims[f"{name} | {model}"] = run(make_policy(name, lv[name], review))
            rows.append((name, model))
        info = lv["_info"]
        param_frames.append(econ.select([*keys, "abc", "xyz", "lead_time"]).with_columns(
            pl.lit(model).alias("forecaster"),
            pl.Series("service_target", info["target"]),
            pl.Series("mean_demand", info["mu"]),
            pl.Series("sd_lead_time", info["sd_cover"]),
            pl.Series("eoq", info["eoq"]),
            pl.Series("s_normal", lv["(s,S) normal"]["s"].mean(axis=1)),
            pl.Series("S_normal", lv["(s,S) normal"]["S"].mean(axis=1)),
            pl.Series("S_quantile", lv["(R,S) quantile"]["S"].mean(axis=1)),
            pl.Series("r_quantile", lv["(r,Q) quantile"]["r"].mean(axis=1)),
            pl.Series("newsvendor_service", lv["(R,S) newsvendor"]["service"]),
            pl.Series("S_newsvendor", lv["(R,S) newsvendor"]["S"].mean(axis=1)),
        ))

    # --- plans, from the last (best) forecaster
    plan_model = models[-1]
    cube = cubes[plan_model]
    location = lp_cfg.location or (keys[-1] if len(keys) > 1 else None)
    loc = _locations(panel, econ, location)
    uniq_loc, wh = np.unique(loc, return_inverse=True)
    mu, q_eoq = levels[plan_model]["_info"]["mu"], levels[plan_model]["_info"]["eoq"]
    volume = econ.get_column("volume").to_numpy()
    unit_cost = econ.get_column("unit_cost").to_numpy()
    sup_names = None
    sup = np.zeros(n, dtype=int)
    supplier_cap = None
    if lp_cfg.supplier_cover is not None:
        if "supplier" not in econ.columns:
            notes.append("The data names no suppliers: the plan has no supplier capacity.")
        else:
            sup_names, sup = np.unique(econ.get_column("supplier").cast(pl.String).to_numpy(), return_inverse=True)
            supplier_cap = np.bincount(sup, weights=mu, minlength=sup_names.size) * lp_cfg.supplier_cover
    # the fixed cost per order spread over the EOQ batch keeps the LP linear (the MIP charges it per order)
    spread = costs.ordering / np.maximum(q_eoq, 1.0)
    purchase = np.zeros(n)
    shortage_cost = costs.shortage
    if lp_cfg.objective == "profit":
        # revenue counts the lost margin already: buying costs the unit cost, a lost sale only its goodwill
        purchase = unit_cost
        margin = (econ.get_column("price") - econ.get_column("unit_cost")).clip(lower_bound=0.0).to_numpy()
        shortage_cost = np.maximum(costs.shortage - margin, 0.0)
    items = PlanItems(
        demand=_matrix(forecasts.filter(pl.col("model") == plan_model), keys, plan_col),
        start_stock=start, lead_time=lead, pipeline=pipeline, holding_cost=costs.holding, shortage_cost=shortage_cost,
        unit_order_cost=purchase + spread, order_cost=costs.ordering,
        unit_cost=unit_cost, price=econ.get_column("price").to_numpy(), volume=volume, warehouse=wh, supplier=sup,
        moq=econ.get_column("moq").to_numpy(), case_pack=econ.get_column("case_pack").to_numpy(),
        names=[" / ".join(map(str, r)) for r in econ.select(keys).iter_rows()],
    )
    limits = Limits(
        warehouse=None if lp_cfg.warehouse_cover is None
        else np.bincount(wh, weights=volume * mu, minlength=uniq_loc.size) * lp_cfg.warehouse_cover,
        supplier=supplier_cap,
        budget=None if lp_cfg.budget_cover is None else float(unit_cost @ mu) * lp_cfg.budget_cover,
        min_service=lp_cfg.min_service,
        penalty=dict(lp_cfg.penalty),
        warehouse_names=[str(x) for x in uniq_loc],
        supplier_names=None if sup_names is None else [str(x) for x in sup_names],
    )
    arcs = None
    if lp_cfg.transfers and location is not None:
        src, dst = _transfer_arcs(econ, loc, keys, location)
        if src.size:
            arcs = Transfers(src, dst, cost=lp_cfg.transfer_cost_share * unit_cost[src])
        else:
            notes.append(f"No item is held at two values of '{location}': the plan has no transfers.")
    opts = dict(objective=lp_cfg.objective, shortage=cfg.shortage, order_every=lp_cfg.order_every,
                solver=lp_cfg.solver, time_limit=lp_cfg.time_limit)
    plans: dict[str, PlanResult] = {}
    plan_errors: dict[str, str] = {}

    def make(name: str, plan_items: PlanItems, **kwargs) -> None:
        # each plan stands alone: one that cannot be made is reported, not the end of the study
        try:
            plans[name] = plan_replenishment(plan_items, limits, **opts, **kwargs)
        except PlanError as err:
            plan_errors[name] = str(err)

    make("LP plan", items, transfers=arcs)
    if lp_cfg.scenarios:
        scen = demand_scenarios(cube, lp_cfg.scenarios, cfg.error_correlation, cfg.seed)
        # without transfers: arcs x scenarios would make it many times larger
        make("scenario LP", PlanItems(**{**items.__dict__, "demand": scen}),
             cvar_alpha=lp_cfg.cvar_alpha, cvar_weight=lp_cfg.cvar_weight)
    if lp_cfg.mip:
        make("MIP plan", PlanItems(**{**items.__dict__, "unit_order_cost": purchase}),
             transfers=arcs, integer=True, mip_gap=lp_cfg.mip_gap)
    pack = econ.get_column("case_pack").to_numpy()
    for name, plan in plans.items():
        sims[f"{name} | {plan_model}"] = simulate(demand, start, lead, PlanPolicy(plan.orders), costs, pipeline=pipeline,
                                                  backorders=backorders, case_pack=pack if plan.integer else None)
        rows.append((name, plan_model))

    results = pl.DataFrame(
        [{"policy": pol, "forecaster": mod, **sims[f"{pol} | {mod}"].summary()} for pol, mod in rows]
    ).sort("total_cost")
    per_series = pl.concat([
        econ.select([*keys, "abc", "xyz"]).with_columns(
            pl.lit(pol).alias("policy"), pl.lit(mod).alias("forecaster"),
            pl.Series("fill_rate", sims[f"{pol} | {mod}"].fill_rate),
            pl.Series("total_cost", sims[f"{pol} | {mod}"].total_cost),
            pl.Series("lost_sales", sims[f"{pol} | {mod}"].lost),
        )
        for pol, mod in rows
    ])

    # --- cost against service: one target for every series, per policy and forecaster
    trade = []
    for model in models:
        for level in cfg.tradeoff_levels:
            lv = policy_levels(cubes[model], econ, horizon, review, cfg.error_correlation, service=np.float64(level))
            for name in ("(s,S) normal", "(R,S) quantile"):
                trade.append({"policy": name, "forecaster": model, "service_target": level,
                              **run(make_policy(name, lv[name], review)).summary()})
    tradeoff = pl.DataFrame(trade)
    # the fill rates every curve reaches, so that each row compares like with like
    # (on the fill rate after the first lead time: before it, the start decides, not the policy)
    on = "fill_rate_after_lead"
    reach = tradeoff.group_by("policy", "forecaster").agg(pl.col(on).min().alias("lo"), pl.col(on).max().alias("hi"))
    lo, hi = float(reach["lo"].max()), float(reach["hi"].min())
    if lo < hi:
        equal = _interp_cost_at(tradeoff, [float(f) for f in np.linspace(lo, hi, 5)], on=on)
    else:
        equal = _interp_cost_at(tradeoff, [], on=on)
        notes.append(f"The cost curves reach no common fill rate (the highest low end is {lo:.3f},"
                     f" the lowest high end {hi:.3f}): widen inventory.tradeoff_levels to compare at equal service.")
    lp_plan = plans.get("LP plan")
    return InventoryStudy(
        economics=econ, defaulted=defaulted, parameters=pl.concat(param_frames), plans=plans,
        plan_model=plan_model, results=results, per_series=per_series, tradeoff=tradeoff, equal_service=equal,
        shadow_prices=lp_plan.shadow_prices if lp_plan else pl.DataFrame(schema=SHADOW_SCHEMA),
        sims=sims, notes=notes, plan_errors=plan_errors,
    )
