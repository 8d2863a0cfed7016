"""The shipment history as every part of the risk stage reads it: canonical column names.

:func:`workbench.risk.shipments.load_shipments` maps a file's columns onto these names
(``risk.shipments.columns``) and adds the derived columns, so that nothing downstream sees
a file's layout. Dates are ``pl.Date``, amounts ``pl.Float64``, texts ``pl.String``.
"""

from __future__ import annotations

# keys and categories (pl.String; null where the file says the value is missing)
SHIPMENT_ID = "shipment_id"
VENDOR = "vendor"
COUNTRY = "country"
MODE = "mode"  # shipment mode: Air, Truck, Ocean, Air Charter
ROUTE = "route"  # fulfilment route: Direct Drop, From RDC
PRODUCT_GROUP = "product_group"
PRODUCT_CLASS = "product_class"
INCO_TERM = "inco_term"
MANAGED_BY = "managed_by"
CATEGORIES = (VENDOR, COUNTRY, MODE, ROUTE, PRODUCT_GROUP, PRODUCT_CLASS, INCO_TERM, MANAGED_BY)

# dates (pl.Date)
PO_DATE = "po_date"  # order sent to the vendor; null where not captured
SCHEDULED = "scheduled_date"
DELIVERED = "delivered_date"
RECORDED = "recorded_date"
DATES = (PO_DATE, SCHEDULED, DELIVERED, RECORDED)

# amounts (pl.Float64); each has a note column "<name>_note": "value", "reference" (taken from the
# shipment a "See ... (ID#:n)" cell points at), "missing", or the meaning of a text
# (risk.shipments.number_texts: "included", "separate")
QUANTITY = "quantity"
VALUE = "value"
WEIGHT = "weight_kg"
FREIGHT = "freight_usd"
INSURANCE = "insurance_usd"
AMOUNTS = (QUANTITY, VALUE, WEIGHT, FREIGHT, INSURANCE)
NOTE = "_note"

REQUIRED = (SHIPMENT_ID, VENDOR, MODE, SCHEDULED, DELIVERED)

# derived by the loader
DELAY = "delay_days"  # delivered - scheduled, days (negative: early)
LATE = "late"  # delay > risk.shipments.late_after_days
LEAD_TIME = "lead_time_days"  # delivered - PO sent; null without a PO date
SCHEDULED_LEAD = "scheduled_lead_days"  # scheduled - PO sent
LEAD_RATIO = "lead_ratio"  # lead_time_days / scheduled_lead_days where the latter is > 0
YEAR = "year"  # year of the scheduled date
MONTH = "month"  # month of the scheduled date
