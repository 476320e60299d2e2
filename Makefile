# Returns Workbench — `make help` lists what each target does.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY      ?= $(shell command -v python3.11 || command -v python3)
VENV    := .venv
BIN     := $(VENV)/bin
PYTHON  := $(BIN)/python
KERNEL  := returns-workbench
STAMP     := $(VENV)/.installed-run-$(shell cat requirements.lock pyproject.toml | sha1sum | cut -c1-12)
STAMP_DEV := $(VENV)/.installed-dev-$(shell cat requirements-dev.lock pyproject.toml | sha1sum | cut -c1-12)
PIP       := $(PYTHON) -m pip install --disable-pip-version-check --progress-bar on
RAW       ?= data/raw
PROCESSED ?= data/processed
REPORTS   ?= reports
PORT      ?= 8888
PYTEST_ARGS ?=

.PHONY: help venv venv-dev sample clean-data metrics report nightly lab lint test system bench mutate lock

help: ## List the targets and what they do
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@test -n "$(PY)" || { echo "Python 3.11 is needed (python3.11 or python3 on PATH)"; exit 1; }
	@test -x $(PYTHON) || { echo "Creating .venv with $(PY)"; $(PY) -m venv $(VENV); }
	@echo "Installing $$(grep -c '==' requirements.lock) pinned packages from requirements.lock into .venv (the first time takes a few minutes)"
	$(PIP) -r requirements.lock
	$(PIP) --quiet --no-deps -e .
	$(PYTHON) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Returns Workbench" >/dev/null
	@rm -f $(VENV)/.installed-run-*; touch $@

$(STAMP_DEV): $(STAMP) requirements-dev.lock
	@echo "Installing the test and Spark extras from requirements-dev.lock into .venv"
	$(PIP) -r requirements-dev.lock
	@rm -f $(VENV)/.installed-dev-*; touch $@

venv: $(STAMP) ## Create .venv from requirements.lock and register the Jupyter kernel
	@true

venv-dev: $(STAMP_DEV) ## venv plus the test tools and the Spark engine (requirements-dev.lock)
	@true

sample: venv ## Write the seeded sample returns into data/raw when it holds no returns
	@$(PYTHON) -m pipelines sample --out $(RAW) --if-empty

clean-data: venv ## Clean data/raw into Parquet tables in data/processed
	$(PYTHON) -m pipelines clean --raw $(RAW) --out $(PROCESSED)

metrics: venv ## Compute county metrics, balance, weak links and data quality
	$(PYTHON) -m pipelines metrics --processed $(PROCESSED)

report: sample ## Set up, add the sample if data/raw is empty, run the whole chain, print the report's path
	$(PYTHON) -m pipelines nightly --raw $(RAW) --reports $(REPORTS) --progress

nightly: venv ## The nightly run (cron and systemd call this): a dated run folder, `latest` on success
	$(PYTHON) -m pipelines nightly --raw $(RAW) --reports $(REPORTS)

lab: venv ## Start JupyterLab on 127.0.0.1, port PORT (default 8888), with the project kernel; own notebooks go in notebooks/scratch/
	@mkdir -p notebooks/scratch
	cd notebooks && ../$(BIN)/jupyter lab --ip=127.0.0.1 --port=$(PORT) --no-browser $$( [ "$$(id -u)" = 0 ] && echo --allow-root )

system: ## Install the Debian packages the tests need when missing: Chromium, CJK fonts, poppler, Java, LibreOffice
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$$missing fonts-noto-cjk"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	command -v java >/dev/null || missing="$$missing default-jre-headless"; \
	command -v soffice >/dev/null || missing="$$missing libreoffice-writer-nogui"; \
	if [ -n "$$missing" ]; then echo "Installing with apt-get:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; fi

lint: venv-dev ## ruff (pyflakes, pycodestyle, bugbear, isort, pyupgrade, simplify) and mypy on pipelines/ (pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: venv-dev system lint ## Set up, lint, then run the whole test suite
	$(PYTHON) -m pytest -n 2 $(PYTEST_ARGS)

bench: venv-dev ## Run the benchmarks (ingest, metrics, nightly, report, incremental) and print their ratios
	$(PYTHON) benchmarks/ingest.py
	$(PYTHON) benchmarks/metrics.py
	$(PYTHON) benchmarks/nightly.py
	$(PYTHON) benchmarks/report.py
	$(PYTHON) benchmarks/incremental.py

# the functions make mutate mutates (mutmut's names): the rule modules, and of execution.py only promotion()
MUTATE := "pipelines.ingest.*" "pipelines.judge.*" "pipelines.nightly.runfolder.*" "pipelines.nightly.execution.x_promotion__*"

mutate: venv-dev ## Mutation testing (mutmut) of the rule modules against their unit tests; score and survivors as in docs/testing.md
	rm -rf mutants
	RWB_HYPOTHESIS_PROFILE=mutate $(BIN)/mutmut run --max-children 2 $(MUTATE)
	$(PYTHON) scripts/mutants.py --write docs/mutants.md $(MUTATE)

lock: ## Re-resolve requirements-dev.lock and requirements.lock from pyproject.toml, then sync environment.yml
	$(PYTHON) -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra spark --python-version 3.11 -o requirements-dev.lock
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 -c requirements-dev.lock -o requirements.lock
	$(PYTHON) scripts/sync_environment.py
