# formcheck: the two commands a newcomer needs
#   make demo   set up (virtualenv, dependencies, pose model) and analyse a bundled sample
#   make test   set up and run the test suite
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.formcheck-installed
DEMO ?= samples/standing_fold_good.mp4
OUT ?= reports/demo

.PHONY: setup model demo test lint bench system-deps synth-setup clean

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "formcheck needs Python 3.11 or newer (found: $$($(PY) --version))"; exit 2; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

model: setup
	$(BIN)/formcheck models fetch full

demo: model
	$(BIN)/formcheck analyze $(DEMO) --out $(OUT) --annotate $(OUT)/$(notdir $(basename $(DEMO))).annotated.mp4
	@echo
	@echo "Report: $(OUT)/$(notdir $(basename $(DEMO))).html  (JSON and CSV beside it)"

system-deps:
	@sh scripts/ensure-system-deps

test: model system-deps
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check formcheck tests benchmarks
	$(BIN)/ruff format --check formcheck tests benchmarks
	$(BIN)/mypy formcheck

bench: model
	$(BIN)/python benchmarks/throughput.py

synth-setup: setup
	VENV=$(VENV) sh scripts/setup-synth

clean:
	rm -rf $(VENV) reports artifacts .pytest_cache
