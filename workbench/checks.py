"""Every check that can fail a run, made once, before any notebook runs.

The runner calls :func:`check_settings` on the resolved config (cross-field rules and
registry look-ups that Hydra's schemas cannot express), then loads and validates the
data once, then calls :func:`check_against_data` for the settings that only the data
can judge (a horizon longer than the history, more neighbours than rows). Each
failure is a :class:`SettingError` (or the data layer's ``PanelError``) whose message
names the setting, the value and what was expected; the runner prints it as one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.config import section


class SettingError(ValueError):
    """A setting that cannot work; the message names it and what was expected."""


def check_settings(plain: dict[str, Any]) -> None:
    """Settings alone: types (again, for a config handed in as a dict), registry names,
    ranges and the rules between fields."""
    from workbench.anomaly import DETECTORS
    from workbench.data import LOADERS
    from workbench.forecast import MODELS
    from workbench.forecast.backtest import check_forecast_config
    from workbench.inventory.study import check_inventory_config

    typed = {name: section(plain, name) for name in ("data", "forecast", "inventory", "games", "anomaly",
                                                       "experiment")}
    # a registry look-up raises a KeyError that names the setting and the known entries
    LOADERS[typed["data"].source]
    fc = typed["forecast"]
    for model in fc.models:
        MODELS[model]
    _at_least(fc.horizon, 1, "forecast.horizon")
    _at_least(fc.n_backtest_windows, 0, "forecast.n_backtest_windows")
    _at_least(fc.season_length, 1, "forecast.season_length")
    if fc.train_window is not None:
        _at_least(fc.train_window, 1, "forecast.train_window")
    check_forecast_config(fc)
    if fc.baseline not in fc.models:
        raise SettingError(f"forecast.baseline={fc.baseline!r} is not in forecast.models={list(fc.models)}")
    check_inventory_config(typed["inventory"], fc.quantiles)
    an = typed["anomaly"]
    if not an.detectors:
        raise SettingError("anomaly.detectors is empty; expected at least one detector")
    for det in an.detectors:
        DETECTORS[det]
    if not 0 < an.contamination <= 0.5:
        raise SettingError(f"anomaly.contamination={an.contamination}; expected a share in (0, 0.5]")
    _at_least(an.window, 2, "anomaly.window")
    _at_least(an.n_neighbors, 1, "anomaly.n_neighbors")
    _at_least(an.top_k, 1, "anomaly.top_k")
    exp = typed["experiment"]
    for nb in exp.notebooks:
        path = Path(exp.notebooks_dir) / f"{nb}.ipynb"
        if not path.exists():
            raise SettingError(f"experiment.notebooks: {path} does not exist")


def check_against_data(plain: dict[str, Any], panel) -> None:
    """Settings that only the loaded panel can judge, checked before any notebook runs."""
    from workbench.anomaly.detect import stock_sales_features
    from workbench.forecast import make_forecaster
    from workbench.forecast.backtest import origins

    fc = section(plain, "forecast")
    min_train = max(make_forecaster(name, fc).min_history for name in fc.models)
    try:  # the backtest's own rule: horizon x (windows + 1) + the longest history a model needs
        origins(panel, fc.horizon, fc.n_backtest_windows, min_train)
    except ValueError as err:
        raise SettingError(f"{err}: shorten forecast.horizon or forecast.n_backtest_windows") from None

    an = section(plain, "anomaly")
    experiment = section(plain, "experiment")
    if "05_anomaly" in experiment.notebooks and "knn" in an.detectors:
        rows = min(stock_sales_features(panel, an.window).height, an.max_rows_knn)
        if an.n_neighbors >= rows:
            raise SettingError(f"anomaly.n_neighbors={an.n_neighbors}, but the anomaly features have {rows}"
                               f" rows; expected fewer neighbours than rows")

    games = section(plain, "games")
    if games.category is not None:
        # without a category column the whole panel is one category, "all"
        known = (sorted(str(c) for c in panel.static["category"].unique().drop_nulls())
                 if "category" in panel.static.columns else ["all"])
        if str(games.category) not in known:
            raise SettingError(f"games.category={games.category!r} is not a category of the data;"
                               f" expected one of {known[:12]}{' ...' if len(known) > 12 else ''}")


def _at_least(value: int, low: int, setting: str) -> None:
    if value < low:
        raise SettingError(f"{setting}={value}; expected {low} or more")
