"""The study's split of the panel's dates: the fit window, the calibration window, the evaluation periods.

Detectors are fitted on the fit window; their thresholds are set on the calibration window, which
they have not seen (the forecast-residual detectors score it out of sample); every metric is
measured on the evaluation periods after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from workbench.data.panel import DATE


@dataclass(frozen=True)
class Split:
    fit_end: date  # last date of the fit window
    calibration_end: date  # last date of the calibration window
    last: date  # the panel's last date

    def masks(self, rows: pl.DataFrame) -> tuple[pl.Series, pl.Series, pl.Series]:
        """Boolean masks over ``rows`` (with a ``date`` column): fit, calibration and evaluation rows."""
        d = rows.get_column(DATE)
        fit = d <= self.fit_end
        evaluation = d > self.calibration_end
        return fit, ~fit & ~evaluation, evaluation


def split_dates(dates: pl.Series, cfg) -> Split:
    """The split of ``dates`` (the panel's sorted unique dates) by ``anomaly.split``: the first
    ``fit_share`` of them to fit, the next ``calibration`` periods to calibrate, the rest to evaluate.
    The fit window must hold twice the features' ``anomaly.window``, and the evaluation as many
    periods as the calibration window."""
    n = dates.len()
    n_fit = int(round(cfg.split.fit_share * n))
    n_cal = cfg.split.calibration
    if n_fit < 2 * cfg.window or n - n_fit - n_cal < n_cal:
        raise ValueError(
            f"the panel has {n} periods: anomaly.split.fit_share={cfg.split.fit_share} gives a fit window of {n_fit}"
            f" (expected at least 2 x anomaly.window = {2 * cfg.window}) and anomaly.split.calibration={n_cal}"
            f" leaves {n - n_fit - n_cal} periods to evaluate (expected at least {n_cal}); shorten the windows"
        )
    return Split(fit_end=dates[n_fit - 1], calibration_end=dates[n_fit + n_cal - 1], last=dates[n - 1])
