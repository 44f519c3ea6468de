# Every target sets itself up: a virtualenv with the locked dependencies (uv.lock), then the job.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
DEMO_FEED ?= data/feeds/2023-10-britain.jsonl
DEMO_TEAMS ?= 10000
DEMO_SPEED ?= 300

export UV_PYTHON_DOWNLOADS := never

.PHONY: setup demo test lint format migrate clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen
	touch $@

setup: $(VENV)/.synced

## The main job: replay a real race for 10,000 teams with the live leaderboard (embedded servers
## unless DATABASE_URL / REDIS_URL are set). Migrations run as part of the replay.
demo: setup
	$(BIN)/gridscore replay $(DEMO_FEED) --teams $(DEMO_TEAMS) --speed $(DEMO_SPEED)

## Every test, after the linters, the type checker and the import contract.
test: setup lint
	$(BIN)/pytest

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
