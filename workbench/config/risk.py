"""The ``risk`` group: shipment histories, their lead-time and delay distributions, the
late-delivery model, the supplier scorecard, disruptions and sourcing under risk.

The shipment history defaults to the USAID SCMS delivery history (its layout, date formats and
the texts it writes into numeric columns are mapped here, so another history with other
names is a config change). Days are calendar days of the history; the inventory stage carries
lead-time variability into its own periods as a ratio to the nominal lead time
(``inventory.lead_time``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from omegaconf import II

# canonical column -> column of the SCMS delivery history
SCMS_COLUMNS = {
    "shipment_id": "ID",
    "vendor": "Vendor",
    "country": "Country",
    "mode": "Shipment Mode",
    "route": "Fulfill Via",
    "product_group": "Product Group",
    "product_class": "Sub Classification",
    "inco_term": "Vendor INCO Term",
    "managed_by": "Managed By",
    "po_date": "PO Sent to Vendor Date",
    "scheduled_date": "Scheduled Delivery Date",
    "delivered_date": "Delivered to Client Date",
    "recorded_date": "Delivery Recorded Date",
    "quantity": "Line Item Quantity",
    "value": "Line Item Value",
    "weight_kg": "Weight (Kilograms)",
    "freight_usd": "Freight Cost (USD)",
    "insurance_usd": "Line Item Insurance (USD)",
}


class Distribution(StrEnum):
    """A fitted distribution (``scipy.stats``) or the data's own (empirical)."""

    empirical = "empirical"
    lognorm = "lognorm"
    gamma = "gamma"


@dataclass
class ShipmentsConfig:
    """Where the shipment history is and how to read it."""

    path: str = "../shared/data/scms_shipment_pricing/SCMS_Delivery_History_Dataset.csv"
    encoding: str = "utf-8"
    # canonical name -> the file's column; shipment_id, vendor, mode, scheduled_date and
    # delivered_date are required, the others are used where mapped
    columns: dict[str, str] = field(default_factory=lambda: dict(SCMS_COLUMNS))
    # strptime formats per date column, tried in order (the SCMS history writes PO dates as
    # 8/27/14 and the others as 2-Jun-06)
    date_formats: dict[str, list[str]] = field(
        default_factory=lambda: {
            "po_date": ["%m/%d/%y", "%d-%b-%y"],
            "scheduled_date": ["%d-%b-%y", "%m/%d/%y"],
            "delivered_date": ["%d-%b-%y", "%m/%d/%y"],
            "recorded_date": ["%d-%b-%y", "%m/%d/%y"],
        }
    )
    # texts that mean "no value here", in any column (counted per column and text)
    missing_values: list[str] = field(
        default_factory=lambda: ["", "N/A", "NA", "Date Not Captured", "N/A - From RDC", "Pre-PQ Process"]
    )
    # texts in numeric columns and what they mean: the value is null and the note column says why
    number_texts: dict[str, str] = field(
        default_factory=lambda: {
            "Freight Included in Commodity Cost": "included",
            "Invoiced Separately": "separate",
            "Weight Captured Separately": "separate",
        }
    )
    # a numeric cell that points at another shipment ("See ASN-93 (ID#:1281)"): the group of this
    # regular expression is that shipment's shipment_id, whose value is taken
    reference_pattern: str = r"^See .*\(ID#:\s*(\d+)\)\s*$"
    late_after_days: int = 0  # a delivery later than this many days after the scheduled date is late


@dataclass
class DistributionsConfig:
    """Lead-time and delay distributions per group of shipments."""

    group_by: list[str] = field(default_factory=lambda: ["mode", "vendor", "country", "route"])
    fits: list[Distribution] = field(
        default_factory=lambda: [Distribution.lognorm, Distribution.gamma, Distribution.empirical]
    )
    quantiles: list[float] = field(default_factory=lambda: [0.5, 0.9, 0.95])
    min_shipments: int = 30  # groups with fewer shipments are pooled into "other"


@dataclass
class LateModelConfig:
    """The late-delivery model: LightGBM on features known when the order is placed."""

    # canonical columns used as features (categorical where text); month and year are added
    features: list[str] = field(
        default_factory=lambda: ["vendor", "mode", "country", "route", "product_group", "product_class",
                                 "inco_term", "weight_kg", "value", "quantity"]
    )
    test_from: str = "2013-01-01"  # shipments scheduled from this date on are the test set; earlier ones train
    delay_quantiles: list[float] = field(default_factory=lambda: [0.5, 0.9])
    # shallow, slow and with large leaves: the late share drifts between years, and deeper trees
    # fit the training years (ROC-AUC 0.97 on them against 0.74 on the later ones)
    n_estimators: int = 300
    learning_rate: float = 0.02
    num_leaves: int = 7
    min_child_samples: int = 100
    calibration_bins: int = 10
    seed: int = II("experiment.seed")


@dataclass
class ScorecardConfig:
    cvar_level: float = 0.95  # CVaR of delay: mean of the worst (1 - level) share of delays
    min_shipments: int = 20  # vendor x mode pairs with fewer shipments are listed as "other"
    top: int = 15  # rows shown in the report


@dataclass
class DisruptionConfig:
    """A supplier outage: nothing from the supplier arrives for ``days`` periods from ``start``."""

    days: int = 14
    start: int | None = 7  # period of the window the outage starts; null: drawn (seeded) for each supplier
    top: int = 10  # exposed items shown


@dataclass
class SourceConfig:
    """One supply option of the dual-sourcing plan."""

    mode: str  # the shipment mode of the history whose lead-time ratios it draws
    lead_factor: float  # nominal lead time as a multiple of the item's lead time
    cost_factor: float  # unit cost as a multiple of the item's unit cost


@dataclass
class SourcingConfig:
    """Dual sourcing under risk: a cheap, slow, unreliable option against a dear, fast, reliable one."""

    slow: SourceConfig = field(default_factory=lambda: SourceConfig(mode="Ocean", lead_factor=2.0, cost_factor=1.0))
    fast: SourceConfig = field(default_factory=lambda: SourceConfig(mode="Air", lead_factor=0.5, cost_factor=1.25))
    # joint lead-time and demand scenarios; with max_series the LP's size: series x periods x scenarios
    # stock and lost-sales variables (100 x 28 x 20: about 5 s for the frontier on two cores; 200 x 28 x 40
    # about a minute, benchmarks/bench_risk.py)
    scenarios: int = 20
    cvar_alpha: float = 0.9
    lambdas: list[float] = field(default_factory=lambda: [0.0, 0.5, 1.0, 2.0, 4.0])  # the frontier's weights
    chosen_lambda: float = 1.0  # the split the report shows
    max_series: int = 100  # series of highest revenue in the plan (0: all)
    terminal_value: bool = True  # stock left at the end is worth the cheaper source's unit cost
    seed: int = II("experiment.seed")


@dataclass
class RiskConfig:
    shipments: ShipmentsConfig = field(default_factory=ShipmentsConfig)
    distributions: DistributionsConfig = field(default_factory=DistributionsConfig)
    model: LateModelConfig = field(default_factory=LateModelConfig)
    scorecard: ScorecardConfig = field(default_factory=ScorecardConfig)
    disruption: DisruptionConfig = field(default_factory=DisruptionConfig)
    sourcing: SourcingConfig = field(default_factory=SourcingConfig)
    # seeded draws of every order's lead time over the window, for the service each policy delivers
    replications: int = 20
    seed: int = II("experiment.seed")
