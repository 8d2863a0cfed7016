# Workbench: forecasting, inventory optimisation, supply-chain games and anomaly detection.
# `make help` lists the targets. `make report` and `make test` set up the environment themselves.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
# exact versions of every package, resolved from pyproject.toml's ranges by `make lock`
LOCK   := requirements.lock
PIP_VERSION := 26.3
UV_VERSION  := 0.13.9
# Extra Hydra overrides for `make report`, e.g. make report ARGS="experiment=quick data.seed=7"
ARGS   ?=

.DEFAULT_GOAL := help
.PHONY: help setup lock report quick test lint lab monitor benchmark benchmark-forecast benchmark-threads benchmark-inventory benchmark-games benchmark-anomaly benchmark-risk benchmark-logistics benchmark-learned benchmark-m5 clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet "pip==$(PIP_VERSION)"
	@# torch first: the pin takes the local CPU build where there is one, the ordinary build elsewhere;
	@# the lock is a constraints file, so packages this platform does not need are not installed
	$(PIP) install --quiet -c $(LOCK) "torch==2.13.0"
	$(PIP) install --quiet -c $(LOCK) -e ".[dev]"
	@# Gambit is optional and builds from source (a C++ compiler, about five minutes on two cores):
	@# where it cannot, the collaboration study runs without its Gambit parts and says so
	$(PIP) install --quiet -c $(LOCK) -e ".[games]" || echo "warning: pygambit did not build; the collaboration study's Gambit parts are skipped"
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (workbench)"
	touch $(STAMP)

setup: $(STAMP) ## Create .venv with the locked versions of every dependency (torch==2.13.0 first)

lock: $(STAMP) ## Re-resolve requirements.lock (newest versions within pyproject.toml's ranges), then `make setup`
	$(PIP) install --quiet "uv==$(UV_VERSION)"
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --extra games --upgrade --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 --quiet -o $(LOCK)
	@echo "requirements.lock updated: bring environment.yml's pins in step (tests/test_packaging.py checks), then make setup"

report: $(STAMP) ## Run the default experiment: all notebooks -> reports/<experiment>/<run-id>/ and reports/index.html
	$(PY) -m workbench.run $(ARGS)

quick: $(STAMP) ## Run the tiny experiment (under a minute)
	$(PY) -m workbench.run experiment=quick $(ARGS)

test: $(STAMP) ## Run the test suite (quick: tiny configs, no GPU needed)
	$(PY) -m pytest -q

lint: $(STAMP) ## Lint with ruff
	$(PY) -m ruff check workbench tests benchmarks

# Jupyter refuses to start as root unless told; containers and CI machines run as root
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(STAMP) ## Open JupyterLab on notebooks/ with the workbench kernel
	$(VENV)/bin/jupyter lab notebooks $(LAB_ARGS)

monitor: $(STAMP) ## Score new periods with a run's detectors: make monitor RUN=reports/default/<run-id> NEW=new_days.csv
	@test -n "$(RUN)" -a -n "$(NEW)" || { echo "usage: make monitor RUN=reports/<experiment>/<run-id> NEW=<new periods .csv or .parquet>"; exit 2; }
	$(PY) -m workbench.monitor --run "$(RUN)" --new "$(NEW)"

benchmark: $(STAMP) ## Time the generator and the loaders on real and full-size data (prints tables)
	$(PY) benchmarks/bench_generator.py
	$(PY) benchmarks/bench_loaders.py

benchmark-m5: $(STAMP) ## The M5 layout at full size (30,490 x 1,941) through load, LightGBM and naive forecasts, policies and simulation
	$(PY) benchmarks/bench_m5_full.py

benchmark-forecast: $(STAMP) ## The forecasting leaderboard on the real Walmart data, and deep-model epoch times
	$(PY) benchmarks/bench_forecast_walmart.py
	$(PY) benchmarks/bench_deep_epoch.py

benchmark-threads: $(STAMP) ## Forecasting beside a busy process: library thread defaults against the workbench's settings
	$(PY) benchmarks/bench_threads.py

benchmark-inventory: $(STAMP) ## The 10,000-item replenishment LP, its re-solves at every review, and the 10,000 x 365 simulation
	$(PY) benchmarks/bench_lp.py
	$(PY) benchmarks/bench_mpc.py
	$(PY) benchmarks/bench_simulate.py

benchmark-learned: $(STAMP) ## PPO trained in the simulator's environment against base stock, at three training budgets
	$(PY) benchmarks/bench_learned.py

benchmark-games: $(STAMP) ## The four-tier beer game at 2,000 and 20,000 Monte Carlo paths: time, memory, ratios against Chen et al.'s bounds
	$(PY) benchmarks/bench_bullwhip.py

benchmark-anomaly: $(STAMP) ## The detectors per anomaly type on the default shop and injected Walmart; the monitor on 30,000 series
	$(PY) benchmarks/bench_anomaly.py

benchmark-risk: $(STAMP) ## The shipment study on the SCMS history; variable lead times and the sourcing frontier on the newest report
	$(PY) benchmarks/bench_risk.py

benchmark-logistics: $(STAMP) ## The routing solvers' gap to the best-known costs of CVRPLIB X and Solomon instances (2.4 s per client: hours)
	$(PY) benchmarks/bench_vrp.py

clean: ## Remove caches and the virtual environment (keeps reports/)
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
