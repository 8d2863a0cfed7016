from datetime import date

import polars as pl
import pytest

from workbench.config import ValidationPolicy
from workbench.data import DemandPanel, PanelError, validate_panel


def _panel(**cols) -> DemandPanel:
    base = {
        "item_id": ["A", "A", "A", "B", "B", "B"],
        "date": [date(2024, 1, d) for d in (1, 2, 3)] * 2,
        "demand": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        "price": [9.0] * 6,
    }
    base.update(cols)
    return DemandPanel(
        demand=pl.DataFrame(base),
        static=pl.DataFrame({"item_id": ["A", "B"], "category": ["x", "y"]}),
        known_future=("price",),
        name="test.csv",
    )


def test_clean_panel_passes_and_is_typed():
    p = validate_panel(_panel())
    assert p.demand.schema["demand"] == pl.Float64
    assert p.log == ()


def test_missing_column_is_named():
    p = _panel()
    p = DemandPanel(demand=p.demand.drop("price"), static=p.static, known_future=("price",), name="sales.csv")
    with pytest.raises(PanelError, match=r"sales.csv: demand panel has no column 'price'"):
        validate_panel(p)


def test_duplicate_key_names_the_row():
    p = _panel(date=[date(2024, 1, 1), date(2024, 1, 1), date(2024, 1, 3)] + [date(2024, 1, d) for d in (1, 2, 3)])
    with pytest.raises(PanelError, match=r"share a key .*item_id=A, date=2024-01-01"):
        validate_panel(p)


def test_wrong_type_names_column_and_example():
    # the row with the text, not the first row (which holds a number)
    p = _panel(demand=["1", "2", "4", "5", "x", "6"])
    with pytest.raises(PanelError, match=r"test.csv: column 'demand' has type String; expected numbers \(first value that"
                                         r" is not a number: 'x' in row 5, item_id=B, date=2024-01-02\)"):
        validate_panel(p)


def test_string_dates_are_refused_with_a_hint():
    p = _panel(date=["2024-01-01", "2024-01-02", "2024-01-03"] * 2)
    with pytest.raises(PanelError, match="expected a date"):
        validate_panel(p)


def test_missing_demand_error_zero_and_drop_are_counted():
    p = _panel(demand=[1.0, None, 3.0, 4.0, 5.0, 6.0])
    with pytest.raises(PanelError, match=r"1 missing values \(first row: item_id=A, date=2024-01-02\)"):
        validate_panel(p)
    zero = validate_panel(p, ValidationPolicy(missing_demand="zero"))
    assert zero.demand["demand"].to_list()[1] == 0.0
    assert zero.log[0] == {"step": "missing_demand", "action": "zero", "rows": 1}
    # dropping leaves a gap, which the date policy must then accept explicitly
    with pytest.raises(PanelError, match="miss 1 dates"):
        validate_panel(p, ValidationPolicy(missing_demand="drop"))


def test_negative_demand_policy():
    p = _panel(demand=[1.0, -2.0, 3.0, 4.0, 5.0, 6.0])
    with pytest.raises(PanelError, match="negative values"):
        validate_panel(p)
    clipped = validate_panel(p, ValidationPolicy(negative_demand="clip"))
    assert clipped.demand["demand"].min() == 0.0
    assert clipped.log[0]["units"] == 2.0
    kept = validate_panel(p, ValidationPolicy(negative_demand="keep"))
    assert kept.demand["demand"].min() == -2.0


def test_gaps_error_or_zero_fill():
    p = _panel(
        item_id=["A", "A", "B", "B", "B", "B"],
        date=[date(2024, 1, 1), date(2024, 1, 3)] + [date(2024, 1, d) for d in (1, 2, 3, 4)],
    )
    with pytest.raises(PanelError, match=r"miss 1 dates .*item_id=A, date=2024-01-02"):
        validate_panel(p)
    p2 = DemandPanel(demand=p.demand.drop("price"), static=p.static, name="t")
    filled = validate_panel(p2, ValidationPolicy(missing_dates="zero"))
    assert filled.demand.height == 7
    assert filled.log[-1]["rows"] == 1


def test_missing_covariates_forward_filled_within_series():
    p = _panel(price=[9.0, None, 7.0, None, 5.0, 6.0])
    with pytest.raises(PanelError, match="covariate 'price'"):
        validate_panel(p)
    out = validate_panel(p, ValidationPolicy(missing_covariates="forward_fill"))
    assert out.demand["price"].to_list() == [9.0, 9.0, 7.0, 5.0, 5.0, 6.0]


def test_empty_panel_and_unknown_policy():
    p = _panel()
    with pytest.raises(PanelError, match="empty"):
        validate_panel(DemandPanel(demand=p.demand.head(0), static=p.static, name="t"))
    with pytest.raises(PanelError, match="expected error\\|clip\\|keep"):
        validate_panel(_panel(demand=[-1.0] * 6), {"missing_demand": "error", "negative_demand": "ignore",
                                                    "missing_dates": "error", "missing_covariates": "error"})


def test_static_duplicates_and_missing_items():
    p = _panel()
    bad = DemandPanel(demand=p.demand, static=pl.DataFrame({"item_id": ["A", "A"]}), name="t")
    with pytest.raises(PanelError, match="static table lists item_id=A 2 times"):
        validate_panel(bad)
    partial = validate_panel(DemandPanel(demand=p.demand.drop("price"), static=pl.DataFrame({"item_id": ["A"]}), name="t"))
    assert partial.static["item_id"].to_list() == ["A", "B"]
    assert partial.log[-1]["step"] == "static_missing"
