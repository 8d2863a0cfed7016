"""Headline metrics: what a stage logs and the index of runs shows, declared once.

Each stage declares one :class:`Headline` (its metrics' keys, labels, formats and the
words that explain them) and one ``headline(...)`` function that fills it from the
stage's results. The notebook logs what that function returns
(``run.log_headline(headline(study))``); the run folder keeps the values and the
declaration, and ``reports/index.html`` builds its columns and its footnote from the
declarations it finds, so no key is spelt in two places.

>>> demo = Headline("00_demo", (Metric("n", "items", "{:,.0f}", "Items: rows of the demo."),))
>>> logged = demo.of(n=1200, seconds=3.5)
>>> logged.values
{'n': 1200, 'seconds': 3.5}
>>> demo.of(m=1)
Traceback (most recent call last):
ValueError: headline of 00_demo: missing ['n']; declared ['n']
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Metric:
    """One headline number: ``key`` in ``metrics.json``, ``label`` the index column,
    ``fmt`` a ``str.format`` pattern, ``explain`` a sentence for the index footnote."""

    key: str
    label: str
    fmt: str = "{}"
    explain: str = ""


@dataclass(frozen=True)
class Headline:
    """The metrics of one stage that the index shows, in column order."""

    stage: str
    metrics: tuple[Metric, ...]

    def of(self, **values: Any) -> Logged:
        """The stage's values: every declared metric (``None`` where it does not apply)
        and any further details, which ``metrics.json`` keeps and the index does not show."""
        missing = [m.key for m in self.metrics if m.key not in values]
        if missing:
            raise ValueError(f"headline of {self.stage}: missing {missing}; declared {[m.key for m in self.metrics]}")
        return Logged(self, values)

    def spec(self) -> list[dict[str, str]]:
        return [asdict(m) for m in self.metrics]


@dataclass(frozen=True)
class Logged:
    """A stage's headline values with their declaration, as ``Run.log_headline`` takes them."""

    headline: Headline
    values: dict[str, Any]

    @property
    def stage(self) -> str:
        return self.headline.stage
