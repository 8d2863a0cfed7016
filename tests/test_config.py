from pathlib import Path

import pytest
from hydra.errors import ConfigCompositionException

from workbench.config import CONF_DIR, compose, section, to_plain

GROUPS = ["data", "forecast", "inventory", "games", "anomaly", "experiment"]


@pytest.mark.parametrize(
    "group,option",
    [(g, p.stem) for g in GROUPS for p in sorted((CONF_DIR / g).glob("*.yaml"))],
)
def test_every_group_option_composes_and_instantiates(group, option):
    overrides = [f"{group}={option}"]
    # options for the user's own files have no default path
    if (group, option) in {("data", "panel"), ("data", "m5"), ("data", "transactions"), ("experiment", "transactions")}:
        overrides.append("data.path=somewhere")
    plain = to_plain(compose(overrides))
    for name in GROUPS:
        assert section(plain, name) is not None


def test_quick_is_tiny_and_default_is_the_report():
    quick = to_plain(compose(["experiment=quick"]))
    default = to_plain(compose([]))
    assert default["experiment"]["name"] == "default"
    assert quick["data"]["n_items"] < default["data"]["n_items"]
    assert quick["forecast"]["horizon"] <= default["forecast"]["horizon"]
    assert quick["data"]["seed"] == quick["experiment"]["seed"]


@pytest.mark.parametrize(
    "override,message",
    [
        ("forecast.horizon=abc", "horizon=abc"),
        ("inventory.no_such_field=1", "no_such_field"),
        ("data=nonexistent", "nonexistent"),
        ("anomaly.contamination=[1,2]", "contamination"),
        ("data.validation.negative_demand=ignore", "negative_demand"),
    ],
)
def test_bad_override_fails_at_compose_time(override, message):
    with pytest.raises(ConfigCompositionException) as err:
        compose([override])
    text = str(err.value) + str(err.value.__cause__)
    assert message in text


def test_panel_without_path_is_refused():
    from omegaconf.errors import MissingMandatoryValue

    with pytest.raises(MissingMandatoryValue, match="path"):
        to_plain(compose(["data=panel"]))


def test_every_notebook_has_a_parameters_cell_and_no_outputs():
    import nbformat

    for path in sorted(Path(CONF_DIR.parent / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), path


@pytest.mark.parametrize("data", ["panel", "walmart", "m5", "transactions"])
def test_the_quick_experiment_takes_any_data_source(data):
    plain = to_plain(compose(["experiment=quick", f"data={data}", "data.path=somewhere"]))
    assert plain["data"]["source"] == data and plain["experiment"]["name"] == "quick"
    assert plain["forecast"]["horizon"] == 14


def test_the_quick_experiment_shrinks_the_synthetic_shop():
    quick = to_plain(compose(["experiment=quick"]))["data"]
    assert (quick["source"], quick["n_items"], quick["n_days"]) == ("synthetic", 12, 400)
    assert to_plain(compose(["experiment=quick", "data.n_items=6"]))["data"]["n_items"] == 6
