"""Every check that can fail a run, made once, before any notebook runs.

Types and closed choices are the schemas' (:mod:`workbench.config`): Hydra refuses them at
compose time. What a schema cannot express is here, in one place: registry names, ranges,
the rules between fields, and the settings that only the data can judge. The runner calls
:func:`check_settings` on the resolved config, loads and validates the data once, then
calls :func:`check_against_data` (a horizon longer than the history, more neighbours than
rows). The stages take their typed sections and do not check them again. Each failure is
a :class:`SettingError` (or the data layer's ``PanelError``, or a registry's ``KeyError``)
whose message names the setting, the value and what was expected; the runner prints it
as one line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from workbench.config import (
    GROUPS,
    AnomalyConfig,
    ColdStartConfig,
    ExperimentConfig,
    ForecastConfig,
    InventoryConfig,
    TextConfig,
    section,
)


class SettingError(ValueError):
    """A setting that cannot work; the message names it and what was expected."""


def check_settings(plain: dict[str, Any]) -> None:
    """Settings alone, each group typed (and so checked against its schema) once."""
    from workbench.games.settings import check_games_config
    from workbench.inventory.settings import check_inventory_config

    typed = {name: section(plain, name) for name in GROUPS}
    fc = typed["forecast"]
    check_forecast(fc)
    check_text(typed["data"].text, fc.cold_start)
    check_inventory_config(typed["inventory"], fc.quantiles)
    check_solver(typed["inventory"])
    check_anomaly(typed["anomaly"])
    check_games_config(typed["games"])
    check_risk(typed["risk"], typed["inventory"], typed["experiment"])
    if LOGISTICS_NOTEBOOK in typed["experiment"].notebooks:
        from workbench.logistics.settings import check_logistics_config

        try:
            check_logistics_config(typed["logistics"], fc.horizon)
        except ValueError as err:
            raise SettingError(str(err)) from None
    check_experiment(typed["experiment"])


def check_forecast(fc: ForecastConfig) -> None:
    """Registered models, ranges, quantile levels the losses can use, and combinations."""
    from workbench.forecast import MODELS
    from workbench.forecast.combine import check_combinations
    from workbench.forecast.foundation import check_foundation

    for model in fc.models:
        MODELS[model]  # a registry look-up raises a KeyError that names the setting and the known entries
    if len(set(fc.models)) != len(fc.models):
        raise SettingError(f"forecast.models={list(fc.models)} names a model twice")
    _at_least(fc.horizon, 1, "forecast.horizon")
    # the models are ranked on the backtest windows, never on the hold-out
    _at_least(fc.n_backtest_windows, 1, "forecast.n_backtest_windows")
    _at_least(fc.season_length, 1, "forecast.season_length")
    if fc.train_window is not None:
        _at_least(fc.train_window, 1, "forecast.train_window")
    quantiles = sorted(fc.quantiles)
    if not quantiles or quantiles[0] <= 0 or quantiles[-1] >= 1:
        raise SettingError(f"forecast.quantiles={list(fc.quantiles)}; expected levels strictly between 0 and 1")
    if 0.5 not in quantiles or any(abs(a + b - 1) > 1e-9 for a, b in zip(quantiles, quantiles[::-1], strict=True)):
        raise SettingError(f"forecast.quantiles={list(fc.quantiles)}; expected the median (0.5) and levels in"
                           f" pairs around it (0.1 with 0.9), as the quantile losses and conformal models need")
    check_combinations(fc)
    if fc.calibration.method != "none":  # the first scored origin needs an earlier one to calibrate on
        _at_least(fc.calibration.origins, 1, "forecast.calibration.origins")
        _at_least(fc.calibration.block, 1, "forecast.calibration.block")
        _at_least(fc.calibration.min_errors, 1, "forecast.calibration.min_errors")
    if fc.baseline not in fc.models:
        raise SettingError(f"forecast.baseline={fc.baseline!r} is not in forecast.models={list(fc.models)}")
    check_foundation(fc)  # pre-trained models: their files on disk, packages and quantile levels


def check_text(text: TextConfig, cold_start: ColdStartConfig) -> None:
    """The item text's vector size and n-gram ranges, and the cold-start study's settings."""
    _at_least(text.dims, 1, "data.text.dims")
    for name in ("word_ngrams", "char_ngrams"):
        span = list(getattr(text, name))
        if span and (len(span) != 2 or not 1 <= span[0] <= span[1]):
            raise SettingError(f"data.text.{name}={span}; expected [] or [shortest, longest] with 1 <= shortest"
                               " <= longest, e.g. [1, 2]")
    if not text.word_ngrams and not text.char_ngrams:
        raise SettingError("data.text.word_ngrams and data.text.char_ngrams are both []; expected at least one range")
    _at_least(cold_start.neighbours, 1, "forecast.cold_start.neighbours")
    _at_least(cold_start.folds, 2, "forecast.cold_start.folds")
    _at_least(cold_start.window, 1, "forecast.cold_start.window")


def check_solver(inv: InventoryConfig) -> None:
    """The plan's solver is installed here, and takes integers where the mixed-integer plan runs."""
    import cvxpy as cp
    from cvxpy.reductions.solvers.defines import MI_SOLVERS

    solver = str(inv.lp.solver)
    if solver not in cp.installed_solvers():
        raise SettingError(f"inventory.lp.solver={solver} is not installed; installed: {cp.installed_solvers()}")
    if inv.lp.mip and solver not in MI_SOLVERS:
        raise SettingError(f"inventory.lp.solver={solver} does not solve mixed-integer programs, which"
                           f" inventory.lp.mip=true needs; expected one of"
                           f" {[s for s in cp.installed_solvers() if s in MI_SOLVERS]} or inventory.lp.mip=false")


def check_anomaly(an: AnomalyConfig) -> None:
    """Registered detectors, the recommended one among them, anomaly types and the ranges of the settings."""
    from workbench.anomaly import DETECTORS, TYPES
    from workbench.anomaly.residual import check_residual

    if not an.detectors:
        raise SettingError("anomaly.detectors is empty; expected at least one detector")
    for det in [*an.detectors, *an.ensemble.members]:
        DETECTORS[det]  # a registry look-up raises a KeyError that names the setting and the known entries
    if an.recommended != "auto" and an.recommended not in an.detectors:
        raise SettingError(f"anomaly.recommended={an.recommended!r} is neither auto nor one of anomaly.detectors={an.detectors}")
    if "ensemble" in an.ensemble.members:
        raise SettingError("anomaly.ensemble.members lists 'ensemble'; expected the detectors it combines")
    unknown = [t for t in an.inject.types if t not in TYPES]
    if unknown:
        raise SettingError(f"anomaly.inject.types: unknown anomaly type(s) {unknown}; expected some of {list(TYPES)}")
    if not 0 < an.threshold.contamination <= 0.5:
        raise SettingError(f"anomaly.threshold.contamination={an.threshold.contamination}; expected a share in (0, 0.5]")
    if not 0.5 <= an.threshold.quantile < 1:
        raise SettingError(f"anomaly.threshold.quantile={an.threshold.quantile}; expected a quantile in [0.5, 1)")
    if an.threshold.budget <= 0:
        raise SettingError(f"anomaly.threshold.budget={an.threshold.budget}; expected incidents per 1,000 above 0")
    if not 0.1 <= an.split.fit_share <= 0.9:
        raise SettingError(f"anomaly.split.fit_share={an.split.fit_share}; expected a share in [0.1, 0.9]")
    if an.inject.per_1000 < 0:
        raise SettingError(f"anomaly.inject.per_1000={an.inject.per_1000}; expected 0 or more")
    try:  # the residual detectors' own rule, checked before a run
        check_residual(an)
    except ValueError as err:
        raise SettingError(str(err)) from None
    for setting, value, least in (
        ("anomaly.window", an.window, 2), ("anomaly.top_k", an.top_k, 1), ("anomaly.split.calibration", an.split.calibration, 1),
        ("anomaly.knn.n_neighbors", an.knn.n_neighbors, 1), ("anomaly.knn.max_rows", an.knn.max_rows, 2),
        ("anomaly.lof.n_neighbors", an.lof.n_neighbors, 1), ("anomaly.lof.max_rows", an.lof.max_rows, 2),
        ("anomaly.iforest.n_estimators", an.iforest.n_estimators, 1), ("anomaly.ocsvm.max_rows", an.ocsvm.max_rows, 2),
        ("anomaly.hbos.n_bins", an.hbos.n_bins, 2), ("anomaly.autoencoder.epochs", an.autoencoder.epochs, 1),
        ("anomaly.residual.window", an.residual.window, 1),
        ("anomaly.residual.pyod_window", an.residual.pyod_window, 1), ("anomaly.incidents.max_gap", an.incidents.max_gap, 1),
        ("anomaly.incidents.grace", an.incidents.grace, 0),
    ):
        _at_least(value, least, setting)


RISK_NOTEBOOK = "06_risk"
LOGISTICS_NOTEBOOK = "07_logistics"


def reads_history(notebooks: list[str], lead_time) -> bool:
    """Whether a notebook of the run reads the shipment history: the risk study, or the inventory
    study when its lead times are drawn from the history."""
    return RISK_NOTEBOOK in notebooks or ("03_inventory" in notebooks and lead_time.variability == "shipments")


def check_risk(risk, inv: InventoryConfig, exp: ExperimentConfig) -> None:
    """Ranges of the risk group, the lead-time model of the inventory group, and the shipment
    history's file where a notebook that runs will read it (its contents are checked against the
    data, :func:`check_shipments`)."""
    from workbench.risk.leadtime import scipy_distribution

    lt = inv.lead_time
    for setting, value, low in (
        ("inventory.lead_time.samples", lt.samples, 20), ("risk.replications", risk.replications, 1),
        ("risk.disruption.days", risk.disruption.days, 1), ("risk.sourcing.scenarios", risk.sourcing.scenarios, 2),
        ("risk.distributions.min_shipments", risk.distributions.min_shipments, 2),
        ("risk.scorecard.min_shipments", risk.scorecard.min_shipments, 1), ("risk.model.n_estimators", risk.model.n_estimators, 1),
    ):
        _at_least(value, low, setting)
    if lt.variability == "distribution":
        try:
            scipy_distribution(lt.distribution, dict(lt.params))
        except ValueError as err:
            raise SettingError(str(err)) from None
    if not lt.default_modes:
        raise SettingError("inventory.lead_time.default_modes is empty; expected at least one shipment mode")
    if not 0.0 <= lt.crossing_share <= 1.0:
        raise SettingError(f"inventory.lead_time.crossing_share={lt.crossing_share}; expected a share in [0, 1]")
    for setting, value in (("risk.scorecard.cvar_level", risk.scorecard.cvar_level),
                           ("risk.sourcing.cvar_alpha", risk.sourcing.cvar_alpha)):
        if not 0.0 < value < 1.0:
            raise SettingError(f"{setting}={value}; expected a level strictly between 0 and 1")
    if not risk.sourcing.lambdas or min(risk.sourcing.lambdas) < 0:
        raise SettingError(f"risk.sourcing.lambdas={risk.sourcing.lambdas}; expected one or more weights >= 0")
    if risk.disruption.start is not None and risk.disruption.start < 0:
        raise SettingError(f"risk.disruption.start={risk.disruption.start}; expected a period >= 0 or null (drawn)")
    for name in ("slow", "fast"):
        src = getattr(risk.sourcing, name)
        if src.lead_factor <= 0 or src.cost_factor <= 0:
            raise SettingError(f"risk.sourcing.{name}: lead_factor={src.lead_factor} and cost_factor={src.cost_factor};"
                               " expected both > 0")
    if reads_history(exp.notebooks, lt) and not Path(risk.shipments.path).expanduser().is_file():
        raise SettingError(f"risk.shipments.path={risk.shipments.path!r}: no such file (working directory:"
                           f" {Path.cwd()}); the shipment history is read by "
                           + (RISK_NOTEBOOK if RISK_NOTEBOOK in exp.notebooks else
                              "03_inventory (inventory.lead_time.variability=shipments)"))


def check_experiment(exp: ExperimentConfig) -> None:
    """Every notebook of the experiment exists, and the engine can be used."""
    for nb in exp.notebooks:
        path = Path(exp.notebooks_dir) / f"{nb}.ipynb"
        if not path.exists():
            raise SettingError(f"experiment.notebooks: {path} does not exist")
    check_engine(exp)


def check_engine(exp: ExperimentConfig) -> None:
    """The Ray settings: a local instance's size, an address of a form Ray takes, no size for a
    cluster (Ray refuses one), and Ray installed where the run uses it. Whether an address can be
    joined is known only by joining: the runner does, once, before the first notebook."""
    import importlib.util
    import re

    ray = exp.ray
    if ray.num_cpus is not None:
        _at_least(ray.num_cpus, 1, "experiment.ray.num_cpus")
    if ray.address is not None and not re.fullmatch(r"auto|(ray://)?[^\s/]+:\d+", ray.address):
        raise SettingError(f"experiment.ray.address={ray.address!r}; expected null (a local instance), auto (the"
                           " cluster on this machine), host:6379 or ray://host:10001")
    if exp.engine != "ray":
        return
    if ray.address is not None and ray.num_cpus is not None:
        raise SettingError(f"experiment.ray.num_cpus={ray.num_cpus} sizes a local instance, but"
                           f" experiment.ray.address={ray.address!r} joins a cluster, whose size is its own;"
                           " expected experiment.ray.num_cpus=null")
    if importlib.util.find_spec("ray") is None:
        raise SettingError("experiment.engine=ray, but Ray is not installed here; expected `pip install"
                           " 'ray>=2.50,<3'` (see requirements.lock) or experiment.engine=local")


def check_against_data(plain: dict[str, Any], panel) -> None:
    """Settings that only the loaded panel can judge, checked before any notebook runs."""
    from workbench.forecast import make_forecaster
    from workbench.forecast.backtest import origins
    from workbench.forecast.calibrate import calibration_origins

    fc = section(plain, "forecast")
    experiment = section(plain, "experiment")
    if "02_forecast" in experiment.notebooks:  # a data study alone needs no forecasting history
        min_train = max(make_forecaster(name, fc).min_history for name in fc.models)
        try:  # the backtest's own rule: horizon x (windows + 1) + the longest history a model needs
            origins(panel, fc.horizon, fc.n_backtest_windows, min_train, calibration_origins(fc))
        except ValueError as err:
            calibrating = " or forecast.calibration.origins (or set forecast.calibration.method=none)" \
                if calibration_origins(fc) else ""
            raise SettingError(f"{err}: shorten forecast.horizon or forecast.n_backtest_windows{calibrating}") from None
        if section(plain, "data").text.column is not None:  # the cold-start study's levels need a window
            try:
                origins(panel, fc.horizon, fc.n_backtest_windows, fc.cold_start.window)
            except ValueError as err:
                raise SettingError(f"{err} (forecast.cold_start.window={fc.cold_start.window}): shorten it") from None

    an = section(plain, "anomaly")
    if "05_anomaly" in experiment.notebooks:
        from workbench.anomaly.split import split_dates

        try:
            split = split_dates(panel.dates, an)
        except ValueError as err:
            raise SettingError(str(err)) from None
        # the neighbour detectors are fitted on the fit window's rows (at most max_rows of them)
        fit_rows = panel.demand.filter(pl.col("date") <= split.fit_end).height
        for name in ("knn", "lof"):
            if name in an.detectors or name in an.ensemble.members:
                nb = getattr(an, name)
                if nb.n_neighbors >= min(fit_rows, nb.max_rows):
                    raise SettingError(f"anomaly.{name}.n_neighbors={nb.n_neighbors}, but the detector is fitted on"
                                       f" {min(fit_rows, nb.max_rows):,} rows; expected fewer neighbours than rows")

    check_shipments(plain, panel)
    if LOGISTICS_NOTEBOOK in experiment.notebooks:
        from workbench.inventory.window import location_column
        from workbench.logistics.settings import check_logistics_data

        try:
            check_logistics_data(section(plain, "logistics"), panel, location_column(panel, section(plain, "inventory")))
        except ValueError as err:
            raise SettingError(str(err)) from None

    games = section(plain, "games")
    if games.category is not None:
        # without a category column the whole panel is one category, "all"
        known = (sorted(str(c) for c in panel.static["category"].unique().drop_nulls())
                 if "category" in panel.static.columns else ["all"])
        if str(games.category) not in known:
            raise SettingError(f"games.category={games.category!r} is not a category of the data;"
                               f" expected one of {known[:12]}{' ...' if len(known) > 12 else ''}")
    if "04_collaboration" in experiment.notebooks:
        from workbench.games.data import category_data, player_key

        try:
            category_data(panel, games.category, games.period_days)
            player_key(panel, games.pooling.by)
        except ValueError as err:
            raise SettingError(str(err)) from None


def check_shipments(plain: dict[str, Any], panel) -> None:
    """The shipment history, read once where a notebook that runs needs it: its file, columns,
    dates and numbers (the loader's errors name them), and enough lead-time ratios for every
    shipment mode the lead-time model and the sourcing plan draw from."""
    from workbench.risk.distributions import lead_ratios
    from workbench.risk.leadtime import supplier_modes, suppliers_of
    from workbench.risk.shipments import load_shipments

    risk, inv = section(plain, "risk"), section(plain, "inventory")
    notebooks = section(plain, "experiment").notebooks
    if not reads_history(notebooks, inv.lead_time):
        return
    history = load_shipments(risk.shipments)
    ratios = lead_ratios(history.frame, risk.distributions.min_shipments)
    known = sorted(k for k in ratios if k != "all")
    wanted: dict[str, str] = {}
    if inv.lead_time.variability == "shipments":
        suppliers = np.unique(suppliers_of(panel.static, inv.lead_time.by))
        wanted |= {m: "inventory.lead_time.modes / default_modes" for m in supplier_modes(suppliers, inv.lead_time)}
    if RISK_NOTEBOOK in notebooks:
        wanted |= {risk.sourcing.slow.mode: "risk.sourcing.slow.mode", risk.sourcing.fast.mode: "risk.sourcing.fast.mode"}
    for mode, setting in wanted.items():
        if mode not in ratios:
            raise SettingError(f"{setting}: shipment mode {mode!r} has fewer than {risk.distributions.min_shipments}"
                               f" lead-time ratios (PO to delivery against PO to schedule) in {history.path};"
                               f" modes with enough: {known}")


def _at_least(value: int, low: int, setting: str) -> None:
    if value < low:
        raise SettingError(f"{setting}={value}; expected {low} or more")
