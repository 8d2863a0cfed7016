"""Notebooks run by hand: one scratch folder per config, shared; or a finished run opened."""

import os

import pytest

from workbench.config import compose, to_plain
from workbench.session import open_run


@pytest.fixture
def in_tmp_reports(tmp_path, monkeypatch):
    """Hand runs chdir to the project root; point their reports at a temporary folder."""
    monkeypatch.chdir(tmp_path)
    cwd = os.getcwd()
    yield ["experiment=quick", f"experiment.reports_dir={tmp_path / 'reports'}"]
    os.chdir(cwd)


def test_hand_runs_of_one_config_share_a_scratch_folder(in_tmp_reports):
    first = open_run(None, None, in_tmp_reports)
    first.write_table("forecasts", __import__("polars").DataFrame({"x": [1]}))
    second = open_run(None, None, in_tmp_reports)  # the next notebook, run by hand
    assert second.dir == first.dir and second.read_table("forecasts")["x"].to_list() == [1]
    other = open_run(None, None, [*in_tmp_reports, "forecast.horizon=7"])
    assert other.dir != first.dir
    assert first.dir.parent.name == "lab" and first.dir.name.startswith("quick-")


def test_a_finished_run_is_opened_from_its_folder(in_tmp_reports):
    made = open_run(None, None, in_tmp_reports)
    opened = open_run(None, made.dir)
    assert opened.cfg == to_plain(compose(in_tmp_reports)) and opened.dir == made.dir
    with pytest.raises(FileNotFoundError, match="holds no config.yaml"):
        open_run(None, made.dir / "artifacts")
