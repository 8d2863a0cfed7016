"""Why a plan could not be made, in words: which hard limits had to give way, where and by
how much, and when a minimum service fails because no order can arrive in time."""

from __future__ import annotations

import numpy as np

RAISE_LIMITS = "Raise those limits, or make them soft with a penalty (inventory.lp.penalty.<limit>)."


def value_of(x, shape):
    """A cvxpy variable's or expression's value as an array (zeros where it has none)."""
    if x is None:
        return np.zeros(shape)
    v = x.value if hasattr(x, "value") else x
    return np.zeros(shape) if v is None else np.asarray(v, dtype=float).reshape(shape)


def _periods(ts: np.ndarray) -> str:
    ts = np.unique(ts)
    if ts.size == 1:
        return f"period {ts[0]}"
    if ts[-1] - ts[0] + 1 == ts.size:
        return f"periods {ts[0]}-{ts[-1]}"
    return "periods " + ", ".join(map(str, ts))


def _lead_time_shortfall(h: dict, over: np.ndarray, names: list[str], shown: int = 3) -> tuple[np.ndarray, str]:
    """The service shortfalls of the elastic probe (``over``, per scenario row and period) that
    fall before a series' first order can arrive, in a series whose stock on hand plus pipeline
    cannot serve what the minimum asks by then whatever the plan does. Returns their mask over
    ``over`` and their description (empty where there are none)."""
    S, n, T = h["S"], h["n"], h["T"]
    d, lead, beta = h["demand"], h["lead"], h["beta"]
    before = np.arange(T)[None, :] < h["first_arrival"][:, None]  # periods before the first order can arrive
    # by the end of each period: what the series can have shipped before orders arrive, and what
    # the minimum asks (with backorders, (1 - beta) of the period's demand may still be open)
    can = h["start"][:, None] + np.cumsum(h["pipe"], axis=1)
    asks = (beta * np.cumsum(d, axis=2) if h["shortage"] == "lost_sales"
            else np.cumsum(d, axis=2) - (1 - beta) * d).max(axis=0)
    short = before & (asks > can + 1e-6)
    mask = (over.reshape(S, n, T) > 1e-6) & (before & short.any(axis=1, keepdims=True))[None]
    series = np.flatnonzero(mask.any(axis=(0, 2)))
    if not series.size:
        return mask.reshape(over.shape), ""
    series = series[np.argsort(np.argmax(short[series], axis=1), kind="stable")]  # earliest first
    scenario = " in the highest-demand scenario" if S > 1 else ""
    parts = []
    for i in series[:shown]:
        ts = np.flatnonzero(short[i])
        periods = "period" if lead[i] == 1 else "periods"
        parts.append(f"'{names[i]}' (lead time {lead[i]} {periods}) in {_periods(ts)}: stock on hand plus pipeline"
                     f" can serve {can[i, ts[-1]]:,.4g} units by period {ts[-1]}, the minimum asks"
                     f" {asks[i, ts[-1]]:,.4g}{scenario}")
    more = f"; and {series.size - shown} more series" if series.size > shown else ""
    text = (f"the lead time makes the minimum service (inventory.lp.min_service={beta:g}) impossible before the"
            f" first orders arrive, in {series.size} series: " + "; ".join(parts) + more)
    return mask.reshape(over.shape), text


def describe_infeasible(h: dict, soft: dict, limit: int = 6) -> str:
    """The hard limits the elastic probe had to exceed, by family, group and period, and what to
    do about them (empty where none had to); a minimum service that the lead time rules out is
    named as such."""
    found: dict[tuple, float] = {}
    lead_time = ""
    for fam, names, cap, _used, _scen, over, _row in h["handles"]:
        if fam in soft or over is None or over.value is None:
            continue
        ex = np.asarray(over.value).reshape(cap.shape)
        if fam == "service":
            early, lead_time = _lead_time_shortfall(h, ex, names)
            ex = np.where(early, 0.0, ex)
        for g, t in np.argwhere(ex > 1e-6):
            key = (fam, names[g % len(names)], int(t), float(cap[g, t]))
            found[key] = max(found.get(key, 0.0), float(ex[g, t]))
    parts = []
    for (fam, name, t, cap), ex in sorted(found.items(), key=lambda kv: (kv[0][2], -kv[1]))[:limit]:
        parts.append({
            "warehouse": f"warehouse '{name}' volume {cap:,.4g} in period {t} (exceeded by {ex:,.4g})",
            "supplier": f"supplier '{name}' capacity {cap:,.4g} units in period {t} (exceeded by {ex:,.4g})",
            "budget": f"purchasing budget {cap:,.4g} in period {t} (exceeded by {ex:,.4g})",
            "service": f"minimum service of series '{name}' in period {t} (short by {ex:,.4g})",
        }[fam])
    more = len(found) - len(parts)
    others = "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
    if not lead_time:
        return f"{others}. {RAISE_LIMITS}" if others else ""
    remedy = ("Lower inventory.lp.min_service, make it soft with a penalty (inventory.lp.penalty.service), or start"
              " with more stock: no order the plan places arrives within its lead time.")
    return lead_time + (f". Besides: {others}. {RAISE_LIMITS} " if others else ". ") + remedy
