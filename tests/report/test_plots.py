"""The report's presentation helpers: table cells, feature labels, model styles."""

from __future__ import annotations

from datetime import date, datetime

import matplotlib

matplotlib.use("Agg")

import polars as pl  # noqa: E402
import pytest  # noqa: E402

from workbench.report.plots import (  # noqa: E402
    MISSING,
    bar_style,
    callout_html,
    feature_label,
    format_column,
    format_frame,
    format_value,
    header,
    model_styles,
    table_html,
)


# ------------------------------------------------------------------------------ tables
def test_dates_have_no_time_of_day():
    frame = pl.DataFrame({
        "day": [date(2024, 1, 22), None],
        "midnight": [datetime(2024, 1, 22), datetime(2024, 2, 1)],
        "clock": [datetime(2024, 1, 22, 5, 30), datetime(2024, 1, 22)],
        "seconds": [datetime(2024, 1, 22, 5, 30, 15), None],
    })
    out = format_frame(frame)
    assert out["day"].to_list() == ["2024-01-22", MISSING]
    assert out["midnight"].to_list() == ["2024-01-22", "2024-02-01"]
    assert out["clock"].to_list() == ["2024-01-22 05:30", "2024-01-22 00:00"]
    assert out["seconds"].to_list() == ["2024-01-22 05:30:15", MISSING]


def test_counts_and_whole_floats_are_integers_with_separators():
    frame = pl.DataFrame({"orders": [148, 123456], "units": [148.0, 1234567.0], "year": [2024, 2025],
                          "item_id": [1001, 20002]})
    out = format_frame(frame)
    assert out["orders"].to_list() == ["148", "123,456"]
    assert out["units"].to_list() == ["148", "1,234,567"]
    assert out["year"].to_list() == ["2024", "2025"]  # identifiers keep their digits
    assert out["item_id"].to_list() == ["1001", "20002"]


def test_floats_have_significant_digits_and_no_exponent():
    assert format_column(pl.Series("cost", [123456.7, 794.224, 0.5])) == ["123,457", "794", "0.5"]
    assert format_column(pl.Series("mase", [0.7199, 1.2063])) == ["0.720", "1.206"]
    assert format_column(pl.Series("rmse", [7.296, 11.496])) == ["7.30", "11.50"]
    assert format_column(pl.Series("price", [0.0374, 0.05, 0.0])) == ["0.037", "0.050", "0"]
    assert format_column(pl.Series("tiny", [1.2e-5, 3e-5])) == ["0.000012", "0.00003"]
    assert format_column(pl.Series("signed", [-0.0001, 12.0, -1e-20])) == ["-0.0001", "12.00", "0"]
    assert format_column(pl.Series("big", [1.5e9, 2.25])) == ["1,500,000,000", "2"]
    text = "".join(format_column(pl.Series("x", [1.23e5, 4.5e-7, 6.7e12, 0.1])))
    assert "e+" not in text and "e-" not in text


def test_missing_values_and_booleans_read_as_words():
    frame = pl.DataFrame({
        "cvar": [None, 20867.4, float("nan")],
        "count": [None, 3, 4],
        "name": ["a", None, "c"],
        "flag": [True, False, None],
        "empty": [None, None, None],
    })
    out = format_frame(frame)
    assert out["cvar"].to_list() == [MISSING, "20,867", MISSING]
    assert out["count"].to_list() == [MISSING, "3", "4"]
    assert out["name"].to_list() == ["a", MISSING, "c"]
    assert out["flag"].to_list() == ["yes", "no", MISSING]
    assert out["empty"].to_list() == [MISSING] * 3
    assert MISSING == "\u2013"


def test_single_values():
    assert [format_value(v) for v in (None, True, False, 148, 79649.0, 0.26023, 7.5, float("nan"), float("inf"))] == [
        MISSING, "yes", "no", "148", "79,649", "0.2602", "7.5", MISSING, "∞"]
    assert format_value(datetime(2024, 1, 1)) == "2024-01-01"
    assert format_value(datetime(2024, 1, 1, 9, 15)) == "2024-01-01 09:15"
    assert format_value(date(2023, 12, 31)) == "2023-12-31"
    assert format_value([1, 2.5, None]) == "1, 2.5, –"


def test_headers_read_as_words():
    assert header("fill_rate_after_lead") == "fill rate after lead"
    assert header("holdout_MASE") == "holdout MASE"
    assert header("S_quantile") == "S quantile"
    assert header("_") == "_"


def test_table_html_scrolls_sideways_and_is_self_contained():
    wide = pl.DataFrame({f"column_{k}": [1.5 * k] for k in range(30)}).with_columns(
        pl.lit("(s,S) normal").alias("policy"), pl.lit(True).alias("ok"), pl.lit(None).alias("cvar"))
    page = table_html(wide)
    assert page.startswith('<div class="wb-table" style="overflow-x:auto;max-width:100%;')
    assert page.endswith("</div>")
    assert "<style>" in page and "<script" not in page and "<link" not in page and "http" not in page
    assert '<th class="num">column 29</th>' in page
    assert '<td class="num">43.50</td>' in page
    assert '<td class="text">(s,S) normal</td>' in page
    assert '<td class="text">yes</td>' in page and f'<td class="text">{MISSING}</td>' in page
    assert "None" not in page and "nan" not in page and "True" not in page


def test_table_html_notes_rows_left_out_and_keeps_names_when_asked():
    frame = pl.DataFrame({"seasonal_naive": range(50)})
    page = table_html(frame, max_rows=10, relabel=False)
    assert page.count("<tr>") == 11
    assert '<th class="num">seasonal_naive</th>' in page
    assert '<p class="note">10 of 50 rows shown.</p>' in page
    assert '<p class="note">No rows.</p>' in table_html(frame.head(0))


def test_long_text_wraps_and_html_is_escaped():
    frame = pl.DataFrame({"reason": ["x" * 80], "name": ["<b>&</b>"]})
    page = table_html(frame)
    assert '<td class="text long">' + "x" * 80 + "</td>" in page
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in page


def test_callout_is_a_box_with_a_red_left_border():
    box = callout_html("LP plan: not made", "warehouse 'store' volume 12 in period 3 (exceeded by 8) <x>")
    assert box.startswith('<div style="border-left:6px solid #c62828;')
    assert "<strong>LP plan: not made</strong>" in box
    assert "(exceeded by 8) &lt;x&gt;" in box


# ---------------------------------------------------------------------- feature labels
@pytest.mark.parametrize(("name", "horizon", "multi", "label"), [
    # one model for every step (Darts' multi_models=False): lag horizon-1 is the forecast period itself
    ("price_futcov_lag27", 28, False, "price, same period (known future)"),
    ("price_futcov_lag13", 14, False, "price, same period (known future)"),
    ("price_index_futcov_lag13", 14, False, "price index, same period (known future)"),
    ("demand_target_lag-1", 28, False, "demand, 28 periods back"),
    ("demand_target_lag-7", 28, False, "demand, 34 periods back"),
    ("views_pastcov_lag-1", 14, False, "views, 14 periods back (past only)"),
    ("promo_futcov_lag15", 14, False, "promo, 2 periods ahead (known future)"),
    # one model per step, or no horizon: counted from the forecast window
    ("price_futcov_lag0", 14, True, "price, period 1 of the forecast window (known future)"),
    ("price_futcov_lag3", 14, True, "price, period 4 of the forecast window (known future)"),
    ("demand_target_lag-1", None, False, "demand, 1 period before the forecast window"),
    ("carts_pastcov_lag-7", None, False, "carts, 7 periods before the forecast window (past only)"),
    # static covariates (the workbench's "s_" codes) and the TFT's variable names
    ("s_slow_mover_statcov_target_demand", 14, False, "slow mover (static attribute)"),
    ("category_statcov_target_demand", None, False, "category (static attribute)"),
    ("demand_target", None, False, "demand (target)"),
    ("stock_on_hand_pastcov", None, False, "stock on hand (past only)"),
    ("holiday_futcov", None, False, "holiday (known future)"),
    ("s_category_statcov", None, False, "category (static attribute)"),
    ("something_else", 14, False, "something_else"),
])
def test_feature_labels(name, horizon, multi, label):
    assert feature_label(name, horizon, multi) == label


def test_feature_labels_follow_the_names_darts_makes():
    """The names of a real Darts regression model, and what each lag means there: with one model
    for all steps, the known-future lag horizon - 1 is the value of the period being forecast."""
    import numpy as np
    import pandas as pd
    from darts import TimeSeries
    from darts.models import LinearRegressionModel

    horizon, n = 5, 200
    rng = np.random.default_rng(0)
    price = rng.normal(size=n + horizon)
    future = TimeSeries.from_times_and_values(pd.RangeIndex(n + horizon), price, columns=["price"])
    target = TimeSeries.from_times_and_values(pd.RangeIndex(n), price[:n], columns=["demand"])  # demand = price
    model = LinearRegressionModel(lags=2, lags_future_covariates=[horizon - 1], output_chunk_length=horizon,
                                  multi_models=False)
    model.fit(target, future_covariates=future)
    names = list(model.lagged_feature_names)
    assert names == ["demand_target_lag-2", "demand_target_lag-1", "price_futcov_lag4"]
    coef = np.ravel(model.get_estimator(horizon=0, target_dim=0).coef_)
    assert abs(coef[2] - 1.0) < 1e-6  # the model reads the forecast period's own price
    assert [feature_label(f, horizon) for f in names] == [
        "demand, 6 periods back", "demand, 5 periods back", "price, same period (known future)"]


# ------------------------------------------------------------------------ model styles
def test_model_styles_are_distinct_and_stable():
    names = [f"model_{k}" for k in range(25)]
    styles = model_styles(names)
    assert list(styles) == names
    assert styles["model_0"] == {"color": "#1f77b4", "linestyle": "-", "marker": "o"}
    assert styles["model_9"] == {"color": "#17becf", "linestyle": "-", "marker": "o"}
    assert styles["model_10"] == {"color": "#aec7e8", "linestyle": "--", "marker": "s"}
    assert styles["model_20"] == {"color": "#1f77b4", "linestyle": "-.", "marker": "^"}
    looks = {tuple(s.values()) for s in styles.values()}
    assert len(looks) == 25
    assert len({s["color"] for s in model_styles(names[:20]).values()}) == 20
    assert model_styles(["b", "a", "b"]) == model_styles(["b", "a"])  # the same names, the same looks
    assert model_styles(names[:13])["model_12"] == styles["model_12"]


def test_bar_style_hatches_the_dashed_models():
    styles = model_styles([f"m{k}" for k in range(12)])
    assert bar_style(styles["m0"]) == {"color": "#1f77b4"}
    assert bar_style(styles["m11"]) == {"color": "#ffbb78", "hatch": "//", "edgecolor": "#555555", "linewidth": 0}


# ------------------------------------------------------------------------ one import place
def test_plots_gathers_the_tables_styles_and_axes_helpers():
    from workbench.report import axes, plots, styles, tables

    homes = {name: module for module in (tables, styles, axes) for name in dir(module) if not name.startswith("_")}
    for name in plots.__all__:
        assert getattr(plots, name) is getattr(homes[name], name), name
    assert "matplotlib" not in tables.__dict__  # the table rules need no plotting library
