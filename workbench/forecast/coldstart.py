"""Cold start: forecasts for new items, which have no history, from the items whose text is nearest.

A new item has a name (or description), a category and a price before it has sold anything.
Its forecast here is the recent demand of the known items most like it: its
``forecast.cold_start.neighbours`` nearest neighbours by the cosine of their text vectors
(``text_0 ..`` of the static table, :mod:`workbench.data.text`; scikit-learn's
``NearestNeighbors``), each lending its mean demand over the ``forecast.cold_start.window``
periods before the origin, by season position (weekday) and by channel, weighted by its
similarity. The references it must beat, built the same way from other sets of known items:

* **category average**: every known item of the new item's category (the usual rule for a
  new item); all known items where the data has no category;
* **all items**: every known item;
* **random items**: as many known items as neighbours, drawn at random: what the text adds
  is what the nearest neighbours do better than these;
* **own history**: the item's own recent level, which a new item does not have: the
  forecast that history would allow, for scale.

:func:`cold_start_study` scores them by cross-validation over items: the items are split at
random (``forecast.seed``) into ``forecast.cold_start.folds`` sets, each held out as new in
turn (no history at all, not even as a neighbour), and every method forecasts their demand
over the horizon after every origin of the backtest (backtest and hold-out windows), against
what they really sold. With no history there is no in-sample scale (MASE): the scores are
MAE, WAPE, bias, the MAE relative to the category average and the share of (item, origin)
pairs forecast better than it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from workbench.config import ForecastConfig
from workbench.data.contracts import period
from workbench.data.panel import DATE, DEMAND, ITEM, DemandPanel
from workbench.data.text import PREFIX

TEXT, CATEGORY, ALL, RANDOM, OWN = "text neighbours", "category average", "all items", "random items", "own history"
METHODS = (TEXT, CATEGORY, ALL, RANDOM, OWN)
SLOT = "_slot"  # a series' keys other than the item (its channel or store), as one column


def item_folds(items: list[str], folds: int, seed: int) -> list[list[str]]:
    """``items`` split at random (``seed``) into ``folds`` sets of near-equal size (as many as
    there are items, at most), each sorted."""
    if len(items) < 2:
        raise ValueError(f"the panel has {len(items)} item(s); a cold-start study needs at least 2")
    shuffled = np.random.default_rng(seed).permutation(sorted(items))
    return [sorted(part.tolist()) for part in np.array_split(shuffled, min(folds, len(items)))]


def text_matrix(panel: DemandPanel, items: list[str]) -> np.ndarray:
    """The text vectors (``text_*`` static columns) of ``items``, in that order; zero rows
    for items without text. An item with several static rows (per store) takes its first."""
    cols = [c for c in panel.static.columns if c.startswith(PREFIX) and c[len(PREFIX):].isdigit()]
    if not cols:
        raise ValueError("the panel's static table has no text vectors (text_0, ...); set data.text.column"
                         " to the column holding the items' names or descriptions")
    vectors = panel.static.group_by(ITEM, maintain_order=True).agg(pl.col(cols).first())
    frame = pl.DataFrame({ITEM: items}).join(vectors, on=ITEM, how="left")
    return frame.select(cols).fill_null(0.0).to_numpy()


def neighbours(new: np.ndarray, known: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ``known`` of each ``new`` row's ``k`` nearest rows by cosine, and their
    cosine similarities; rows of ``known`` without text (zero) are never chosen."""
    from sklearn.neighbors import NearestNeighbors

    usable = np.flatnonzero(np.abs(known).sum(axis=1) > 0)
    k = min(k, usable.size)
    if k == 0:
        return np.zeros((len(new), 0), dtype=int), np.zeros((len(new), 0))
    search = NearestNeighbors(n_neighbors=k, metric="cosine", algorithm="brute").fit(known[usable])
    distance, index = search.kneighbors(new)
    return usable[index], 1.0 - distance


def _rows(index: np.ndarray, weight: np.ndarray, n_known: int) -> np.ndarray:
    """A (new, known) weight matrix from each new row's chosen known positions and weights."""
    out = np.zeros((index.shape[0], n_known))
    np.put_along_axis(out, index, weight, axis=1)
    return out


def method_weights(panel: DemandPanel, new: list[str], known: list[str], vectors: np.ndarray,
                   near: tuple[np.ndarray, np.ndarray], k: int, seed: int) -> dict[str, np.ndarray]:
    """Each method's (new, known) weights: what share of its forecast each known item lends.

    ``vectors`` are the new items' text vectors and ``near`` their :func:`neighbours` among the
    known items. Text neighbours weigh by similarity (at least a small positive weight each);
    a new item without text takes its category's weights instead."""
    index, similarity = near
    text = _rows(index, np.clip(similarity, 1e-3, None), len(known))
    if "category" in panel.static.columns:
        cats = panel.static.group_by(ITEM).agg(pl.col("category").first().cast(pl.String))
        cat = pl.DataFrame({ITEM: [*new, *known]}).join(cats, on=ITEM, how="left").get_column("category")
        values, unknown = cat.fill_null("").to_numpy(), cat.is_null().to_numpy()
        category = ((values[: len(new), None] == values[None, len(new):]) & ~unknown[None, len(new):]).astype(float)
        category[unknown[: len(new)]] = 0.0
    else:
        category = np.zeros((len(new), len(known)))
    category[category.sum(axis=1) == 0] = 1.0  # no category, or none of its items known: all items
    no_text = np.abs(vectors).sum(axis=1) == 0
    text[no_text] = category[no_text]
    drawn = np.random.default_rng(seed).random((len(new), len(known))).argsort(axis=1)[:, : min(k, len(known))]
    return {TEXT: text, CATEGORY: category, ALL: np.ones((len(new), len(known))),
            RANDOM: _rows(drawn, np.ones(drawn.shape), len(known))}


@dataclass(frozen=True)
class _Grid:
    """Positions of items, slots (channels) and horizon steps in the study's arrays."""

    items: pl.DataFrame  # item_id, _i
    slots: pl.DataFrame  # _slot, _s
    horizon: int

    def array(self, frame: pl.DataFrame, value: str) -> np.ndarray:
        """``frame`` (item_id, _slot, _step, value) as an (items, slots, steps) array, NaN where absent."""
        at = frame.join(self.items, on=ITEM).join(self.slots, on=SLOT)
        out = np.full((self.items.height, self.slots.height, self.horizon), np.nan)
        out[at["_i"].to_numpy(), at["_s"].to_numpy(), at["_step"].to_numpy()] = at[value].to_numpy()
        return out


def _with_slot(df: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """``df`` with the series keys other than the item (channel, store) joined as one column ``_slot``."""
    others = [k for k in keys if k != ITEM]
    slot = pl.concat_str([pl.col(k).cast(pl.String) for k in others], separator=" / ") if others else pl.lit("")
    return df.with_columns(slot.alias(SLOT))


def recent_levels(panel: DemandPanel, grid: _Grid, cutoff: date, window: int, season: int) -> np.ndarray:
    """Each item's mean demand per slot over the ``window`` periods up to ``cutoff``, by season
    position (``season`` periods; one level where the window is shorter), laid over the
    ``grid.horizon`` periods after the cutoff: (items, slots, steps), NaN where an item has
    no history in a slot."""
    step = period(panel)
    season = season if window >= season else 1
    position = ((pl.col(DATE) - pl.lit(date(2000, 1, 3))).dt.total_days() // max(step.days, 1)) % season
    start = cutoff - step * window
    hist = _with_slot(panel.demand.filter((pl.col(DATE) > start) & (pl.col(DATE) <= cutoff)), list(panel.keys))
    level = hist.group_by([ITEM, SLOT, position.alias("_pos")]).agg(pl.col(DEMAND).mean().alias("level"))
    ahead = pl.DataFrame({DATE: [cutoff + step * (j + 1) for j in range(grid.horizon)],
                          "_step": list(range(grid.horizon))}).with_columns(position.alias("_pos"))
    return grid.array(level.join(ahead, on="_pos"), "level")


def actual_demand(panel: DemandPanel, grid: _Grid, cutoff: date) -> np.ndarray:
    """What the grid's items sold over the ``grid.horizon`` periods after ``cutoff``."""
    step = period(panel)
    end = cutoff + step * grid.horizon
    df = _with_slot(panel.demand.filter((pl.col(DATE) > cutoff) & (pl.col(DATE) <= end)), list(panel.keys))
    df = df.with_columns(((pl.col(DATE) - pl.lit(cutoff)).dt.total_days() // max(step.days, 1) - 1).alias("_step"))
    return grid.array(df, DEMAND)


def blend(weights: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """The weighted mean of the known items' ``levels`` (known, slots, steps) for each row of
    ``weights`` (new, known), over the items that have a level there; NaN where none has."""
    have = ~np.isnan(levels)
    total = np.einsum("nk,ksh->nsh", weights, np.where(have, levels, 0.0))
    mass = np.einsum("nk,ksh->nsh", weights, have.astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(mass > 0, total / np.where(mass > 0, mass, 1.0), np.nan)


@dataclass(frozen=True)
class ColdStartStudy:
    """What :func:`cold_start_study` found."""

    scores: pl.DataFrame  # one row per method: the table of the report
    per_item: pl.DataFrame  # item_id, cutoff, method, points, forecast, actual, abs_error
    neighbours: pl.DataFrame  # item_id, rank, neighbour, similarity: each item's nearest known items when new
    folds: list[list[str]]  # the sets of items held out together
    origins: list[date]


def _score(per_item: pl.DataFrame, reference: str) -> pl.DataFrame:
    """Per method: MAE and WAPE over every new series and period, bias, MAE relative to
    ``reference`` and the share of (new item, origin) pairs forecast better than it."""
    ref = per_item.filter(pl.col("method") == reference).select(ITEM, "cutoff", pl.col("abs_error").alias("_ref"))
    table = (per_item.join(ref, on=[ITEM, "cutoff"], how="left")
             .group_by("method")
             .agg(pl.col(ITEM).n_unique().alias("new items"),
                  pl.col("points").sum().alias("points"),
                  (pl.col("abs_error").sum() / pl.col("points").sum()).alias("MAE"),
                  (pl.col("abs_error").sum() / pl.col("actual").sum()).alias("WAPE"),
                  (pl.col("forecast").sum() / pl.col("actual").sum() - 1.0).alias("bias"),
                  (pl.col("abs_error") < pl.col("_ref")).mean().alias(f"better than {reference}")))
    ref_mae = table.filter(pl.col("method") == reference)["MAE"].item()
    order = pl.DataFrame({"method": list(METHODS), "_order": list(range(len(METHODS)))})
    better = f"better than {reference}"
    return (table.with_columns((pl.col("MAE") / ref_mae).alias(f"MAE / {reference}"),
                               pl.when(pl.col("method") != reference).then(pl.col(better)).alias(better))
            .join(order, on="method").sort("_order").drop("_order"))


def _per_item(new: list[str], cutoff: date, method: str, forecast: np.ndarray, actual: np.ndarray) -> pl.DataFrame:
    """Per new item: periods scored, units forecast and sold, and the absolute error, summed
    over its series and steps where both the forecast and the actual exist."""
    scored = ~np.isnan(actual) & ~np.isnan(forecast)
    f, a = np.where(scored, forecast, 0.0), np.where(scored, actual, 0.0)
    return pl.DataFrame({
        ITEM: new, "cutoff": [cutoff] * len(new), "method": [method] * len(new),
        "points": scored.sum(axis=(1, 2)), "forecast": f.sum(axis=(1, 2)),
        "actual": a.sum(axis=(1, 2)), "abs_error": np.abs(f - a).sum(axis=(1, 2)),
    })


def cold_start_study(panel: DemandPanel, fc: ForecastConfig) -> ColdStartStudy:
    """Hold out each fold of the items as new in turn and score every method's forecasts of
    their demand after every origin of the backtest (see the module docstring)."""
    from workbench.forecast.backtest import origins as backtest_origins

    cs = fc.cold_start
    items = panel.demand.get_column(ITEM).unique().sort().to_list()
    folds = item_folds(items, cs.folds, fc.seed)
    orig = backtest_origins(panel, fc.horizon, fc.n_backtest_windows, cs.window)
    cutoffs = [*orig.backtest, orig.holdout]
    slots = _with_slot(panel.demand.select(panel.keys).unique(), list(panel.keys)).get_column(SLOT).unique().sort()
    grid = _Grid(pl.DataFrame({ITEM: items, "_i": np.arange(len(items))}),
                 pl.DataFrame({SLOT: slots, "_s": np.arange(slots.len())}), fc.horizon)
    levels = {c: recent_levels(panel, grid, c, cs.window, fc.season_length) for c in cutoffs}
    actual = {c: actual_demand(panel, grid, c) for c in cutoffs}
    vectors = text_matrix(panel, items)
    position = {item: k for k, item in enumerate(items)}
    frames, near = [], []
    for new in folds:  # a handful of folds and origins; every item, slot and step at once within each
        held = np.array([position[i] for i in new])
        kept = np.setdiff1d(np.arange(len(items)), held)
        known = [items[k] for k in kept]
        index, similarity = neighbours(vectors[held], vectors[kept], cs.neighbours)
        weights = method_weights(panel, new, known, vectors[held], (index, similarity), cs.neighbours, fc.seed)
        near.append(pl.DataFrame({
            ITEM: np.repeat(new, index.shape[1]), "rank": np.tile(np.arange(1, index.shape[1] + 1), len(new)),
            "neighbour": np.array(known, dtype=str)[index.reshape(-1)], "similarity": similarity.reshape(-1),
        }))
        for cutoff in cutoffs:
            forecasts = {m: blend(w, levels[cutoff][kept]) for m, w in weights.items()}
            forecasts[OWN] = levels[cutoff][held]
            frames.extend(_per_item(new, cutoff, m, f, actual[cutoff][held]) for m, f in forecasts.items())
    per_item = pl.concat(frames).filter(pl.col("points") > 0)
    reference = CATEGORY if "category" in panel.static.columns else ALL
    return ColdStartStudy(_score(per_item, reference), per_item, pl.concat(near), folds, cutoffs)


def neighbour_table(study: ColdStartStudy, panel: DemandPanel, column: str, n_items: int = 4,
                    n_neighbours: int = 3) -> pl.DataFrame:
    """The first ``n_items`` items (by id), each with its ``n_neighbours`` nearest known items
    when it was held out as new, by name, and the cosine of their text vectors: a table to read."""
    names = panel.static.group_by(ITEM).agg(pl.col(column).first().alias("name"))
    shown = study.neighbours.get_column(ITEM).unique().sort().head(n_items)
    return (study.neighbours.filter(pl.col(ITEM).is_in(shown) & (pl.col("rank") <= n_neighbours))
            .join(names, on=ITEM, how="left")
            .join(names.rename({ITEM: "neighbour", "name": "neighbour name"}), on="neighbour", how="left")
            .select(pl.col(ITEM).alias("new item"), pl.col("name").alias("its name"), "rank", "neighbour",
                    "neighbour name", pl.col("similarity").round(3).alias("cosine"))
            .sort("new item", "rank"))


def item_levels(study: ColdStartStudy) -> pl.DataFrame:
    """Per new item and method: forecast and actual units per period (means over origins,
    series and steps), for a figure of forecast against actual."""
    return (study.per_item.group_by(ITEM, "method")
            .agg((pl.col("forecast").sum() / pl.col("points").sum()).alias("forecast"),
                 (pl.col("actual").sum() / pl.col("points").sum()).alias("actual"))
            .sort(ITEM, "method"))
