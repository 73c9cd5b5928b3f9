# The two commands of the quickstart are `make run` and `make test`; each sets up
# .venv inside the repository first when it is missing or older than pyproject.toml.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_HOME := $(CURDIR)/.demo
# The demo reads no config file, so it cannot pick up the editor's own settings.
CSF := CSF_CONFIG=/dev/null $(BIN)/csf

.PHONY: run test lint format bench lambda-zip clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "csf needs Python 3.11 or newer (PYTHON=$(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(CSF) demo $(DEMO_HOME)
	$(CSF) --home $(DEMO_HOME) list
	$(CSF) --home $(DEMO_HOME) next

test: $(STAMP)
	$(BIN)/python -m pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/run.py

# The ingest Lambda's package, which csf deploy builds itself when given none.
lambda-zip: $(STAMP)
	$(BIN)/python -m compelling_cli.deploy.package dist/csf-lambda.zip

clean:
	rm -rf $(VENV) $(DEMO_HOME) build dist *.egg-info
