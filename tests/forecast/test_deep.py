"""Torch models: the accelerator setting, GPU training where there is a GPU, and TFT's
variable-selection weights (the pre-trained foundation models: test_foundation.py)."""

import pytest
from panels import seasonal_panel
from test_models import TINY_DEEP

from workbench.forecast import make_forecaster, to_series_set
from workbench.forecast.deep import accelerator, has_gpu

GPU = pytest.mark.skipif(not has_gpu(), reason="no CUDA device")


@pytest.fixture
def deep_cfg(quick):
    """A tiny torch set-up: ``deep_cfg("forecast.models=[tft]")`` is the quick forecast section with it."""
    def cfg(*overrides):
        return quick.section("forecast", "forecast.horizon=7", "forecast.n_backtest_windows=0", *TINY_DEEP, *overrides)

    return cfg


def test_accelerator_auto_follows_the_machine(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert accelerator("auto") == "cpu" and accelerator("cpu") == "cpu"
    with pytest.raises(ValueError, match="accelerator=gpu, but torch sees no CUDA device"):
        accelerator("gpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert accelerator("auto") == "gpu" and accelerator("cpu") == "cpu"


@GPU
@pytest.mark.parametrize("name", ["tft", "tide"])
def test_trains_on_the_gpu_when_there_is_one(name, deep_cfg):
    model = make_forecaster(name, deep_cfg("forecast.deep.accelerator=auto", "forecast.deep.max_epochs=2"))
    panel = seasonal_panel(n_series=4, n_days=120)
    data = to_series_set(panel).until(panel.dates[-8], 7)
    values = model.forecast(data, 7)
    assert values.shape == (4, 7, 7)
    assert model.train_device.startswith("cuda")
    assert len(model.epoch_seconds) == 2


def test_tft_variable_selection_weights(deep_cfg):
    model = make_forecaster("tft", deep_cfg("forecast.deep.max_epochs=2", "forecast.deep.accelerator=cpu"))
    panel = seasonal_panel(n_series=3, n_days=120)
    model.forecast(to_series_set(panel).until(panel.dates[-8], 7), 7)
    parts = model.explain()
    assert {"encoder_importance", "decoder_importance"} <= set(parts)
    enc = parts["encoder_importance"]
    assert "views" in " ".join(enc["variable"]) and enc["weight"].sum() == pytest.approx(1.0, abs=0.02)
    assert "price" in " ".join(parts["decoder_importance"]["variable"])


def test_each_model_gets_its_own_hyper_parameters(deep_cfg, monkeypatch):
    """forecast.deep.<model> reaches the Darts constructor as it is, beside the shared training settings."""
    import darts.models

    seen = {}
    monkeypatch.setattr(darts.models, "NHiTSModel", lambda **kw: seen.update(kw))
    cfg = deep_cfg("forecast.deep.nhits.num_stacks=2", "forecast.deep.nhits.layer_widths=8")
    make_forecaster("nhits", cfg).build(to_series_set(seasonal_panel(n_series=2, n_days=80)), 7)
    assert {k: seen[k] for k in ("num_stacks", "num_blocks", "num_layers", "layer_widths", "dropout")} == {
        "num_stacks": 2, "num_blocks": 1, "num_layers": 2, "layer_widths": 8, "dropout": 0.1}
    assert seen["input_chunk_length"] == 14 and seen["pl_trainer_kwargs"]["precision"] == "32-true"
    assert type(seen["pl_trainer_kwargs"]["precision"]) is str  # Lightning's spelling, not the config's enum
