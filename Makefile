# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv when it is missing and
# install the project with its dev extra (and the Debian packages the tests use) first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.mnistq-installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The seed's experiment as a sweep, trained locally on the embedded mnist-5k, then its leaderboard and report
# (into ./mnistq.db and ./report.html unless MNISTQ_DATABASE_URL and REPORT say otherwise).
REPORT ?= report.html
demo: $(STAMP)
	$(BIN)/mnistq submit examples/seed.toml
	$(BIN)/mnistq runs --sweep latest --order-by=-val_acc
	$(BIN)/mnistq report latest -o $(REPORT)
	@echo "report written to $(REPORT); browse the store live with: $(BIN)/mnistq ui"

test: $(STAMP)
	@scripts/system-deps.sh
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .

# Every benchmark, each against its anchor in the same run; installs the bench extra (PyTorch CPU) first.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
