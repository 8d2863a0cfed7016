"""Torch models: the accelerator setting, GPU training where there is a GPU, foundation
models that need weights on disk, and TFT's variable-selection weights."""

import pytest
from panels import seasonal_panel
from test_models import TINY_DEEP

from workbench.config import compose, section
from workbench.forecast import make_forecaster, run_backtest, to_series_set
from workbench.forecast.deep import accelerator, has_gpu

GPU = pytest.mark.skipif(not has_gpu(), reason="no CUDA device")


def _cfg(*overrides):
    return section(compose(["experiment=quick", "forecast.horizon=7", "forecast.n_backtest_windows=0",
                            *TINY_DEEP, *overrides]), "forecast")


def test_accelerator_auto_follows_the_machine(monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert accelerator("auto") == "cpu" and accelerator("cpu") == "cpu"
    with pytest.raises(ValueError, match="accelerator=gpu, but torch sees no CUDA device"):
        accelerator("gpu")
    with pytest.raises(ValueError, match="expected auto, cpu or gpu"):
        accelerator("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert accelerator("auto") == "gpu" and accelerator("cpu") == "cpu"


@GPU
@pytest.mark.parametrize("name", ["tft", "tide"])
def test_trains_on_the_gpu_when_there_is_one(name):
    model = make_forecaster(name, _cfg("forecast.deep.accelerator=auto", "forecast.deep.max_epochs=2"))
    panel = seasonal_panel(n_series=4, n_days=120)
    data = to_series_set(panel).until(panel.dates[-8], 7)
    values = model.forecast(data, 7)
    assert values.shape == (4, 7, 7)
    assert model.train_device.startswith("cuda")
    assert len(model.epoch_seconds) == 2


@pytest.mark.parametrize("name", ["chronos2", "timesfm", "tirex"])
def test_foundation_models_need_weights_on_disk(name, tmp_path):
    panel = seasonal_panel(n_series=2, n_days=80)
    with pytest.raises(FileNotFoundError, match=r"forecast.foundation.local_dir is not set"):
        run_backtest(panel, _cfg(f"forecast.models=[{name}]"), progress=False)
    (tmp_path / name).mkdir()
    (tmp_path / name / "config.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match=rf"{name} holds no weights"):
        run_backtest(panel, _cfg(f"forecast.models=[{name}]", f"forecast.foundation.local_dir={tmp_path}"),
                     progress=False)
    (tmp_path / name / "model.safetensors").write_bytes(b"")
    if name in ("timesfm", "tirex"):  # their heads emit deciles only
        with pytest.raises(ValueError, match=rf"{name} emits the quantiles .* only"):
            run_backtest(panel, _cfg(f"forecast.models=[{name}]", f"forecast.foundation.local_dir={tmp_path}"),
                         progress=False)


def test_tft_variable_selection_weights():
    model = make_forecaster("tft", _cfg("forecast.deep.max_epochs=2", "forecast.deep.accelerator=cpu"))
    panel = seasonal_panel(n_series=3, n_days=120)
    model.forecast(to_series_set(panel).until(panel.dates[-8], 7), 7)
    parts = model.explain()
    assert {"encoder_importance", "decoder_importance"} <= set(parts)
    enc = parts["encoder_importance"]
    assert "views" in " ".join(enc["variable"]) and enc["weight"].sum() == pytest.approx(1.0, abs=0.02)
    assert "price" in " ".join(parts["decoder_importance"]["variable"])
