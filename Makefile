# Two commands matter: `make run` (set up, load the demo zone, run) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB := var/demo.db
# For the demo zone only: real accounts get their own passwords on standard input.
DEMO_PASSWORD := demo-password-1
export FTZ_DATA_DIR ?= var

.PHONY: run test setup demo serve lint bench clean

$(BIN)/ftz: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

# htmx from the npm registry, as pinned in package-lock.json (never committed).
HTMX := node_modules/htmx.org/dist/htmx.min.js
$(HTMX): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	@touch $@

setup: $(BIN)/ftz $(HTMX)

# A fresh demo database each time: the demo zone loaded through the same imports users use.
demo: setup
	@mkdir -p var && rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	@export FTZ_DATABASE_URL=sqlite:///$(DEMO_DB); set -e; \
	$(BIN)/ftz db upgrade; \
	$(BIN)/ftz reference load parties fixtures/reference/parties-un-sc-demo.xml \
	  --source "UN Security Council Consolidated List, demonstration extract (fixtures/reference/README.md)"; \
	tail -n +2 fixtures/demo/zone.csv | while IFS=, read -r kind code name zone country; do \
	  if [ "$$kind" = zone ]; then $(BIN)/ftz zone add "$$code" --name "$$name" --country "$$country"; \
	  else $(BIN)/ftz operator add "$$code" --zone "$$zone" --name "$$name"; fi; \
	done; \
	$(BIN)/ftz profile load fixtures/demo/profiles.yaml; \
	$(BIN)/ftz import customs fixtures/demo/customs.csv; \
	for f in fixtures/demo/movements_*; do \
	  op=$$(basename "$$f" | sed 's/movements_\(.*\)\..*/\1/'); \
	  $(BIN)/ftz import movements "$$f" --operator "$$op"; \
	done; \
	$(BIN)/ftz import licences fixtures/demo/licences.csv; \
	tail -n +2 fixtures/demo/holds.csv | while IFS=, read -r op lot reason from release why; do \
	  id=$$($(BIN)/ftz hold add --operator "$$op" --lot "$$lot" --reason "$$reason" --from "$$from"); \
	  if [ -n "$$release" ]; then $(BIN)/ftz hold release "$$id" --reason "$$why" --at "$$release"; fi; \
	done; \
	tail -n +2 fixtures/demo/second-zone/zone.csv | while IFS=, read -r kind code name zone country; do \
	  if [ "$$kind" = zone ]; then $(BIN)/ftz zone add "$$code" --name "$$name" --country "$$country"; \
	  else $(BIN)/ftz operator add "$$code" --zone "$$zone" --name "$$name"; fi; \
	done; \
	$(BIN)/ftz import customs fixtures/demo/second-zone/customs.csv; \
	for f in fixtures/demo/second-zone/movements_*; do \
	  op=$$(basename "$$f" | sed 's/movements_\(.*\)\..*/\1/'); \
	  $(BIN)/ftz import movements "$$f" --operator "$$op"; \
	done; \
	echo "$(DEMO_PASSWORD)" | $(BIN)/ftz user add admin --role ADMIN; \
	echo "$(DEMO_PASSWORD)" | $(BIN)/ftz user add auditor --role AUDITOR --zone ZDM; \
	echo "$(DEMO_PASSWORD)" | $(BIN)/ftz user add op101 --role OPERATOR --operator OP101

# The demo database served on http://127.0.0.1:8000 (API under /api/v1, docs at /docs).
serve: setup
	FTZ_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/ftz serve

run: demo
	@FTZ_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/ftz lots --summary
	@FTZ_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/ftz reconcile
	@echo "The demo zone is in $(DEMO_DB): FTZ_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/ftz --help"
	@echo "Serving it at http://127.0.0.1:8000 (Ctrl-C stops). Accounts, password $(DEMO_PASSWORD):"
	@echo "  admin (ADMIN), auditor (AUDITOR, zone ZDM), op101 (OPERATOR of OP101)"
	@FTZ_DATABASE_URL=sqlite:///$(DEMO_DB) $(BIN)/ftz serve

# The suite runs on SQLite and on PostgreSQL (started here if it is not running).
# The browser tests drive Debian's Chromium (installed here where missing); screenshots go to var/screenshots.
test: setup
	@url=$${FTZ_TEST_DATABASE_URL:-$$(.ci/postgres.sh)}; \
	chromium=$${FTZ_CHROMIUM:-$$(.ci/chromium.sh)}; \
	FTZ_TEST_DATABASE_URL=$$url FTZ_CHROMIUM=$$chromium $(BIN)/pytest -q -n 2 --dist loadfile

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: setup
	@url=$${FTZ_TEST_DATABASE_URL:-$$(.ci/postgres.sh)}; \
	FTZ_TEST_DATABASE_URL=$$url $(BIN)/python tests/benchmarks/import_speed.py

clean:
	rm -rf $(VENV) var *.egg-info
