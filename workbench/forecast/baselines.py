"""Naive baselines fitted over all series at once, with conformal intervals around their errors.

Darts' global naive models (``GlobalNaiveAggregate``, ``GlobalNaiveDrift``) have nothing to fit;
:class:`ConformalBaseline` wraps them in Darts' ``ConformalNaiveModel`` through
:class:`~workbench.forecast.base.GlobalDarts`.
"""

from __future__ import annotations

from workbench.forecast.base import GlobalDarts, register


class ConformalBaseline(GlobalDarts):
    """A naive rule over the last ``window`` periods (nothing to fit), with conformal
    intervals from its errors over the last ``forecast.conformal.cal_length`` origins."""

    conformal = True
    window: int

    @property
    def min_history(self) -> int:
        return self.window + self.cfg.conformal.cal_length + self.cfg.horizon


@register("moving_average")
class MovingAverage(ConformalBaseline):
    """Mean of the last ``forecast.conformal.moving_average_window`` periods, flat over the
    horizon (Darts ``GlobalNaiveAggregate``), with conformal intervals."""

    @property
    def window(self) -> int:
        return self.cfg.conformal.moving_average_window

    def build(self, data, horizon):
        from darts.models import GlobalNaiveAggregate

        return GlobalNaiveAggregate(input_chunk_length=self.window, output_chunk_length=horizon, agg_fn="mean")


@register("drift")
class Drift(ConformalBaseline):
    """The line through the first and last values of the last whole seasons, extended
    (Darts ``GlobalNaiveDrift``), with conformal intervals."""

    @property
    def window(self) -> int:
        """Whole seasons plus one, so that the first and last points are in the same phase."""
        m = self.cfg.season_length
        return m * max(1, self.cfg.conformal.moving_average_window // m) + 1

    def build(self, data, horizon):
        from darts.models import GlobalNaiveDrift

        return GlobalNaiveDrift(input_chunk_length=self.window, output_chunk_length=horizon)
