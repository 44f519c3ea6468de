# Every target sets itself up: a virtualenv with the locked dependencies (uv.lock), then the job.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
DEMO_FEED ?= data/feeds/2023-10-britain.jsonl
DEMO_TEAMS ?= 10000
DEMO_SPEED ?= 60
DEMO_PORT ?= 8000
DEMO_WAIT ?=
DEMO_LINGER ?=

export UV_PYTHON_DOWNLOADS := never

.PHONY: setup demo test lint format migrate clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	touch $@

setup: $(VENV)/.synced

## The main job, in a browser: the API and its web app on http://127.0.0.1:8000, a demo player whose team
## is in a league (the login is printed), then a real race replayed for 10,000 teams with the live
## leaderboard in the terminal (embedded servers unless DATABASE_URL / REDIS_URL are set). Ends after the
## race (DEMO_LINGER seconds to browse the results: 600 in a terminal unless set) or on Ctrl-C.
demo: setup
	$(BIN)/gridscore demo $(DEMO_FEED) --teams $(DEMO_TEAMS) --speed $(DEMO_SPEED) --port $(DEMO_PORT) \
		$(if $(DEMO_WAIT),--wait $(DEMO_WAIT)) $(if $(DEMO_LINGER),--linger $(DEMO_LINGER))

## Every test, after the linters, the type checker and the import contract, with the coverage figure.
## Coverage is measured in the test processes and the servers they start (the engine, uvicorn,
## Celery workers); the run fails under COVERAGE_MIN overall or SCORING_COVERAGE_MIN for scoring/.
COVERAGE_MIN ?= 85
SCORING_COVERAGE_MIN ?= 95

## The servers the tests start import from cached bytecode even where the shell turns it off
## (PYTHONDONTWRITEBYTECODE): compiling every import from source made each server start seconds slower.
test: setup lint
	rm -f .coverage .coverage.*
	COVERAGE_FILE=$(CURDIR)/.coverage env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest --cov --cov-report=term:skip-covered --cov-report=xml --cov-fail-under=$(COVERAGE_MIN)
	COVERAGE_FILE=$(CURDIR)/.coverage $(BIN)/coverage report --include='scoring/*' --fail-under=$(SCORING_COVERAGE_MIN)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: setup
	$(BIN)/gridscore migrate

clean:
	rm -rf $(VENV) .tools .gridscore .pytest_cache .mypy_cache .ruff_cache
