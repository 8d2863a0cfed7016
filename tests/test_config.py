from dataclasses import fields, is_dataclass
from pathlib import Path

import pytest
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

from workbench.config import CONF_DIR, GROUPS, compose, schema_of, section, to_plain

# options for the user's own files have no default path
NEEDS_PATH = {("data", "panel"), ("data", "m5"), ("data", "transactions"), ("experiment", "transactions")}


def _enums_are_members(obj) -> None:
    """Every closed choice of a typed group holds a member of its enum, not a bare string."""
    for f in fields(obj):
        value = getattr(obj, f.name)
        if is_dataclass(value):
            _enums_are_members(value)
        elif isinstance(f.type, str) and f.type[:1].isupper() and f.type.split(".")[-1] in {
                "Accelerator", "Precision", "EnsembleMethod", "Shortage", "Objective", "Solver", "MarkdownMissing",
                "Returns", "MissingDemand", "NegativeDemand", "MissingDates", "MissingCovariates"}:
            assert type(value).__name__ == f.type, (type(obj).__name__, f.name, value)


@pytest.mark.parametrize(
    "group,option",
    [(g, p.stem) for g in GROUPS for p in sorted((CONF_DIR / g).glob("*.yaml"))],
)
def test_every_group_option_composes_and_instantiates(group, option):
    overrides = [f"{group}={option}"] + (["data.path=somewhere"] if (group, option) in NEEDS_PATH else [])
    plain = to_plain(compose(overrides))
    for name in GROUPS:
        typed = section(plain, name)
        # the typed object is its group's schema (the data source's own for data) and holds
        # exactly the composed values
        assert type(typed) is schema_of(plain, name), (name, type(typed))
        assert OmegaConf.to_container(OmegaConf.structured(typed), enum_to_str=True) == plain[name], name
        _enums_are_members(typed)
    if group == "experiment":
        assert section(plain, "experiment").name == option
    if group == "data":
        assert section(plain, "data").source == plain["data"]["source"]


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
        ("anomaly.threshold.contamination=[1,2]", "contamination"),
        ("data.validation.negative_demand=ignore", "negative_demand"),
        # closed choices
        ("forecast.deep.accelerator=tpu", "forecast.deep.accelerator"),
        ("forecast.deep.precision=8-true", "forecast.deep.precision"),
        ("forecast.ensemble_method=trimmed", "forecast.ensemble_method"),
        ("inventory.shortage=backlog", "inventory.shortage"),
        ("inventory.lp.objective=revenue", "inventory.lp.objective"),
        ("inventory.lp.solver=highs2", "inventory.lp.solver"),
        ("experiment=walmart data.markdown_missing=drop", "data.markdown_missing"),
        ("experiment=transactions data.path=x data.returns=keep", "data.returns"),
        # the torch models' and the detectors' own hyper-parameters
        ("forecast.deep.tft.hiden_size=16", "forecast.deep.tft.hiden_size"),
        ("forecast.deep.nhits.num_stack=2", "forecast.deep.nhits.num_stack"),
        ("forecast.deep.lstm.hidden_dim=wide", "forecast.deep.lstm.hidden_dim"),
        ("anomaly.knn.n_neighbours=5", "anomaly.knn.n_neighbours"),
        ("anomaly.iforest.trees=50", "anomaly.iforest.trees"),
        ("anomaly.n_neighbors=5", "anomaly.n_neighbors"),
    ],
)
def test_bad_override_fails_at_compose_time(override, message):
    with pytest.raises(ConfigCompositionException) as err:
        compose(override.split())
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


@pytest.mark.parametrize("override,key", [
    ("+forecast.deep.nhits.num_stack=2", "num_stack"),
    ("+anomaly.iforest.trees=50", "trees"),
])
def test_a_key_added_with_plus_is_refused_by_its_typed_section(override, key):
    """Hydra's ``+`` adds a key past the schema; the typed section, read before any notebook runs, refuses it."""
    from omegaconf.errors import ConfigKeyError

    plain = to_plain(compose([override]))
    with pytest.raises(ConfigKeyError, match=rf"Key '{key}' not in '(NHiTSConfig|IForestConfig)'"):
        section(plain, override.split(".")[0].lstrip("+"))


def test_closed_choices_read_as_their_strings():
    plain = to_plain(compose(["experiment=walmart", "inventory.shortage=backorder", "forecast.deep.precision=bf16-mixed"]))
    inv, fc, data = section(plain, "inventory"), section(plain, "forecast"), section(plain, "data")
    assert inv.shortage == "backorder" and inv.lp.objective == "cost" and inv.lp.solver == "HIGHS"
    assert fc.deep.precision == "bf16-mixed" and f"{fc.deep.accelerator}" == "auto"
    assert data.markdown_missing == "zero"
    assert plain["inventory"]["shortage"] == "backorder" and type(plain["inventory"]["shortage"]) is str


def test_wrong_enum_value_lists_the_choices():
    with pytest.raises(ConfigCompositionException) as err:
        compose(["forecast.deep.accelerator=tpu"])
    assert "expected one of [auto, cpu, gpu]" in str(err.value.__cause__)


# ---------------------------------------------------------- rules between fields
@pytest.mark.parametrize("overrides,message", [
    (["forecast.quantiles=[0.1,0.9]"], r"forecast.quantiles=\[0.1, 0.9\]; expected the median"),
    (["forecast.quantiles=[0.0,0.5,1.0]"], "expected levels strictly between 0 and 1"),
    (["forecast.models=[seasonal_naive,auto_ets,auto_ets]"], "names a model twice"),
    (["forecast.baseline=theta"], "forecast.baseline='theta' is not in forecast.models"),
    (["inventory.lp.solver=CLARABEL"], "inventory.lp.solver=CLARABEL does not solve mixed-integer programs"),
    (["inventory.lp.solver=GUROBI", "inventory.lp.mip=false"], "inventory.lp.solver=GUROBI is not installed"),
    (["anomaly.knn.n_neighbors=0"], "anomaly.knn.n_neighbors=0; expected 1 or more"),
    (["anomaly.threshold.contamination=0.7"], r"anomaly.threshold.contamination=0.7; expected a share in \(0, 0.5\]"),
    (["experiment.notebooks=[01_data,09_nothing]"], "09_nothing.ipynb does not exist"),
])
def test_rules_between_fields_are_checked_once_before_a_run(quick, overrides, message):
    from workbench.checks import SettingError, check_settings

    with pytest.raises(SettingError, match=message):
        check_settings(quick.plain(*overrides))


def test_the_quick_experiment_passes_every_rule(quick_cfg):
    from workbench.checks import check_settings

    check_settings(quick_cfg)
    assert section(quick_cfg, "inventory").lp.solver == "HIGHS"
    # a solver without integers is fine where no mixed-integer plan is made
    from copy import deepcopy

    plain = deepcopy(quick_cfg)
    plain["inventory"]["lp"].update(solver="CLARABEL", mip=False)
    check_settings(plain)
