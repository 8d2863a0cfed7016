"""The late-delivery model on a seeded synthetic shipment history whose lateness depends on the
vendor and the shipment mode only."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest

from workbench.config.risk import LateModelConfig
from workbench.risk.late_model import (
    P_LATE,
    LateModel,
    check_features,
    delay_column,
    run_late_model,
    time_split,
)
from workbench.risk.schema import (
    COUNTRY,
    DELAY,
    DELIVERED,
    INCO_TERM,
    LATE,
    MODE,
    MONTH,
    PRODUCT_CLASS,
    PRODUCT_GROUP,
    QUANTITY,
    ROUTE,
    SCHEDULED,
    SHIPMENT_ID,
    VALUE,
    VENDOR,
    WEIGHT,
    YEAR,
)

VENDOR_LOGIT = dict(zip([f"Vendor {i}" for i in range(8)], np.linspace(-3.0, 1.0, 8), strict=True))
MODE_LOGIT = {"Air": -0.5, "Truck": 0.5, "Ocean": 1.2, "Air Charter": -1.0}
MODE_DELAY_SCALE = {"Air": 4.0, "Truck": 8.0, "Ocean": 15.0, "Air Charter": 3.0}  # gamma scale of days late
TEST_FROM = "2012-01-01"


def synthetic_history(n: int = 3000, seed: int = 11) -> pl.DataFrame:
    """Shipments scheduled over 2008-2013 in the loader's canonical columns; late with probability
    ``sigmoid(vendor + mode)``, days late from a gamma whose scale depends on the mode."""
    rng = np.random.default_rng(seed)
    vendor = rng.choice(list(VENDOR_LOGIT), n)
    mode = rng.choice(list(MODE_LOGIT), n, p=[0.5, 0.25, 0.1, 0.15])
    p_late = 1.0 / (1.0 + np.exp(-(np.vectorize(VENDOR_LOGIT.get)(vendor) + np.vectorize(MODE_LOGIT.get)(mode))))
    late = rng.random(n) < p_late
    days_late = 1 + np.floor(rng.gamma(2.0, np.vectorize(MODE_DELAY_SCALE.get)(mode)))
    delay = np.where(late, days_late, -rng.poisson(3.0, n)).astype(np.int64)
    scheduled = np.datetime64("2008-01-01") + rng.integers(0, 6 * 365, n).astype("timedelta64[D]")

    def with_nulls(values: np.ndarray, share: float) -> list:
        return [None if drop else v for v, drop in zip(values.tolist(), rng.random(n) < share, strict=True)]

    frame = pl.DataFrame({
        SHIPMENT_ID: np.arange(1, n + 1),
        VENDOR: vendor,
        COUNTRY: rng.choice(["Nigeria", "Zambia", "Haiti", "Vietnam", "Kenya"], n),
        MODE: with_nulls(mode, 0.03),
        ROUTE: rng.choice(["Direct Drop", "From RDC"], n),
        PRODUCT_GROUP: rng.choice(["ARV", "HRDT", "ANTM"], n),
        PRODUCT_CLASS: rng.choice(["Adult", "Pediatric", "HIV test"], n),
        INCO_TERM: with_nulls(rng.choice(["EXW", "FCA", "DDP"], n), 0.2),
        WEIGHT: with_nulls(rng.lognormal(6.0, 1.0, n), 0.3),
        VALUE: rng.lognormal(10.0, 1.5, n),
        QUANTITY: rng.integers(1, 5000, n).astype(np.float64),
        SCHEDULED: scheduled,
        DELAY: delay,
    }).with_columns(pl.col(SCHEDULED).cast(pl.Date))
    return frame.with_columns(
        (pl.col(SCHEDULED) + pl.duration(days=pl.col(DELAY))).alias(DELIVERED),
        (pl.col(DELAY) > 0).alias(LATE),
        pl.col(SCHEDULED).dt.year().alias(YEAR),
        pl.col(SCHEDULED).dt.month().alias(MONTH),
    )


def model_config(**overrides) -> LateModelConfig:
    return LateModelConfig(seed=0, test_from=TEST_FROM, **overrides)


@pytest.fixture(scope="module")
def history() -> pl.DataFrame:
    return synthetic_history()


@pytest.fixture(scope="module")
def result(history):
    return run_late_model(history, model_config())


def test_late_probability_beats_the_base_rate(result):
    test = result.scores.filter(pl.col("set") == "test").row(0, named=True)
    assert test["shipments"] == result.predictions.height
    assert test["roc_auc"] > 0.7
    assert test["brier_skill"] > 0.05
    assert test["brier"] < test["brier_base"]
    # vendor and mode carry all the signal: the explanation must say so
    assert set(result.importance["feature"].head(2)) == {VENDOR, MODE}
    assert result.importance.height == len(model_config().features) + 1  # the month added


def test_time_split_has_no_look_ahead(history, result):
    """Rewriting everything about the test-period shipments leaves the model fitted on the earlier ones unchanged."""
    in_test = pl.col(SCHEDULED) >= date.fromisoformat(TEST_FROM)
    tampered = history.with_columns(
        pl.when(in_test).then(~pl.col(LATE)).otherwise(pl.col(LATE)).alias(LATE),
        pl.when(in_test).then(pl.col(DELAY) * 7 + 30).otherwise(pl.col(DELAY)).alias(DELAY),
        pl.when(in_test).then(pl.lit("Unseen ") + pl.col(VENDOR)).otherwise(pl.col(VENDOR)).alias(VENDOR),
        pl.when(in_test).then(pl.col(WEIGHT) * 100).otherwise(pl.col(WEIGHT)).alias(WEIGHT),
    )
    other = run_late_model(tampered, model_config())
    train, _ = time_split(history, TEST_FROM)
    assert other.model.categories == result.model.categories
    assert not any(v.startswith("Unseen") for v in other.model.categories[VENDOR])
    np.testing.assert_array_equal(other.model.predict_late(train), result.model.predict_late(train))
    assert other.model.predict_delay(train).equals(result.model.predict_delay(train))
    assert other.scores.row(0) == result.scores.row(0)  # the train row
    # the tampering did reach the test rows: vendors renamed are missing to the model
    assert not np.array_equal(other.predictions[P_LATE].to_numpy(), result.predictions[P_LATE].to_numpy())


def test_unseen_category_is_missing(history, result):
    _, test = time_split(history, TEST_FROM)
    unseen = result.model.predict_late(test.with_columns(pl.lit("A vendor never seen").alias(VENDOR)))
    null = result.model.predict_late(test.with_columns(pl.lit(None, dtype=pl.String).alias(VENDOR)))
    np.testing.assert_array_equal(unseen, null)


def test_time_split_by_scheduled_date(history):
    cut = date.fromisoformat(TEST_FROM)
    train, test = time_split(history.reverse(), TEST_FROM)
    assert train.height + test.height == history.height
    assert train[SCHEDULED].max() < cut <= test[SCHEDULED].min()
    assert train[SCHEDULED].is_sorted() and test[SCHEDULED].is_sorted()
    on_the_day = history.head(1).with_columns(pl.lit(cut).alias(SCHEDULED))
    assert time_split(pl.concat([history, on_the_day]), TEST_FROM)[1].height == test.height + 1
    with pytest.raises(ValueError, match=r"risk\.model\.test_from=2030-01-01: no shipments scheduled on or after"):
        time_split(history, "2030-01-01")
    with pytest.raises(ValueError, match=r"risk\.model\.test_from=2001-01-01: no shipments scheduled before.*2008"):
        time_split(history, "2001-01-01")
    with pytest.raises(ValueError, match=r"risk\.model\.test_from='2012/01/01'; expected a date YYYY-MM-DD"):
        time_split(history, "2012/01/01")


def test_check_features_refuses_what_is_known_only_later(history):
    check_features([VENDOR, MODE, WEIGHT, MONTH], history)
    with pytest.raises(ValueError, match=r"risk\.model\.features: 'delay_days' is only known after delivery"):
        check_features([VENDOR, DELAY], history)
    with pytest.raises(ValueError, match=r"risk\.model\.features: 'freight_usd_note' is only known after"):
        check_features(["freight_usd_note"], history)
    with pytest.raises(ValueError, match=r"risk\.model\.features: 'managed_by' is not a column"):
        check_features([VENDOR, "managed_by"], history)
    with pytest.raises(ValueError, match=r"risk\.model\.features: 'year' is not a feature"):
        check_features([YEAR], history)
    with pytest.raises(ValueError, match=r"'scheduled_date' is Date; expected a text"):
        check_features([SCHEDULED], history)
    with pytest.raises(ValueError, match=r"risk\.model\.features: 'delay_days'"):
        LateModel().fit(history, model_config(features=[VENDOR, DELAY]))


def test_calibration_covers_the_test_rows(result):
    calibration = result.calibration
    p = result.predictions[P_LATE].to_numpy()
    assert calibration["shipments"].sum() == result.predictions.height
    assert calibration.height <= model_config().calibration_bins
    # the counts are those of calibration_curve's own bins: they weight its bin means back to the total
    assert float((calibration["shipments"] * calibration["mean_predicted"]).sum()) == pytest.approx(p.sum(), rel=1e-9)
    late = result.predictions[LATE].sum()
    assert float((calibration["shipments"] * calibration["observed_late"]).sum()) == pytest.approx(late, rel=1e-9)
    assert calibration["mean_predicted"].is_sorted()


def test_delay_quantiles_cover_at_their_levels(result):
    columns = [delay_column(q) for q in model_config().delay_quantiles]
    quantiles = result.predictions.select(columns).to_numpy()
    assert (quantiles >= 0).all() and (np.diff(quantiles, axis=1) >= 0).all()
    scores = {row["column"]: row for row in result.delay_scores.iter_rows(named=True)}
    assert 0.84 <= scores["delay_q90"]["coverage"] <= 0.97
    assert scores["delay_q50"]["coverage"] >= 0.45
    assert scores["delay_q90"]["pinball"] < scores["delay_q90"]["pinball_base"]


def test_settings_are_checked(history):
    with pytest.raises(ValueError, match=r"risk\.model\.delay_quantiles=\[0\.5, 1\.2\]"):
        LateModel().fit(history, model_config(delay_quantiles=[0.5, 1.2]))
    with pytest.raises(ValueError, match=r"risk\.model\.seed='\$\{experiment\.seed\}'"):
        LateModel().fit(history, LateModelConfig(test_from=TEST_FROM))
