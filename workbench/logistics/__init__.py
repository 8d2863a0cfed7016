"""Logistics: delivery routes from the warehouse and what delivery frequency costs in stock and in transport.

Modules by job: :mod:`.problem` a routing problem and a solution in integers, the same for every
solver; :mod:`.solvers` the registry of routing solvers (PyVRP's hybrid genetic search, Clarke and
Wright's savings); :mod:`.check` an evaluation of a solution that does not trust the solver
(loads, time windows, shifts, distance, cost); :mod:`.instances` the benchmark instances and their
best-known costs; :mod:`.geography` the network of sites and the fleet; :mod:`.deliveries` what
the inventory decisions ask each site to receive; :mod:`.frequency` stock against transport;
:mod:`.study` the orchestration; :mod:`.summary` the headline.
"""
