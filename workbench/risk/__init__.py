"""Supply risk: shipment histories, lead-time and delay distributions, late-delivery prediction,
supplier scorecards, stochastic lead times and disruptions in the inventory simulation, and
sourcing under CVaR.

Modules by job: :mod:`.schema` the canonical columns of a shipment history, :mod:`.shipments` the
loader and its quality table, :mod:`.distributions` delivery statistics, fits and orders
crossing, :mod:`.late_model` the late-delivery model, :mod:`.scorecard` the supplier scorecard,
:mod:`.measures` VaR and CVaR, :mod:`.leadtime` the lead-time model the inventory stage draws
from, :mod:`.stock` variable lead times and outages against every policy, :mod:`.sourcing` the
dual-sourcing scenario LP, :mod:`.study` the orchestration, :mod:`.summary` the headline.
"""
