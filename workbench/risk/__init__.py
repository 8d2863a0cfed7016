"""Supply risk: shipment histories, lead-time and delay distributions, late-delivery prediction,
supplier scorecards, stochastic lead times and disruptions in the inventory simulation, and
sourcing under CVaR."""
