"""Shared fixtures: the quick experiment's config (and a helper to override it) and a tiny
panel, built once per session."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import settings

from workbench.config import compose, section, to_plain
from workbench.data import load_data
from workbench.runtime import set_threads

# the same thread count on every machine: torch's sums (and so the deep models' numbers)
# depend on how the work is split
set_threads(2)

# property tests draw the same examples on every machine and run: a failure is found again, not by chance
settings.register_profile("workbench", derandomize=True)
settings.load_profile("workbench")

TINY_DATA = ("data.n_items=6", "data.n_days=240")


def tiny_overrides(*extra: str) -> list[str]:
    return ["experiment=quick", *TINY_DATA, *extra]


class QuickConfig:
    """The quick experiment with the overrides a test needs, composed once per set of overrides.

    ``quick.plain("forecast.horizon=7")`` is the resolved plain config (what the runner hands
    the notebooks); ``quick.section("forecast", "forecast.horizon=7")`` is one typed group.
    Each call returns a fresh copy, so a test may change what it gets."""

    def __init__(self) -> None:
        self._composed: dict[tuple[str, ...], dict[str, Any]] = {}

    def plain(self, *overrides: str) -> dict[str, Any]:
        if overrides not in self._composed:
            self._composed[overrides] = to_plain(compose(["experiment=quick", *overrides]))
        return copy.deepcopy(self._composed[overrides])

    def section(self, name: str, *overrides: str) -> Any:
        return section(self.plain(*overrides), name)


@pytest.fixture(scope="session")
def quick() -> QuickConfig:
    return QuickConfig()


@pytest.fixture(scope="session")
def quick_cfg(quick) -> dict:
    """The quick experiment on a tiny synthetic shop (6 items, 240 days), as a plain dict."""
    return quick.plain(*TINY_DATA)


@pytest.fixture(scope="session")
def tiny_panel(quick_cfg):
    return load_data(section(quick_cfg, "data"))
