"""Installs are reproducible: the lock pins every dependency within pyproject.toml's ranges, and
environment.yml pins the same versions."""

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def _lock() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if match:
            pins[_name(match.group(1))] = match.group(2)
    return pins


def _direct() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    return [Requirement(r) for r in [*project["dependencies"], *extras]]


@pytest.mark.parametrize("req", _direct(), ids=str)
def test_lock_pins_every_dependency_inside_its_range(req):
    lock = _lock()
    assert _name(req.name) in lock, f"{req.name} is not in requirements.lock: run `make lock`"
    assert req.specifier.contains(lock[_name(req.name)], prereleases=True), (
        f"requirements.lock pins {req.name}=={lock[_name(req.name)]}, outside pyproject.toml's {req}")


def test_environment_yml_pins_the_locked_versions():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pinned = {}
    for line in pip_section:
        if line.startswith("-"):
            continue
        req = Requirement(line)
        (spec,) = req.specifier
        assert spec.operator == "==", f"environment.yml: {line} is not an exact pin"
        pinned[_name(req.name)] = spec.version
    lock = _lock()
    assert set(pinned) == {_name(r.name) for r in _direct()}
    assert {k: v for k, v in pinned.items() if lock[k] != v} == {}
