"""tests/unit: pure tests (no server, no network, no Bytewax run), all marked `unit`.

`pytest -m unit` runs them alone in seconds (tests/conftest.py then collects this folder only).
The server fixtures are overridden here so that a unit test that asks for one fails at once
instead of starting PostgreSQL or Valkey.
"""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.unit)


@pytest.fixture(scope="session")
def servers() -> None:
    pytest.fail("a unit test may not start or reach servers: move it out of tests/unit")
