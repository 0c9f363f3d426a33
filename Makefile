# formcheck: the two commands a newcomer needs
#   make demo   set up (virtualenv, locked dependencies, pose model) and analyse a bundled sample
#   make test   set up the same and run the test suite
# Others: make lock (regenerate requirements/*.txt), make test-latest (newest allowed versions),
#         make synth-setup, make lint, make bench, make splits (render the accuracy splits),
#         make accuracy (score them and the real sets).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.formcheck-installed
LOCK := requirements/lock.txt
BUILD_LOCK := requirements/build.txt
SYNTH_LOCK := requirements/synth.txt
# pip: exact versions, every file checked against the lock's sha256, nothing re-resolved
PIP_LOCKED := -m pip install -q --no-deps --require-hashes
UV_VERSION ?= 0.13.9
TOOLS := .tools
LATEST := .venv-latest
DEMO ?= samples/standing_fold_good.mp4
OUT ?= reports/demo

.PHONY: setup model demo test lint bench system-deps synth-setup splits split-tuning split-sealed \
	accuracy lock test-latest clean

$(STAMP): pyproject.toml $(LOCK) $(BUILD_LOCK)
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "formcheck needs Python 3.11 or newer (found: $$($(PY) --version))"; exit 2; }
	$(PY) -m venv $(VENV)
	$(BIN)/python $(PIP_LOCKED) -r $(BUILD_LOCK)
	$(BIN)/python $(PIP_LOCKED) -r $(LOCK)
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
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
	$(BIN)/lint-imports --no-cache

bench: model
	$(BIN)/python benchmarks/throughput.py

synth-setup: setup
	VENV=$(VENV) SYNTH_LOCK=$(SYNTH_LOCK) sh scripts/setup-synth

# The accuracy splits (benchmarks/splits.toml) rendered into .cache/synth/<split> (synth extra;
# cached by spec hash), and the benchmark of record on the sealed split (docs/accuracy.md)
splits: split-tuning split-sealed

split-tuning split-sealed: split-%:
	nice -n 10 $(BIN)/python benchmarks/splits.py render $*

accuracy: model
	$(BIN)/python benchmarks/accuracy.py --split tuning sealed

# Regenerate the locks from pyproject.toml's ranges (uv's universal resolver: one file serves
# Linux, macOS and Windows on Python 3.11+; pip installs it). Review the diff, then `make test`.
lock:
	@test -x $(TOOLS)/bin/uv || { $(PY) -m venv $(TOOLS) && $(TOOLS)/bin/python -m pip install -q uv==$(UV_VERSION); }
	$(TOOLS)/bin/uv pip compile requirements/build.in --universal --python-version 3.11 \
		--generate-hashes --quiet --custom-compile-command "make lock" -o $(BUILD_LOCK)
	$(TOOLS)/bin/uv pip compile pyproject.toml --extra dev --extra batch --universal --python-version 3.11 \
		--generate-hashes --quiet --custom-compile-command "make lock" -o $(LOCK)
	$(TOOLS)/bin/uv pip compile pyproject.toml --extra dev --extra batch --extra synth \
		--overrides requirements/synth-overrides.txt --universal --python-version 3.11 \
		--generate-hashes --quiet --custom-compile-command "make lock" -o $(SYNTH_LOCK)

# The newest versions pyproject.toml allows, in a separate environment, then the test suite:
# the next MediaPipe release is seen here before users see it. Not part of .ci/run.
test-latest: model system-deps
	rm -rf $(LATEST)
	$(PY) -m venv $(LATEST)
	$(LATEST)/bin/python -m pip install -q --upgrade pip
	$(LATEST)/bin/python -m pip install -q --upgrade --upgrade-strategy eager -e '.[dev]'
	@$(LATEST)/bin/python -m pip list --format=freeze | grep -iE '^(mediapipe|numpy|opencv-contrib-python)=='
	$(LATEST)/bin/python -m pytest -q -p no:cacheprovider

clean:
	rm -rf $(VENV) $(LATEST) $(TOOLS) reports artifacts .pytest_cache
