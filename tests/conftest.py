"""Shared fixtures: tiny configs and panels, built once per session."""

from __future__ import annotations

import pytest

from workbench.config import compose, section, to_plain
from workbench.data import load_data
from workbench.runtime import set_threads

# the same thread count on every machine: torch's sums (and so the deep models' numbers)
# depend on how the work is split
set_threads(2)


def tiny_overrides(*extra: str) -> list[str]:
    return ["experiment=quick", "data.n_items=6", "data.n_days=240", *extra]


@pytest.fixture(scope="session")
def quick_cfg() -> dict:
    return to_plain(compose(tiny_overrides()))


@pytest.fixture(scope="session")
def tiny_panel(quick_cfg):
    return load_data(section(quick_cfg, "data"))
