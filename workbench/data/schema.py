"""Names of the demand panel's columns and the error every data check raises.

Kept apart from :mod:`workbench.data.panel` so that the checks of
:mod:`workbench.data.validation` and the panel itself both read them without
importing each other.
"""

from __future__ import annotations

DATE = "date"
DEMAND = "demand"
ITEM = "item_id"


class PanelError(ValueError):
    """Bad input: the message names the source, the column, an example row and what was expected."""
