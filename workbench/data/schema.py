"""Names of the demand panel's columns and the error every data check raises.

:data:`PANEL_COLUMNS` are the canonical names a column mapping (``data.columns`` of a long
panel) may use, each with what it holds; a mapping with any other name is refused by
:func:`check_mapping`, with the known names listed, never ignored.

Kept apart from :mod:`workbench.data.panel` so that the checks of
:mod:`workbench.data.validation` and the panel itself both read them without
importing each other.
"""

from __future__ import annotations

DATE = "date"
DEMAND = "demand"
ITEM = "item_id"
CLOSED = "closed"
HOLIDAY = "holiday"

PANEL_COLUMNS = {
    ITEM: "the item (series) id; required",
    DATE: "the period's date; required",
    DEMAND: "units sold in the period; required",
    "price": "the selling price: a price index and, without a promo column, a promotion flag follow",
    "promo": "a promotion flag (0/1), known in advance where listed in data.known_future",
    HOLIDAY: "a holiday flag, or text categories (e.g. 0, a, b, c) encoded as a 0/1 flag plus one"
             " 0/1 column per category; a known-future covariate",
    CLOSED: "closed days (data.closed_values says which values mean closed, e.g. an Open flag's 0);"
            " a known-future 0/1 covariate, never counted as stock-out censoring",
    "stock_on_hand": "stock at the end of the period: a zero marks demand there as censored",
}


class PanelError(ValueError):
    """Bad input: the message names the source, the column, an example row and what was expected."""


def check_mapping(mapping: dict[str, str], known: dict[str, str], setting: str = "data.columns") -> None:
    """Every key of ``mapping`` is a canonical name of ``known``: an unknown one raises naming
    it and listing the known names (a typo would otherwise be silently ignored)."""
    unknown = [name for name in mapping if name not in known]
    if unknown:
        raise PanelError(
            f"{setting}.{unknown[0]}: {unknown[0]!r} is not a canonical column name; the names a mapping"
            f" may use are {', '.join(known)} (other columns go in data.known_future or data.past_covariates"
            " under their own names)"
        )
