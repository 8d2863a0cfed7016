"""The ``inventory`` group: service targets, costs and the replenishment plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from omegaconf import II

from workbench.config.risk import Distribution


class Shortage(StrEnum):
    lost_sales = "lost_sales"  # unmet demand is lost
    backorder = "backorder"  # unmet demand waits for the next receipt


class Objective(StrEnum):
    cost = "cost"  # minimise the plan's cost
    profit = "profit"  # maximise revenue less cost


class Solver(StrEnum):
    """cvxpy solvers that take the plan's linear program; ``inventory.lp.mip`` also needs one
    that takes integers (cvxpy's ``MI_SOLVERS``), and any of them must be installed
    (``cvxpy.installed_solvers()``): both are checked before a run starts."""

    HIGHS = "HIGHS"
    SCIPY = "SCIPY"
    CLARABEL = "CLARABEL"
    ECOS = "ECOS"
    SCS = "SCS"
    GLOP = "GLOP"
    PDLP = "PDLP"
    CVXOPT = "CVXOPT"
    GLPK = "GLPK"
    GLPK_MI = "GLPK_MI"
    CBC = "CBC"
    SCIP = "SCIP"
    CUOPT = "CUOPT"
    GUROBI = "GUROBI"
    CPLEX = "CPLEX"
    MOSEK = "MOSEK"
    COPT = "COPT"
    XPRESS = "XPRESS"


@dataclass
class LPConfig:
    """The replenishment plan (``workbench.inventory.lp``) as the study sets it up."""

    solver: Solver = Solver.HIGHS
    objective: Objective = Objective.cost
    order_every: int = 7  # orders only every this many periods
    plan_quantile: float = 0.9  # forecast quantile the deterministic plan meets
    # limits, in periods of mean demand (null: no such limit)
    warehouse_cover: float | None = 10.0  # volume per location
    supplier_cover: float | None = 10.0  # units a supplier ships per period
    budget_cover: float | None = 10.0  # purchasing spend per period
    min_service: float = 0.0  # share of each period's demand the plan must serve
    # soft limits: cost per unit beyond the limit (volume unit, unit, money) and period
    penalty: dict[str, float] = field(default_factory=lambda: {"warehouse": 0.05})
    # key or static column naming the locations (one warehouse each, transfers between them);
    # null: the last key where the panel has two (the channel of the default data), else one warehouse
    location: str | None = None
    transfers: bool = True  # move stock between the locations of an item
    transfer_cost_share: float = 0.03  # cost per unit moved, as a share of its unit cost
    scenarios: int = 20  # demand scenarios for the stochastic plan (0: none)
    cvar_alpha: float = 0.9
    cvar_weight: float = 1.0  # weight of CVaR_alpha of cost next to the expected cost
    mip: bool = True  # also solve the mixed-integer plan (case packs, MOQ, fixed order cost)
    case_pack: float = 1.0  # where the static table has no case_pack column
    moq: float = 0.0  # where the static table has no moq column
    mip_gap: float = 0.01
    time_limit: float = 120.0  # seconds per solve


class LeadTimeVariability(StrEnum):
    """Where each order's lead time comes from in the simulation (``inventory.lead_time.variability``)."""

    fixed = "fixed"  # every order takes the item's lead time
    shipments = "shipments"  # the item's lead time times a ratio drawn from the shipment history (risk.shipments)
    distribution = "distribution"  # the item's lead time times a ratio drawn from a scipy.stats distribution


class Crossing(StrEnum):
    """Whether a later order may arrive before an earlier one."""

    # where the shipment history shows orders crossing in that mode (risk study: crossing share); with
    # variability=distribution, which has no history, orders may cross
    data = "data"
    allow = "allow"
    forbid = "forbid"


@dataclass
class LeadTimeConfig:
    """Stochastic lead times: each order's lead time is the item's (nominal) lead time times a
    ratio actual / scheduled lead time, drawn (seeded) per order, rounded to whole periods, at
    least one. With ``shipments`` the ratios are those of the shipment history's mode assigned
    to the item's supplier."""

    variability: LeadTimeVariability = LeadTimeVariability.shipments
    by: str = "supplier"  # static column naming each item's supplier
    # supplier -> shipment mode of the history; suppliers not listed take `default_modes` in turn
    modes: dict[str, str] = field(default_factory=dict)
    default_modes: list[str] = field(default_factory=lambda: ["Truck", "Air", "Ocean"])
    fit: Distribution = Distribution.empirical  # the history's ratios as they are, or a fitted lognorm or gamma
    # variability=distribution: a scipy.stats distribution of the ratio and its parameters
    distribution: str = "lognorm"
    params: dict[str, float] = field(default_factory=lambda: {"s": 0.25, "scale": 1.0})
    crossing: Crossing = Crossing.data
    crossing_share: float = 0.01  # crossing=data: a mode whose history crosses at least this share of orders
    aware: bool = True  # the policies' levels account for lead-time variability
    samples: int = 200  # Monte Carlo draws of lead-time demand for the quantile policies' levels
    seed: int = II("experiment.seed")


class Terminal(StrEnum):
    """How a re-planned plan values the stock it leaves at its horizon's end (``inventory.mpc.terminal``)."""

    # the position left at the horizon's end is worth the shortage cost it saves until the first order after the
    # horizon can arrive (shortage cost x P(demand > position)), up to the plan quantile of that demand
    target = "target"
    value = "value"  # the same, each unit worth at most `terminal_value` x its unit cost
    none = "none"  # stock left at the end is worth nothing (the open-loop plan's end effect)


@dataclass
class MPCConfig:
    """Rolling-horizon planning (model-predictive control): at every review (every
    ``inventory.lp.order_every`` periods) each plan is re-solved from the simulated state with the
    forecast issued that day, and its first period's orders are placed."""

    enabled: bool = True
    plans: list[str] = field(default_factory=lambda: ["lp", "scenario_lp", "mip"])  # which plans are re-planned
    # the re-planned LP's plan quantile, swept for its cost-against-service curve (each a forecast quantile)
    quantiles: list[float] = field(default_factory=lambda: [0.75, 0.9, 0.95])
    terminal: Terminal = Terminal.target
    terminal_value: float = 1.0  # terminal=value: worth of a unit left at the end, as a share of its unit cost
    horizon: int | None = None  # periods planned at each review; null: to the end of the evaluation window
    # re-forecast at every review with the forecasters' rolling machinery (global models: no refit);
    # false: every review plans from the forecast issued at the window's origin
    reforecast: bool = True


class Hindsight(StrEnum):
    """The perfect-foresight bound on every evaluation window (``inventory.evaluation.hindsight``)."""

    mip = "mip"  # the plan solved with the demand that came, a fixed cost per order: the hindsight optimum
    lp = "lp"  # its linear relaxation: a weaker bound, quicker
    none = "none"


@dataclass
class EvaluationConfig:
    """Policies and plans priced over several evaluation windows: the backtest's rolling origins."""

    windows: int | None = None  # the last this many origins of the backtest (the hold-out is the last); null: all
    hindsight: Hindsight = Hindsight.mip
    hindsight_gap: float = 0.001  # relative MIP gap of the hindsight plan
    time_limit: float = 20.0  # seconds per hindsight solve (the bound is proven at whatever gap it reaches)


class Start(StrEnum):
    """The stock every policy starts a window with (``inventory.start.stock``)."""

    auto = "auto"  # the data's stock on hand where it records it, else a warm-up
    data = "data"  # the data's stock_on_hand at the origin (an error where it has none)
    # the state a reference policy reaches over the history before the window: every policy and plan starts there
    warmup = "warmup"


@dataclass
class StartConfig:
    stock: Start = Start.auto
    warmup_periods: int = 56  # periods of history the warm-up simulates
    reference: str = "RS_quantile"  # the policy (driven by the best forecaster) whose warm-up state all start from


@dataclass
class CostTableConfig:
    """Costs and lead times per item or per category from a small CSV, for data that records none:
    one row per value of ``by`` (a key or a static column), any of the columns lead_time,
    unit_cost, holding_cost, order_cost, price, volume, case_pack, moq (``columns`` maps these names
    to the file's headers where they differ). Values given win over the data's and the defaults."""

    path: str | None = None
    by: str | None = None
    columns: dict[str, str] = field(default_factory=dict)


@dataclass
class TransshipmentConfig:
    """Lateral transshipment between the locations of an item (the online shop and the store) in the
    simulation: the heuristic policies move stock when one location would run out before its next
    order arrives and the other holds more than its own need; the plans execute their transfers."""

    enabled: bool = True
    lead_time: int = 1  # periods from sending to being sellable at the other location
    cost_share: float = II("..lp.transfer_cost_share")  # cost per unit moved, as a share of unit cost


@dataclass
class LearnedConfig:
    """A learned replenishment policy (PPO, stable-baselines3) trained in the Gymnasium
    environment of the simulator on a few items, priced against base stock and the re-planned LP."""

    enabled: bool = True
    items: int = 16  # the series with the most revenue
    # item-periods of experience; 200,000 take about 20 s on two cores (benchmarks/bench_learned.py)
    timesteps: int = 200_000
    seed: int = II("experiment.seed")


@dataclass
class InventoryConfig:
    # target cycle service level per ABC class (by revenue), or per ABC x XYZ class ("AX");
    # a two-letter key wins over its one-letter class
    service_levels: dict[str, float] = field(
        default_factory=lambda: {
            "AX": 0.99, "AY": 0.98, "AZ": 0.97,
            "BX": 0.97, "BY": 0.95, "BZ": 0.93,
            "CX": 0.93, "CY": 0.90, "CZ": 0.85,
        }
    )
    abc_shares: list[float] = field(default_factory=lambda: [0.8, 0.95])  # cumulative revenue cut-offs
    xyz_cutoffs: list[float] = field(default_factory=lambda: [0.5, 1.0])  # CV of demand per period
    shortage: Shortage = Shortage.lost_sales
    shortage_penalty: float = 1.0  # lost-sale cost = margin * (1 + penalty)
    # backorders: a unit waiting this many days costs as much as a lost sale (charged per period waited)
    backorder_days: float = 7.0
    # the replenishment policies compared, by name (workbench.inventory.levels.POLICIES)
    policies: list[str] = field(default_factory=lambda: ["sS_normal", "RS_quantile", "rQ_quantile", "RS_newsvendor",
                                                         "base_stock"])
    review_days: int = 7  # review period R of the (R, S) policies, in periods
    # correlation between the forecast errors of the days in a lead time (0: independent)
    error_correlation: float = 1.0
    tradeoff_levels: list[float] = field(default_factory=lambda: [0.8, 0.9, 0.95, 0.98, 0.995])
    lp: LPConfig = field(default_factory=LPConfig)
    lead_time: LeadTimeConfig = field(default_factory=LeadTimeConfig)
    mpc: MPCConfig = field(default_factory=MPCConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    start: StartConfig = field(default_factory=StartConfig)
    costs: CostTableConfig = field(default_factory=CostTableConfig)
    transshipment: TransshipmentConfig = field(default_factory=TransshipmentConfig)
    learned: LearnedConfig = field(default_factory=LearnedConfig)
    seed: int = II("experiment.seed")
