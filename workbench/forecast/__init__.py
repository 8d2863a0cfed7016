"""Forecasting stage: Darts models behind one registry, rolling-origin backtests, scores."""

from workbench.forecast import deep  # noqa: F401  (registers the torch models)
from workbench.forecast.backtest import BacktestResult, Origins, origins, run_backtest
from workbench.forecast.metrics import leaderboard, per_series_scores, summarise
from workbench.forecast.models import MODELS, Forecaster, make_forecaster, register
from workbench.forecast.series import quantile_column, to_series_set
from workbench.forecast.summary import HEADLINE, headline

__all__ = [
    "HEADLINE",
    "MODELS",
    "BacktestResult",
    "Forecaster",
    "Origins",
    "headline",
    "leaderboard",
    "make_forecaster",
    "origins",
    "per_series_scores",
    "quantile_column",
    "register",
    "run_backtest",
    "summarise",
    "to_series_set",
]
