"""The risk stage's headline, as the ``06_risk`` notebook logs it and the index of runs shows it."""

from __future__ import annotations

import polars as pl

from workbench.headline import Headline, Logged, Metric
from workbench.risk.stock import ASSUMED, AWARE

HEADLINE = Headline("06_risk", (
    Metric("on_time_rate", "shipments on time", "{:.1%}",
           "Shipments on time: the share of the shipment history delivered on or before the scheduled day."),
    Metric("late_roc_auc", "late-delivery AUC", "{:.2f}",
           "Late-delivery AUC: ROC-AUC of the late-delivery model on the later years it was not trained on."),
    Metric("fill_rate_assumed", "fill rate, fixed-lead levels", "{:.1%}",
           "Fill rate, fixed-lead levels: the fill rate after the first lead time of the policy that is cheapest "
           "with lead-aware levels, when lead times are drawn from the shipment history but its levels assume "
           "them fixed."),
    Metric("fill_rate_aware", "fill rate, lead-aware levels", "{:.1%}",
           "Fill rate, lead-aware levels: the same with levels that account for lead-time variability."),
    Metric("fast_share", "fast-source share", "{:.0%}",
           "Fast-source share: the share of units the dual-sourcing plan buys from the fast, dear source at the "
           "chosen weight of CVaR (risk.sourcing.chosen_lambda)."),
))


def reference_policy(lead_summary: pl.DataFrame) -> str:
    """The policy that is cheapest with lead-aware levels under drawn lead times."""
    return lead_summary.filter(pl.col("world") == AWARE).sort("total_cost")["policy"][0]


def headline(on_time_rate: float, late_scores: pl.DataFrame, lead_summary: pl.DataFrame, fast_share: float | None,
             **details) -> Logged:
    """The stage's headline values; ``details`` go to ``metrics.json`` only."""
    policy = reference_policy(lead_summary)
    fill = dict(lead_summary.filter(pl.col("policy") == policy).select("world", "fill_rate_after_lead").iter_rows())
    test = late_scores.filter(pl.col("set") == "test")
    return HEADLINE.of(
        on_time_rate=on_time_rate, late_roc_auc=float(test["roc_auc"][0]) if test.height else None,
        fill_rate_assumed=fill.get(ASSUMED), fill_rate_aware=fill.get(AWARE), fast_share=fast_share,
        reference_policy=policy,
        late_brier_skill=float(test["brier_skill"][0]) if test.height else None, **details)
