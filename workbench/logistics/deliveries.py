"""What the inventory decisions ask each site to receive: units split over sites, turned into litres
and kilograms per site and day.

A channel's demand (:func:`channel_demand`) is an ``(items, days)`` matrix of whole units; it is
split over the sites of the kind that serves the channel by their shares (:func:`split_by_share`,
a seeded multinomial draw per item and day, so the parts add up exactly), and each site's day is
priced in volume and weight (:func:`volumes`, :func:`site_drops`). Everything is array operations
over all items, sites and days at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from workbench.data.panel import DATE, ITEM, DemandPanel
from workbench.inventory.start import actual_demand

_STREAM = 0x5D17  # this module's own random stream under the caller's seed


def split_by_share(units: np.ndarray, shares: np.ndarray, seed: int) -> np.ndarray:
    """Every whole unit of ``units`` (n_rows, H) sent to one of ``k`` sites, site ``j`` with
    probability ``shares[j] / shares.sum()``: a seeded multinomial draw per row and day, so the
    (n_rows, k, H) parts sum exactly to ``units``. ``units`` must hold non-negative whole numbers
    (float arrays of whole values are accepted); fractions raise rather than being rounded
    silently: round them where they come from."""
    units = np.asarray(units)
    shares = np.asarray(shares, dtype=float)
    if units.ndim != 2:
        raise ValueError(f"split_by_share: units has shape {units.shape}; expected (rows, days)")
    if shares.ndim != 1 or shares.size == 0 or not np.isfinite(shares).all() or (shares < 0).any() \
            or shares.sum() <= 0:
        raise ValueError(f"split_by_share: shares {shares.tolist()[:8]}; expected one or more finite shares >= 0 "
                         "with a positive sum")
    if units.dtype.kind not in "iuf":
        raise ValueError(f"split_by_share: units of dtype {units.dtype}; expected non-negative whole numbers")
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(units) | (np.rint(units) != units) | (units < 0)
    if bad.any():
        at = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"split_by_share: units[{at[0]}, {at[1]}] = {units[at]}; expected non-negative whole numbers "
                         "(round fractional demand first)")
    rng = np.random.default_rng([int(seed), _STREAM])
    parts = rng.multinomial(units.astype(np.int64), shares / shares.sum())  # (n_rows, H, k)
    return np.moveaxis(parts, -1, 1)


def volumes(static: pl.DataFrame, item_ids: Sequence[str], weight_per_litre: float) -> tuple[np.ndarray, np.ndarray]:
    """Litres and kilograms per unit of each of ``item_ids``: the static table's ``volume``, and its
    ``weight`` where it has one, else volume times ``weight_per_litre`` (``logistics.weight_per_litre``).
    A static table keyed by more than the item (per store) gives the item's first row."""
    if "volume" not in static.columns:
        raise ValueError("logistics: the static table has no 'volume' column (litres per unit), which the vehicles' "
                         "loads are computed from; map one in data.static_columns (volume: <your column>)")
    cols = ["volume", *(["weight"] if "weight" in static.columns else [])]
    per_item = static.group_by(ITEM, maintain_order=True).agg(pl.col(cols).first())
    wanted = pl.DataFrame({ITEM: list(item_ids)}, schema={ITEM: per_item.schema[ITEM]})
    got = wanted.join(per_item, on=ITEM, how="left", maintain_order="left")
    for column in cols:
        values = got.get_column(column).cast(pl.Float64)
        bad = (values.is_null() | values.is_nan().fill_null(True) | (values < 0).fill_null(True)).to_numpy()
        if bad.any():
            items = got.filter(pl.Series(bad)).get_column(ITEM).to_list()
            raise ValueError(f"logistics: static column {column!r} is missing or negative for item(s) {items[:5]}; "
                             "expected a number >= 0 per item")
    volume = got.get_column("volume").cast(pl.Float64).to_numpy()
    if "weight" in cols:
        return volume, got.get_column("weight").cast(pl.Float64).to_numpy()
    if weight_per_litre <= 0:
        raise ValueError(f"logistics.weight_per_litre={weight_per_litre}; expected > 0 kg per litre")
    return volume, volume * float(weight_per_litre)


def site_drops(units: np.ndarray, volume: np.ndarray, weight: np.ndarray, site_ids: Sequence[str],
               dates: Sequence) -> pl.DataFrame:
    """The long table ``date, site_id, units, volume_l, weight_kg`` of (n_rows, k, H) ``units``
    whose rows weigh ``volume`` litres and ``weight`` kg per unit; site-days with no unit left out.
    ``units`` comes back as a float (arrivals of a simulation may be given as floats)."""
    units = np.asarray(units, dtype=float)
    site_ids, dates = list(site_ids), list(dates)
    n, k, h = units.shape
    if volume.shape != (n,) or weight.shape != (n,) or len(site_ids) != k or len(dates) != h:
        raise ValueError(f"site_drops: units {units.shape} need volume and weight of ({n},), {k} site ids and {h} "
                         f"dates; got {np.shape(volume)}, {np.shape(weight)}, {len(site_ids)}, {len(dates)}")
    # (site, day) totals: units, litres, kilograms in one contraction over the rows
    totals = np.einsum("nkh,nc->ckh", units, np.column_stack([np.ones(n), volume, weight]))
    grid = pl.DataFrame({
        DATE: pl.Series(DATE, dates).gather(np.tile(np.arange(h), k)), "site_id": np.repeat(site_ids, h),
        "units": totals[0].ravel(), "volume_l": totals[1].ravel(), "weight_kg": totals[2].ravel(),
    })
    return grid.filter(pl.col("units") > 0).sort(DATE, "site_id")


def channel_demand(panel: DemandPanel, channel_column: str, channel_value: str,
                   dates: Sequence) -> tuple[list[str], np.ndarray]:
    """The demand that really came (:func:`~workbench.inventory.start.actual_demand`) in one channel
    (or location) as whole units, (items, len(dates)), rows sorted by item_id; a day with no record
    is zero, rows of the same item in several series of the channel are added up, and demand in
    fractions (a panel of sales amounts) is rounded to the nearest unit (negative, e.g. returns
    netted into sales, to zero)."""
    src, column = actual_demand(panel)
    if channel_column not in src.columns:
        raise ValueError(f"logistics: the panel has no column {channel_column!r}; its keys are {list(panel.keys)}")
    values = src.get_column(channel_column).cast(pl.String)
    if not (values == str(channel_value)).any():
        raise ValueError(f"logistics.channels: {channel_value!r} is not a value of the panel's {channel_column!r} "
                         f"column; expected one of {sorted(values.unique().drop_nulls().to_list())[:12]}")
    dates = list(dates)
    rows = src.filter((values == str(channel_value)) & pl.col(DATE).is_in(pl.Series(dates).implode()))
    items = sorted(src.filter(values == str(channel_value)).get_column(ITEM).unique().to_list())
    per = rows.group_by(ITEM, DATE).agg(pl.col(column).cast(pl.Float64).fill_null(0.0).sum())
    at_item = pl.DataFrame({ITEM: items}).with_row_index("r")
    at_day = pl.DataFrame({DATE: pl.Series(dates).cast(src.schema[DATE])}).with_row_index("c")
    per = per.join(at_item, on=ITEM).join(at_day, on=DATE)
    matrix = np.zeros((len(items), len(dates)))
    matrix[per.get_column("r").to_numpy(), per.get_column("c").to_numpy()] = per.get_column(column).to_numpy()
    return items, np.rint(np.maximum(matrix, 0.0)).astype(np.int64)
