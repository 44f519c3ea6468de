"""Schemathesis over the running API's OpenAPI schema, authenticated, with all of its response checks on
every operation, for valid and invalid inputs alike: no input makes it answer 5xx, and every answer matches
the schema (status codes, content types, bodies, headers).

Half of the generated ids are swapped for ones that exist (a league, a team, a weekend with live
and final scores), so that fuzzed bodies reach the code behind the lookups, not only the 404s.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import redis
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.generation.case import Case
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.config import ApiConfig
from gridscore.base.settings import Settings
from gridscore.cli.replay import run_replay
from store.lock import lock_rosters_now
from tests.api.helpers import BAHRAIN, JAPAN, create_team, empty_database, register, roster_of, seed_weekend

EXAMPLES = 15  # per operation and mode: about 1,100 requests in all
CHECKS = [  # every response check schemathesis has, for both modes
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@dataclass(frozen=True, slots=True)
class World:
    headers: dict[str, str]
    ids: dict[str, int]


@pytest.fixture(scope="module")
def world(api_url: str, database_url: str, redis_url: str) -> Iterator[World]:
    empty_database(database_url)
    redis.Redis.from_url(redis_url).flushdb()
    seed_weekend(database_url, JAPAN, days_ahead=1)
    with httpx.Client(base_url=api_url) as api:
        player = register(api, "fuzzer")
        team = create_team(api, player, "Fuzz Racing")
        league = api.post("/api/leagues", json={"name": "Fuzz League"}, headers=player.headers).json()
        api.post(
            "/api/leagues/join",
            json={"invite_code": league["invite_code"], "team_id": team},
            headers=player.headers,
        )
        roster = roster_of(["HAD", "DOO", "BOR", "HUL", "BEA"], ["Kick Sauber", "Haas F1 Team"])
        assert api.put(f"/api/teams/{team}/roster", json=roster, headers=player.headers).status_code == 200
        lock_rosters_now(database_url, 202503)
        settings_ = Settings(database_url=database_url, redis_url=redis_url)
        assert (
            run_replay(settings_, [JAPAN], teams=20, speed=0, window=timedelta(milliseconds=500), quiet=True)
            == 0
        )
        seed_weekend(database_url, BAHRAIN, days_ahead=3)  # an open weekend for the roster and chip writes
        ids = {"team_id": team, "league_id": league["id"], "meeting_key": 202503, "session_key": 2025034}
        yield World(player.headers, ids)
    empty_database(database_url)


def _is_stream(operation: dict[str, Any]) -> bool:
    """A server-sent event stream (the live routes): it never ends, so a valid request would hang the run.
    tests/api/test_live_push.py covers them over real HTTP instead."""
    return "text/event-stream" in operation.get("responses", {}).get("200", {}).get("content", {})


def _operations() -> list[tuple[str, str, GenerationMode]]:
    """(method, path, mode) of every operation but the endless streams, from the app's own schema (building
    it connects nothing); the negative mode only where there is an input to get wrong."""
    offline = Settings(database_url="postgresql://-/-", redis_url="redis://-", jwt_secret="-" * 32)
    app = create_app(ApiConfig.from_settings(offline))
    paths = app.openapi_schema.to_schema()["paths"]
    return sorted(
        (method.upper(), path, mode)
        for path, item in paths.items()
        for method, operation in item.items()
        for mode in GenerationMode
        if not _is_stream(operation)
        and (mode is GenerationMode.POSITIVE or operation.get("parameters") or operation.get("requestBody"))
    )


@pytest.fixture(scope="module")
def live_schema(api_url: str, world: World) -> BaseSchema:
    return schemathesis.openapi.from_url(f"{api_url}/schema/openapi.json")


@pytest.mark.parametrize(("method", "path", "mode"), _operations(), ids=str)
def test_no_5xx_and_answers_match_the_schema(
    method: str, path: str, mode: GenerationMode, live_schema: BaseSchema, world: World
) -> None:
    """Valid inputs (positive) and invalid ones (negative) get answers that match the schema, never a 5xx."""
    operation = live_schema[path][method]
    checks = CHECKS

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def check(case: Case) -> None:
        for location in (case.path_parameters, case.query):
            if not isinstance(location, dict):
                continue
            for name, real in world.ids.items():
                value = location.get(name)
                if isinstance(value, int) and value % 2 == 0:
                    location[name] = real
        response = case.call(headers=world.headers)
        case.validate_response(response, checks=checks)

    check()
