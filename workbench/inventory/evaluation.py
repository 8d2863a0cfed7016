"""What each decision is worth: every policy and the re-planned LP over several evaluation windows
(the backtest's rolling origins), each priced against the demand that really came and against the
perfect-foresight bound on the same window, and the value of the forecast at equal service.

Per window (:class:`~workbench.inventory.window.Window`, the same set-up as the study's hold-out):
the heuristic policies driven by each forecaster, their cost-against-service curves, the
re-planned LP (:mod:`.mpc`) at each plan quantile of ``inventory.mpc.quantiles`` (its own curve)
with the forecast issued at each review, and the hindsight plan (:mod:`.hindsight`). Regret is a
run's cost above the hindsight cost of its window; the value of the forecast is each curve's
cost at the fill rates every curve of the window reaches, against the reference curve's (the
baseline forecaster with normal safety stock), as a mean and a spread over the windows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import polars as pl

from workbench.data.panel import DemandPanel
from workbench.inventory import tradeoff
from workbench.inventory.cube import Cube, forecast_cube
from workbench.inventory.hindsight import hindsight
from workbench.inventory.lp import PlanError
from workbench.inventory.window import Window
from workbench.risk.leadtime import LeadTimeModel

MPC_LP = "lp_mpc"  # the re-planned LP's name in the tables
RUN_COLUMNS = ("fill_rate", "fill_rate_after_lead", "total_cost", "holding_cost", "ordering_cost", "shortage_cost",
               "transfer_cost")


@dataclass
class Evaluation:
    """Tables over the windows; every one has an ``origin`` column."""

    runs: pl.DataFrame  # origin x policy x forecaster: fill rates, costs, hindsight cost, regret
    tradeoff: pl.DataFrame  # origin x curve x service target (or plan quantile): fill rate after lead, cost
    equal_service: pl.DataFrame  # origin x curve x common fill rate: cost
    hindsight: pl.DataFrame  # origin: hindsight cost, guaranteed bound, status, seconds
    solve_times: pl.DataFrame  # origin x forecaster x plan quantile x review: seconds of the re-solve
    notes: list[str] = field(default_factory=list)


def evaluation_origins(backtest: pl.DataFrame, windows: int | None) -> list:
    """The scored origins of the backtest (its backtest windows and the hold-out), the last
    ``windows`` of them (all with None)."""
    scored = backtest.filter(pl.col("window").is_in(["backtest", "holdout"]))
    origins = sorted(scored.get_column("cutoff").unique().to_list())
    if windows is not None:
        if windows < 1:
            raise ValueError(f"inventory.evaluation.windows={windows}; expected at least 1 (or null: all)")
        origins = origins[-windows:]
    return origins


def padded(cube: Cube, days: int) -> Cube:
    """``cube`` with at least ``days`` days: days past its end repeat its average day (as
    :meth:`Cube.path` counts them), for a plan whose horizon reaches past the window's end."""
    short = days - cube.mean.shape[1]
    if short <= 0:
        return cube
    if cube.mean.shape[1] == 0:
        raise ValueError(f"padded: a forecast of no days cannot be extended to {days}; expected at least one day")
    mean = np.repeat(cube.mean.mean(axis=1, keepdims=True), short, axis=1)
    values = np.repeat(cube.values.mean(axis=1, keepdims=True), short, axis=1)
    return Cube(mean=np.concatenate([cube.mean, mean], axis=1), values=np.concatenate([cube.values, values], axis=1),
                levels=cube.levels)


def issued(win: Window, model: str, rolling: pl.DataFrame | None, quantiles: list[float],
           horizon: int | None = None) -> Callable[[int], Cube]:
    """``forecast_at(t)`` for a re-planning policy deciding at the end of period ``t`` of the window:
    the forecast for periods t + 1 to the window's end (and on to ``horizon`` periods, the plan's,
    with the average day past the end). At a review it is the rolling forecast issued at origin + t
    (``rolling``: rows of :func:`workbench.forecast.rolling.rolling_forecasts`), from its second day on
    (its first is period t, whose demand the simulation has just served); at the origin, or without
    rolling forecasts, the origin's own forecast from period t + 1 on."""
    origin, cube = win.w.origin, win.cubes[model]
    ids = win.econ.select(win.keys)
    dates = win.panel.dates.filter(win.panel.dates > origin)  # dates[0]: the window's first period
    mine = None if rolling is None else rolling.filter((pl.col("model") == model) & (pl.col("origin") == origin))

    def forecast_at(t: int) -> Cube:
        return padded(made_at(t), horizon or 0)

    def made_at(t: int) -> Cube:
        if t == 0 or mine is None or mine.height == 0:
            return Cube(mean=cube.mean[:, t + 1:], values=cube.values[:, t + 1:], levels=cube.levels)
        cutoff = dates[t - 1]  # origin + t periods
        rows = mine.filter(pl.col("cutoff") == cutoff).join(ids, on=win.keys, how="semi")
        if rows.height == 0:
            raise ValueError(f"no rolling forecast of '{model}' was issued on {cutoff}, a review of the window after"
                             f" {origin}: the rolling forecasts' review period must be inventory.lp.order_every")
        later = forecast_cube(rows, win.keys, quantiles, model)
        if later.mean.shape != (win.econ.height, win.horizon - t):
            raise ValueError(f"the rolling forecasts of '{model}' issued on {cutoff} cover {later.mean.shape}"
                             f" (series, periods); the window needs {(win.econ.height, win.horizon - t)}")
        return Cube(mean=later.mean[:, 1:], values=later.values[:, 1:], levels=later.levels)

    return forecast_at


def _row(origin, policy: str, forecaster: str, summary: dict) -> dict:
    return {"origin": origin, "policy": policy, "forecaster": forecaster,
            **{k: summary.get(k, 0.0) for k in RUN_COLUMNS}}


def evaluate(panel: DemandPanel, backtest: pl.DataFrame, models: list[str], quantiles: list[float], cfg,
             lead_model: LeadTimeModel | None = None, rolling: pl.DataFrame | None = None,
             progress: Callable[[str], None] | None = None) -> Evaluation:
    """Every policy of ``inventory.policies`` driven by each of ``models``, and the re-planned LP, on
    each evaluation window; ``backtest`` holds the forecasts of every origin (the forecast stage's
    ``backtest`` table), ``rolling`` the forecasts issued at each review (None: re-plan from the
    origin's forecast)."""
    runs, trades, eq, bounds, times, notes = [], [], [], [], [], []
    lp_only = unconstrained(cfg)
    for origin in evaluation_origins(backtest, cfg.evaluation.windows):
        if progress:
            progress(f"window after {origin}")
        fc = backtest.filter((pl.col("cutoff") == origin) & pl.col("model").is_in(models))
        win = Window.of(panel, fc, models, quantiles, cfg, lead_model, label=f" (window after {origin})")
        notes += [n for n in win.notes if n not in notes]
        for m in models:
            for p in win.policies:
                runs.append(_row(origin, p.name, m, win.run(win.rule(p, win.inputs[m])).summary()))
        trade = tradeoff.sweep(win.policies, win.cubes, list(cfg.tradeoff_levels), win.level_inputs, win.price)
        if cfg.mpc.enabled and "lp" in cfg.mpc.plans:
            mpc_rows = []
            for m in models:
                forecast_at = issued(win, m, rolling, quantiles, cfg.mpc.horizon)
                # the plan quantile of inventory.lp is the re-planned LP's row in the runs, the others its curve
                for q in sorted({*map(float, cfg.mpc.quantiles), float(cfg.lp.plan_quantile)}):
                    planner = win.planners(m, forecast_at, cfg=lp_only, quantile=float(q))["lp"]
                    try:
                        summary = win.run(planner).summary()
                    except PlanError as err:  # one run that cannot be made is left out, with its reason
                        notes.append(f"Window after {origin}: the re-planned LP ({m}, plan quantile {q:g}) was not"
                                     f" made: {err}")
                        continue
                    mpc_rows.append({"policy": MPC_LP, "forecaster": m, "service_target": float(q), **summary})
                    times += [{"origin": origin, "forecaster": m, "plan_quantile": float(q), "review": r.t,
                               "periods": r.horizon, "seconds": r.seconds, "compiled": r.first}
                              for r in planner.reviews]
                    if abs(q - cfg.lp.plan_quantile) < 1e-9:
                        runs.append(_row(origin, MPC_LP, m, summary))
            trade = pl.concat([trade, pl.DataFrame(mpc_rows).select(trade.columns)], how="vertical_relaxed")
        trades.append(trade.with_columns(pl.lit(origin).alias("origin")))
        eq.append(tradeoff.equal_service(trade, notes).with_columns(pl.lit(origin).alias("origin")))
        if str(cfg.evaluation.hindsight) != "none":
            try:
                bounds.append({"origin": origin, **hindsight_of(win, cfg)})
            except PlanError as err:
                notes.append(f"Window after {origin}: no hindsight plan, so no regret: {err}")
    runs = pl.DataFrame(runs)
    hind = pl.DataFrame(bounds) if bounds else None
    if hind is not None:
        runs = runs.join(hind.select("origin", pl.col("cost").alias("hindsight_cost")), on="origin",
                         how="left").with_columns(
            (pl.col("total_cost") - pl.col("hindsight_cost")).alias("regret"),
            (pl.col("total_cost") / pl.col("hindsight_cost") - 1).alias("regret_share"))
    return Evaluation(runs=runs, tradeoff=pl.concat(trades, how="vertical_relaxed"),
                      equal_service=pl.concat(eq), hindsight=hind if hind is not None else pl.DataFrame(),
                      solve_times=pl.DataFrame(times), notes=notes)


def unconstrained(cfg):
    """``cfg`` for the re-planned LP of the evaluation: without ``inventory.lp``'s warehouse, supplier,
    budget and service limits, which neither the heuristic policies nor the hindsight plan face, so
    that every run of a window competes on the same terms."""
    lp = replace(cfg.lp, warehouse_cover=None, supplier_cover=None, budget_cover=None, min_service=0.0, penalty={})
    return replace(cfg, lp=lp, mpc=replace(cfg.mpc, plans=["lp"]))


def hindsight_of(win: Window, cfg) -> dict:
    """The hindsight plan of ``win``: the demand that came, the window's start, pipeline, drawn lead
    times and arcs, priced as the simulation prices a run."""
    w = win.w
    lead = win.supply.draws if win.supply.draws is not None else win.econ.get_column("lead_time").to_numpy()
    hs = hindsight(w.demand, w.start, lead, w.costs, pipeline=w.pipeline, backorders=cfg.shortage == "backorder",
                   transfers=win.arcs, integer=str(cfg.evaluation.hindsight) == "mip",
                   gap=cfg.evaluation.hindsight_gap, time_limit=cfg.evaluation.time_limit)
    return {"cost": hs.total_cost, "bound": hs.bound, "relaxation": hs.relaxation, "status": hs.status,
            "seconds": hs.seconds}


def regret_table(ev: Evaluation) -> pl.DataFrame:
    """Per policy and forecaster over the windows: mean and spread of cost and fill rate after the
    first lead time, and the mean regret above the hindsight cost (in money and as a share)."""
    has = "regret" in ev.runs.columns
    return ev.runs.group_by("policy", "forecaster").agg(
        pl.len().alias("windows"),
        pl.col("fill_rate_after_lead").mean().alias("fill_rate_after_lead"),
        pl.col("total_cost").mean().alias("mean_cost"),
        pl.col("total_cost").std().alias("sd_cost"),
        *([pl.col("regret").mean().alias("mean_regret"), pl.col("regret_share").mean().alias("regret_share"),
           pl.col("regret_share").std().alias("sd_regret_share")] if has else []),
    ).sort("mean_cost")


def value_of_forecast(ev: Evaluation, reference: tuple[str, str], points: int = 5) -> pl.DataFrame:
    """Per curve (policy x forecaster): its cost at equal fill rate after the first lead time against
    the ``reference`` curve's (policy, forecaster): in each window, both curves are read at ``points``
    fill rates that both reach (:func:`~workbench.inventory.tradeoff.cost_at`), the saving is
    ``1 - cost / reference cost`` averaged over them; then its mean, spread and range over the
    windows. A window where the two curves share no fill rate does not count (``windows`` says how
    many do)."""
    rows = []
    on = tradeoff.ON
    for origin, part in ev.tradeoff.group_by("origin", maintain_order=True):
        reach = part.group_by("policy", "forecaster").agg(pl.col(on).min().alias("lo"), pl.col(on).max().alias("hi"))
        ref = reach.filter((pl.col("policy") == reference[0]) & (pl.col("forecaster") == reference[1]))
        if ref.height == 0:
            continue
        for r in reach.iter_rows(named=True):
            lo, hi = max(r["lo"], ref["lo"][0]), min(r["hi"], ref["hi"][0])
            if lo > hi + 1e-12:
                continue
            # a curve that does not move with its target (every point at one fill rate) is read there
            grid = [float(f) for f in np.linspace(lo, hi, points)] if hi > lo + 1e-12 else [float(hi)]
            pair = part.filter(((pl.col("policy") == r["policy"]) & (pl.col("forecaster") == r["forecaster"]))
                               | ((pl.col("policy") == reference[0]) & (pl.col("forecaster") == reference[1])))
            at = tradeoff.cost_at(pair, grid)
            mine = at.filter((pl.col("policy") == r["policy"]) & (pl.col("forecaster") == r["forecaster"]))
            base = at.filter((pl.col("policy") == reference[0]) & (pl.col("forecaster") == reference[1]))
            cost, ref_cost = mine["total_cost"].to_numpy(), base["total_cost"].to_numpy()
            rows.append({"origin": origin[0], "policy": r["policy"], "forecaster": r["forecaster"],
                         "saving": float(np.mean(1 - cost / ref_cost)), "cost": float(cost.mean()),
                         "fill_from": lo, "fill_to": hi})
    schema = {"origin": ev.tradeoff.schema["origin"], "policy": pl.String, "forecaster": pl.String,
              "saving": pl.Float64, "cost": pl.Float64, "fill_from": pl.Float64, "fill_to": pl.Float64}
    per_window = pl.DataFrame(rows, schema=schema)
    return per_window.group_by("policy", "forecaster").agg(
        pl.len().alias("windows"),
        pl.col("saving").mean().alias("mean_saving"), pl.col("saving").std().alias("sd_saving"),
        pl.col("saving").min().alias("min_saving"), pl.col("saving").max().alias("max_saving"),
        pl.col("cost").mean().alias("cost_at_equal_service"),
    ).sort("mean_saving", descending=True)
