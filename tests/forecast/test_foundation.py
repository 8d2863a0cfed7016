"""Pre-trained foundation models (Chronos-2, TimesFM 2.5, TiRex) end to end, offline.

Each model gets a tiny, randomly initialised checkpoint written in its loader's own format
(the files of its Hugging Face repository), and runs through the backtest from it. The
forecasts mean nothing; what is tested is the path from files on disk to the forecasts table,
that nothing goes to the network on the way, and the errors for what is missing or asked wrongly.
"""

import dataclasses
import importlib.util
import json
import socket
import sys
from datetime import timedelta

import numpy as np
import polars as pl
import pytest
import torch
from panels import seasonal_panel

from workbench.checks import SettingError, check_forecast, check_settings
from workbench.data import DemandPanel
from workbench.forecast import make_forecaster, quantile_column, run_backtest, to_series_set
from workbench.forecast.foundation import DECILES, FOUNDATION, weights_dir

HORIZON = 7
N_SERIES = 3
HAS_TIREX = importlib.util.find_spec("tirex") is not None
NEEDS_TIREX = pytest.mark.skipif(not HAS_TIREX, reason="tirex needs the package tirex-ts (module tirex), not installed")
NAMES = [pytest.param(name, marks=NEEDS_TIREX if name == "tirex" else ()) for name in FOUNDATION]
CHRONOS_QUANTILES = [0.01, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5,
                     0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.99]  # Chronos-2's own
CHRONOS_HORIZON = 16 * 4  # the tiny config's output patch x patches


def write_chronos2(folder) -> None:
    """config.json and model.safetensors as in amazon/chronos-2, of a one-layer model 16 wide."""
    from darts.models.forecasting.chronos2_model import _Chronos2Module
    from safetensors.torch import save_file

    config = {"d_model": 16, "d_kv": 8, "d_ff": 32, "num_layers": 1, "num_heads": 2, "feed_forward_proj": "relu",
              "chronos_config": {"context_length": 512, "input_patch_size": 16, "input_patch_stride": 16,
                                 "output_patch_size": 16, "max_output_patches": 4, "quantiles": CHRONOS_QUANTILES,
                                 "use_reg_token": True, "use_arcsinh": True, "time_encoding_scale": 512}}
    module = _Chronos2Module(**config, input_chunk_length=16, output_chunk_length=16)
    save_file({k: v.contiguous() for k, v in module.state_dict().items()}, folder / "model.safetensors")
    (folder / "config.json").write_text(json.dumps({"architectures": ["Chronos2Model"], **config}))


def tiny_timesfm_definition():
    """TimesFM 2.5 narrowed to one layer 16 wide. Darts builds the fixed 200M architecture
    whatever config.json says, so the test swaps in this one, with the same patches, heads and
    quantiles, for the writer and the loader alike."""
    from darts.models.forecasting.timesfm2p5_model import _TimesFM2p5_200M_Definition

    full, width = _TimesFM2p5_200M_Definition(), 16

    def narrow(block, **kw):
        return dataclasses.replace(block, hidden_dims=width, **kw)

    return dataclasses.replace(
        full,
        tokenizer=narrow(full.tokenizer, output_dims=width),
        stacked_transformers=dataclasses.replace(
            full.stacked_transformers, num_layers=1,
            transformer=dataclasses.replace(full.stacked_transformers.transformer, model_dims=width,
                                            hidden_dims=width, num_heads=2)),
        output_projection_point=narrow(full.output_projection_point, input_dims=width),
        output_projection_quantiles=narrow(full.output_projection_quantiles, input_dims=width),
    )


def write_timesfm(folder) -> None:
    """config.json and model.safetensors as in google/timesfm-2.5-200m-pytorch (of the tiny definition)."""
    from darts.models.forecasting.timesfm2p5_model import _TimesFM2p5Module
    from safetensors.torch import save_file

    module = _TimesFM2p5Module(input_chunk_length=32, output_chunk_length=16)
    save_file({k: v.contiguous() for k, v in module.state_dict().items()}, folder / "model.safetensors")
    (folder / "config.json").write_text(json.dumps({"architectures": ["TimesFM2p5"]}))


def write_tirex(folder) -> None:
    """model.ckpt as in NX-AI/TiRex: a Lightning checkpoint of a one-block xLSTM 16 wide."""
    from tirex.models.tirex import TiRexZero

    hyper = {"model_config": {"input_patch_size": 8, "output_patch_size": 8, "quantiles": list(DECILES),
                              "block_kwargs": {"num_blocks": 1, "embedding_dim": 16, "num_heads": 2,
                                               "ffn_proj_factor": 2.0},
                              "input_ff_dim": 16},
             "train_ctx_len": 64}
    module = TiRexZero(backend="torch", **hyper)
    for weight in module.parameters():  # the sLSTM's are left uninitialised until a checkpoint loads
        torch.nn.init.normal_(weight, std=0.1)
    torch.save({"hyper_parameters": hyper, "state_dict": module.state_dict()}, folder / "model.ckpt")


WRITERS = {"chronos2": write_chronos2, "timesfm": write_timesfm, "tirex": write_tirex}


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """A forecast.foundation.local_dir with a tiny checkpoint of every model that can run here."""
    from darts.models.forecasting.timesfm2p5_model import _TimesFM2p5Module

    root = tmp_path_factory.mktemp("foundation")
    torch.manual_seed(0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_TimesFM2p5Module, "config", tiny_timesfm_definition())
        for name, write in WRITERS.items():
            if name != "tirex" or HAS_TIREX:
                (root / name).mkdir()
                write(root / name)
        yield root


@pytest.fixture
def offline(monkeypatch):
    """Every attempt to reach the network, recorded and refused; the hub client starts online
    (as where it was imported before any model switched it off) and is put back as it was."""
    import huggingface_hub.constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    tried = []

    def refuse(*args, **kwargs):
        tried.append(args)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return tried


def fm_cfg(quick, name, *overrides):
    return quick.section("forecast", f"forecast.horizon={HORIZON}", "forecast.n_backtest_windows=1",
                         f"forecast.models=[seasonal_naive,{name}]", "forecast.deep.accelerator=cpu",
                         "forecast.foundation.accept_tirex_license=true", *overrides)


@pytest.mark.parametrize("name", NAMES)
def test_runs_from_its_checkpoint_through_the_backtest(name, weights, quick, offline):
    cfg = fm_cfg(quick, name, f"forecast.foundation.local_dir={weights}", f"forecast.quantiles={list(DECILES)}")
    check_forecast(cfg)  # what the runner checks before any notebook passes
    result = run_backtest(seasonal_panel(n_series=N_SERIES, n_days=60), cfg, progress=False)
    f = result.forecasts.filter(pl.col("model") == name)
    qcols = [quantile_column(q) for q in DECILES]
    assert set(qcols) <= set(f.columns)
    assert sorted(f["cutoff"].unique()) == [*result.origins.backtest, result.origins.holdout]
    for (cutoff,), part in f.group_by("cutoff"):
        assert sorted(part["date"].unique()) == [cutoff + timedelta(days=k) for k in range(1, HORIZON + 1)]
        assert part.height == N_SERIES * HORIZON and part["item_id"].n_unique() == N_SERIES
    q = f.select(qcols).to_numpy()
    assert np.isfinite(q).all() and (q >= 0).all() and (np.diff(q, axis=1) >= 0).all()
    assert (q[:, -1] > q[:, 0]).any() and q.max() > 0  # a spread, not a flat zero
    naive = result.forecasts.filter(pl.col("model") == "seasonal_naive")
    assert not np.allclose(f["q50"].to_numpy(), naive["q50"].to_numpy())  # the model's own numbers
    timing = result.timings.filter(pl.col("model") == name)
    assert (timing["epochs"] == 0).all()  # loaded, not trained
    assert not offline


def test_each_series_reads_its_own_context(weights, quick):
    """A series that starts late does not shorten the context of the others."""
    cfg = fm_cfg(quick, "chronos2", f"forecast.foundation.local_dir={weights}")
    model = make_forecaster("chronos2", cfg)
    panel = seasonal_panel(n_series=2, n_days=120)
    cutoff = panel.dates[-HORIZON - 1]
    alone = model.forecast(to_series_set(panel).subset([0]).until(cutoff, HORIZON), HORIZON)
    late = panel.demand.filter((pl.col("item_id") == "S0") | (pl.col("date") >= panel.dates[90]))
    both = model.forecast(to_series_set(DemandPanel(**{**panel.__dict__, "demand": late})).until(cutoff, HORIZON),
                          HORIZON)
    assert both.shape == (2, HORIZON, len(cfg.quantiles))
    assert np.allclose(both[0], alone[0], rtol=1e-4, atol=1e-5)


def test_timesfm_beyond_its_short_head_takes_the_long_one(weights, quick):
    horizon = 130  # the short head reaches 128 periods, the long one 1024
    cfg = fm_cfg(quick, "timesfm", f"forecast.foundation.local_dir={weights}", f"forecast.quantiles={list(DECILES)}",
                 f"forecast.horizon={horizon}")
    panel = seasonal_panel(n_series=2, n_days=200)
    values = make_forecaster("timesfm", cfg).forecast(to_series_set(panel).until(panel.dates[-1], horizon), horizon)
    assert values.shape == (2, horizon, len(DECILES)) and np.isfinite(values).all()


@pytest.mark.parametrize(("name", "quantiles", "others"), [
    ("chronos2", [0.025, 0.5, 0.975], [0.025, 0.975]),
    ("timesfm", [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95], [0.05, 0.25, 0.75, 0.95]),
    pytest.param("tirex", [0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95], [0.05, 0.25, 0.75, 0.95], marks=NEEDS_TIREX),
])
def test_quantile_levels_outside_the_head_are_refused(name, quantiles, others, weights, quick):
    cfg = fm_cfg(quick, name, f"forecast.foundation.local_dir={weights}", f"forecast.quantiles={quantiles}")
    emitted = r"\[0\.01, 0\.05, .*, 0\.99\]" if name == "chronos2" else r"\[0\.1, 0\.2, .*, 0\.9\]"
    with pytest.raises(SettingError, match=rf"{name} emits the quantiles {emitted} only; forecast.quantiles="
                                           rf".* asks for \[{', '.join(map(str, others))}\]"):
        run_backtest(seasonal_panel(n_series=2, n_days=40), cfg, progress=False)


@pytest.mark.parametrize(("override", "message"), [
    (f"forecast.horizon={CHRONOS_HORIZON + 1}", rf"forecast.horizon={CHRONOS_HORIZON + 1}; chronos2 forecasts at"
                                                rf" most {CHRONOS_HORIZON} periods at once"),
    ("forecast.foundation.input_chunk_length=513", r"input_chunk_length=513; chronos2 reads 1 to 512 periods"),
])
def test_the_checkpoint_bounds_context_and_horizon(override, message, weights, quick):
    cfg = fm_cfg(quick, "chronos2", f"forecast.foundation.local_dir={weights}", override)
    with pytest.raises(SettingError, match=message):
        check_forecast(cfg)


def test_a_config_that_is_not_chronos2s_is_named(tmp_path, weights, quick):
    (tmp_path / "chronos2").mkdir()
    (tmp_path / "chronos2" / "model.safetensors").write_bytes((weights / "chronos2" / "model.safetensors").read_bytes())
    (tmp_path / "chronos2" / "config.json").write_text(json.dumps({"d_model": 16}))
    with pytest.raises(ValueError, match=r"config.json is not a Chronos-2 config \(KeyError: 'chronos_config'\);"
                                         r" expected the config.json of amazon/chronos-2"):
        check_forecast(fm_cfg(quick, "chronos2", f"forecast.foundation.local_dir={tmp_path}"))


def test_weights_of_another_model_are_named(tmp_path, weights, quick):
    (tmp_path / "chronos2").mkdir()
    (tmp_path / "chronos2" / "config.json").write_text((weights / "chronos2" / "config.json").read_text())
    (tmp_path / "chronos2" / "model.safetensors").write_bytes((weights / "timesfm" / "model.safetensors").read_bytes())
    with pytest.raises(ValueError, match=rf"the weights in {tmp_path / 'chronos2'} do not fit Darts' Chronos2Model"
                                         r" \(Missing key\(s\) in state_dict: .*\); expected config.json and"
                                         r" model.safetensors of amazon/chronos-2"):
        run_backtest(seasonal_panel(n_series=2, n_days=40),
                     fm_cfg(quick, "chronos2", f"forecast.foundation.local_dir={tmp_path}"), progress=False)


@pytest.mark.parametrize("name", list(FOUNDATION))
def test_weights_dir_says_what_is_missing(name, tmp_path):
    files, hub = FOUNDATION[name].files, FOUNDATION[name].hub
    with pytest.raises(FileNotFoundError, match=rf"put {' and '.join(files)} from the Hugging Face repository"
                                                rf" {hub} in .* forecast.foundation.local_dir is not set"):
        weights_dir(None, name)
    with pytest.raises(FileNotFoundError, match=rf"{tmp_path / name} does not exist"):
        weights_dir(str(tmp_path), name)
    folder = tmp_path / name
    folder.mkdir()
    with pytest.raises(FileNotFoundError, match=rf"{files[-1]} is missing"):
        weights_dir(str(tmp_path), name)
    for file in files:
        (folder / file).write_bytes(b"")
    with pytest.raises(FileNotFoundError, match=rf"{files[-1]} is empty"):
        weights_dir(str(tmp_path), name)
    (folder / files[-1]).write_bytes(b"version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 1\n")
    with pytest.raises(FileNotFoundError, match=rf"{files[-1]} is a Git LFS pointer"):
        weights_dir(str(tmp_path), name)
    for file in files:
        (folder / file).write_bytes(b"{}")
    assert weights_dir(str(tmp_path), name) == folder


def test_without_weights_the_run_stops_before_any_notebook(quick, offline):
    with pytest.raises(FileNotFoundError, match=r"'chronos2'.* forecast.foundation.local_dir is not set"):
        check_settings(quick.plain("forecast.models=[seasonal_naive,chronos2]"))
    assert not offline


def test_a_missing_package_is_named(monkeypatch, weights, quick):
    monkeypatch.setitem(sys.modules, "tirex", None)  # as where tirex-ts is not installed
    cfg = fm_cfg(quick, "tirex", f"forecast.foundation.local_dir={weights}", f"forecast.quantiles={list(DECILES)}")
    with pytest.raises(SettingError, match=r"'tirex', which needs the package 'tirex-ts' \(module tirex\), not"
                                           r" installed here: pip install tirex-ts"):
        run_backtest(seasonal_panel(n_series=2, n_days=40), cfg, progress=False)


@NEEDS_TIREX
def test_tirex_asks_for_its_license_to_be_accepted(weights, quick):
    cfg = fm_cfg(quick, "tirex", f"forecast.foundation.local_dir={weights}", f"forecast.quantiles={list(DECILES)}",
                 "forecast.foundation.accept_tirex_license=false")
    with pytest.raises(SettingError, match=r"NXAI Community License.*accept_tirex_license=true"):
        check_forecast(cfg)
