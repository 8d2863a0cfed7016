# Workbench: forecasting, inventory optimisation, supply-chain games and anomaly detection.
# `make help` lists the targets. `make report` and `make test` set up the environment themselves.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
# Extra Hydra overrides for `make report`, e.g. make report ARGS="experiment=quick data.seed=7"
ARGS   ?=

.DEFAULT_GOAL := help
.PHONY: help setup report quick test lint lab benchmark benchmark-forecast benchmark-inventory clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	@# torch first: the pin takes the local CPU build where there is one, the ordinary build elsewhere
	$(PIP) install --quiet "torch==2.13.0"
	$(PIP) install --quiet -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (workbench)"
	touch $(STAMP)

setup: $(STAMP) ## Create .venv with every dependency (torch==2.13.0 first)

report: $(STAMP) ## Run the default experiment: all notebooks -> reports/<experiment>/<run-id>/ and reports/index.html
	$(PY) -m workbench.run $(ARGS)

quick: $(STAMP) ## Run the tiny experiment (under a minute)
	$(PY) -m workbench.run experiment=quick $(ARGS)

test: $(STAMP) ## Run the test suite (quick: tiny configs, no GPU needed)
	$(PY) -m pytest -q

lint: $(STAMP) ## Lint with ruff
	$(PY) -m ruff check workbench tests benchmarks

lab: $(STAMP) ## Open JupyterLab on notebooks/ with the workbench kernel
	$(VENV)/bin/jupyter lab notebooks

benchmark: $(STAMP) ## Time the generator and the loaders on real and full-size data (prints tables)
	$(PY) benchmarks/bench_generator.py
	$(PY) benchmarks/bench_loaders.py

benchmark-forecast: $(STAMP) ## The forecasting leaderboard on the real Walmart data, and deep-model epoch times
	$(PY) benchmarks/bench_forecast_walmart.py
	$(PY) benchmarks/bench_deep_epoch.py

benchmark-inventory: $(STAMP) ## The 10,000-item replenishment LP (cvxpy against raw HiGHS) and the 10,000 x 365 simulation
	$(PY) benchmarks/bench_lp.py
	$(PY) benchmarks/bench_simulate.py

clean: ## Remove caches and the virtual environment (keeps reports/)
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
