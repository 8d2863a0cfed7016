"""One evaluation window as the simulation sees it: the actual demand, the economics, the start,
the forecasts as arrays, the level inputs of each forecaster, the drawn lead times and the arcs
along which stock may move between an item's locations. The inventory study prices its policies on
the hold-out window; the evaluation (:mod:`.evaluation`) on every origin of the backtest, with the
same code.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from workbench.data.panel import DATE, DemandPanel
from workbench.inventory.cube import Cube, forecast_cube
from workbench.inventory.economics import series_economics
from workbench.inventory.levels import InventoryPolicy, LevelInputs, make_policies
from workbench.inventory.plans import make_planners, matrix
from workbench.inventory.simulate import Costs, Policy, SimResult, TransferArcs, simulate
from workbench.inventory.start import actual_demand, start_state
from workbench.inventory.transship import Transshipping, transfer_arcs
from workbench.risk.leadtime import LeadTimeModel, LeadTimes


@dataclass
class HoldOut:
    """The hold-out window as the simulation sees it: actual demand, the start, the pipeline."""

    econ: pl.DataFrame
    defaulted: list[str]
    origin: object  # the forecast origin (a date): the window starts the period after it
    demand: np.ndarray  # (n, H) actual demand: the true demand where the data has it
    start: np.ndarray | None  # (n,) stock on hand at the origin; None where the data records none
    pipeline: np.ndarray | None  # (n, H) receipts of orders placed before the origin
    costs: Costs
    notes: list[str] = field(default_factory=list)  # the cost table's, and where the start came from


def hold_out(panel: DemandPanel, forecasts: pl.DataFrame, cfg) -> HoldOut:
    """The series' economics (from history up to the origin) and what the window holds."""
    keys = list(panel.keys)
    cutoff = forecasts.get_column("cutoff").min()
    dates = forecasts.get_column(DATE).unique().sort()
    ids = forecasts.select(keys).unique()  # a series that had not started at the origin has none
    econ, defaulted, notes = series_economics(panel, cutoff, cfg)
    econ = econ.join(ids, on=keys, how="semi").sort(keys)
    actual_src, actual_col = actual_demand(panel)
    window = actual_src.filter(pl.col(DATE).is_in(dates.implode())).select([*keys, DATE, actual_col])
    demand = matrix(window.join(ids, on=keys, how="semi"), keys, actual_col)
    start = None
    if "stock_on_hand" in panel.demand.columns:
        start = (panel.demand.filter(pl.col(DATE) == cutoff).join(ids, on=keys, how="semi")
                 .sort(keys).get_column("stock_on_hand").to_numpy().astype(float))
    pipeline = None  # orders placed before the origin are known: receipts inside the first lead time
    if "receipts" in panel.demand.columns:
        got = panel.demand.filter(pl.col(DATE).is_in(dates.implode())).join(ids, on=keys, how="semi")
        lead = econ.get_column("lead_time").to_numpy()
        pipeline = np.where(np.arange(demand.shape[1])[None, :] < lead[:, None],
                            np.nan_to_num(matrix(got, keys, "receipts")), 0.0)
    costs = Costs(holding=econ.get_column("holding_cost").to_numpy(),
                  ordering=econ.get_column("order_cost").to_numpy(),
                  shortage=econ.get_column("shortage_cost").to_numpy())
    return HoldOut(econ, defaulted, cutoff, demand, start, pipeline, costs, notes)


def window_cube(forecasts: pl.DataFrame, keys: list[str], quantiles: list[float], model: str, w: HoldOut) -> Cube:
    """``model``'s hold-out forecasts as a cube, which must cover every series and date of the window."""
    cube = forecast_cube(forecasts, keys, quantiles, model)
    if cube.mean.shape != w.demand.shape:
        raise ValueError(
            f"forecasts of '{model}' cover {cube.mean.shape[0]} series x {cube.mean.shape[1]} periods; the hold-out"
            f" window has {w.demand.shape[0]} x {w.demand.shape[1]}: every compared model must forecast every"
            " series on every date"
        )
    return cube




@dataclass
class Supply:
    """The lead times the simulation draws for one study: per order (``draws``, None when
    fixed), whether orders may cross, and the model the levels account for (``aware``)."""

    lead_times: LeadTimes | None
    draws: np.ndarray | None
    crossing: np.ndarray | bool
    aware: LeadTimes | None
    notes: list[str]

    @classmethod
    def of(cls, model: LeadTimeModel | None, econ: pl.DataFrame, horizon: int, cfg) -> Supply:
        lt = model.for_series(econ) if model is not None else None
        if lt is None or lt.fixed:
            return cls(lt, None, True, None, [])
        aware = lt if cfg.aware else None
        notes = [f"Lead times are drawn per order: {lt.description}; the policies' levels "
                 + ("account for their variability." if aware else "assume the item's fixed lead time."), *lt.notes]
        return cls(lt, lt.draws(horizon), lt.crossing, aware, notes)

    def table(self, econ: pl.DataFrame, keys: list[str]) -> pl.DataFrame | None:
        return None if self.lead_times is None else self.lead_times.table(econ.select(keys))


def location_column(panel: DemandPanel, cfg) -> str | None:
    """The key or static column naming an item's locations (``inventory.lp.location``; by default
    the last key where the panel has two, the channel of the default data)."""
    keys = list(panel.keys)
    return cfg.lp.location or (keys[-1] if len(keys) > 1 else None)


@dataclass
class Window:
    """Everything a policy is priced on in one window; :meth:`run` simulates a rule on it."""

    w: HoldOut
    keys: list[str]
    cubes: dict[str, Cube]  # forecaster -> its forecasts issued at the origin
    inputs: dict[str, LevelInputs]  # forecaster -> level inputs at the class targets
    supply: Supply
    policies: list[InventoryPolicy]
    arcs: TransferArcs | None  # lateral transshipment (inventory.transshipment); None: no moves
    cfg: object
    panel: DemandPanel
    notes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, panel: DemandPanel, forecasts: pl.DataFrame, models: list[str], quantiles: list[float], cfg,
           lead_model: LeadTimeModel | None = None, label: str = "") -> Window:
        """The window after the origin of ``forecasts`` (one origin), the last of ``models`` the
        forecaster whose levels set a warm-up start where the data records no stock."""
        keys = list(panel.keys)
        w = hold_out(panel, forecasts, cfg)
        cubes = {m: window_cube(forecasts, keys, quantiles, m, w) for m in models}
        supply = Supply.of(lead_model, w.econ, w.demand.shape[1], cfg.lead_time)
        out = cls(w, keys, cubes, {}, supply, make_policies(list(cfg.policies)), None, cfg, panel, list(w.notes))
        out.inputs = {m: out.level_inputs(cubes[m]) for m in models}
        out.w = start_state(panel, w, out.inputs[models[-1]], cfg, out.notes, label)
        out.notes += supply.notes
        location = location_column(panel, cfg)
        if cfg.transshipment.enabled and location is not None and location in w.econ.columns:
            t = cfg.transshipment
            out.arcs = transfer_arcs(w.econ, keys, location, t.cost_share, int(t.lead_time))
        return out

    @property
    def econ(self) -> pl.DataFrame:
        return self.w.econ

    @property
    def horizon(self) -> int:
        return self.w.demand.shape[1]

    def level_inputs(self, cube: Cube, service: float | None = None) -> LevelInputs:
        return LevelInputs.from_economics(cube, self.econ, int(self.cfg.review_days), self.cfg.error_correlation,
                                          service=service, lead_times=self.supply.aware,
                                          samples=self.cfg.lead_time.samples)

    def rule(self, policy: InventoryPolicy, x: LevelInputs, levels=None) -> Policy:
        """``policy``'s simulator rule, moving stock between locations where the window has arcs:
        a location moves its surplus to one that would run out before its own next order arrives."""
        rule = policy.rule(policy.levels(x) if levels is None else levels, x)
        if self.arcs is None:
            return rule
        need = x.over(x.cube.mean, x.lead + int(self.arcs.lead_time))
        return Transshipping(rule, need)

    def planners(self, model: str, forecast_at, cfg=None, quantile: float | None = None,
                 notes: list[str] | None = None) -> dict:
        """The re-planning policies of ``inventory.mpc.plans`` (of ``cfg``, by default the window's)
        driven by ``model``'s forecasts as ``forecast_at(t)`` issues them (:func:`make_planners`)."""
        cfg = self.cfg if cfg is None else cfg
        x = self.inputs[model]
        if x.varies:  # where lead times vary, a new order is planned to arrive after the mean lead time
            x = dataclasses.replace(x, lead=np.maximum(np.rint(x.lead_mean), 1).astype(np.int64))
        return make_planners(self.panel, self.econ, x, self.w.costs, cfg, forecast_at, self.horizon,
                             quantile=quantile, notes=notes)

    def price(self, policy: InventoryPolicy, x: LevelInputs) -> SimResult:
        """``policy`` with levels from ``x``, simulated on the window (the cost-against-service sweep)."""
        return self.run(self.rule(policy, x))

    def run(self, policy: Policy, case_pack: np.ndarray | None = None) -> SimResult:
        cfg, w = self.cfg, self.w
        return simulate(w.demand, w.start, self.econ.get_column("lead_time").to_numpy(), policy, w.costs,
                        pipeline=w.pipeline, backorders=cfg.shortage == "backorder", case_pack=case_pack,
                        lead_draws=self.supply.draws, crossing=self.supply.crossing, transfers=self.arcs)
