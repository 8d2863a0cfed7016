"""Research workbench for AI in e-commerce inventory and supply-chain management.

Stages, in data-flow order: :mod:`workbench.data` (the demand panel),
:mod:`workbench.forecast`, :mod:`workbench.inventory`, :mod:`workbench.games`,
:mod:`workbench.anomaly`; :mod:`workbench.runner` executes the notebooks and
:mod:`workbench.report` renders what they produce.
"""

__version__ = "0.1.0"
