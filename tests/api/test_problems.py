"""Every error is `{code, detail, extra}` (and `status_code`): a machine-readable code from a documented
list, so that a frontend tells "no such league" from "not started yet" without reading the text; and
validation messages in words (no regex, no msgspec jargon), naming the field."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from api.app import create_app
from api.config import ApiConfig
from api.errors import ErrorCode
from tests.api.helpers import (
    JAPAN,
    cheapest_roster,
    create_team,
    register,
    seed_weekend,
    start_first_session,
)
from tests.api.server import serving

DOCS = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
JARGON = re.compile(r"regex|Expected `|\^\[|\$\.|`\$|Object missing|msgspec")


def problem(response: httpx.Response, status: int, code: ErrorCode) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code.value, body
    assert body["status_code"] == status
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert "extra" in body
    assert not JARGON.search(body["detail"]), body["detail"]
    return dict(body)


def test_not_found_tells_what_is_missing_by_code(api: httpx.Client, db: str) -> None:
    seed_weekend(db, JAPAN, days_ahead=2)
    player = register(api)
    team = create_team(api, player, "Code Racing")
    problem(api.get("/api/leagues/987654", headers=player.headers), 404, ErrorCode.LEAGUE_NOT_FOUND)
    problem(api.get("/api/teams/987654", headers=player.headers), 404, ErrorCode.TEAM_NOT_FOUND)
    problem(api.get("/api/meetings/987654"), 404, ErrorCode.MEETING_NOT_FOUND)
    # The weekend exists; its scores do not yet: another code for the same status.
    problem(api.get("/api/sessions/2025033/points"), 404, ErrorCode.NOT_STARTED)
    problem(
        api.get(f"/api/teams/{team}/score", params={"meeting_key": 202503}, headers=player.headers),
        404,
        ErrorCode.NO_ROSTER,
    )
    problem(api.get("/api/no/such/route"), 404, ErrorCode.NOT_FOUND)
    joined = api.post(
        "/api/leagues/join", json={"invite_code": "nope", "team_id": team}, headers=player.headers
    )
    problem(joined, 404, ErrorCode.INVITE_CODE_UNKNOWN)


def test_a_browser_on_a_missing_page_gets_a_page_and_clients_keep_the_problem(api: httpx.Client) -> None:
    html = {"Accept": "text/html,application/xhtml+xml"}
    page = api.get("/no-such-page/<b>x</b>", headers=html)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "There is no page at" in page.text
    assert "<b>x</b>" not in page.text, "the address is shown escaped"
    assert "/schema" not in page.text.split("<main", 1)[1].split("</main>", 1)[0], "no API words for a player"
    # The API's own misses, and a client that asks for JSON, keep the Problem body.
    problem(api.get("/api/no/such/route", headers=html), 404, ErrorCode.NOT_FOUND)
    problem(api.get("/no-such-page"), 404, ErrorCode.NOT_FOUND)
    problem(api.get("/api/meetings/987654", headers=html), 404, ErrorCode.MEETING_NOT_FOUND)


def test_no_weekend_at_all_has_its_own_code(api: httpx.Client, db: str) -> None:
    problem(api.get("/api/meetings/current"), 404, ErrorCode.NO_WEEKEND)


def test_credentials_and_permissions(api: httpx.Client, db: str) -> None:
    problem(api.get("/api/auth/me"), 401, ErrorCode.UNAUTHORIZED)
    wrong = api.post("/api/auth/login", json={"email": "nobody@example.com", "password": "x" * 12})
    problem(wrong, 401, ErrorCode.WRONG_CREDENTIALS)
    alice, bob = register(api), register(api)
    team = create_team(api, alice, "Alice Racing")
    roster = {"drivers": ["VER"], "constructors": [], "boost_driver": "VER"}  # ownership comes first
    problem(api.put(f"/api/teams/{team}/roster", json=roster, headers=bob.headers), 403, ErrorCode.FORBIDDEN)
    api.post("/api/auth/logout", headers=alice.headers)
    problem(api.get("/api/auth/me", headers=alice.headers), 401, ErrorCode.SESSION_ENDED)


def test_validation_messages_are_in_words_and_name_the_field(api: httpx.Client, db: str) -> None:
    seed_weekend(db, JAPAN, days_ahead=2)
    player = register(api)
    team = create_team(api, player, "Words Racing")
    bad_driver = {
        "drivers": ["ver", "NOR", "LEC", "PIA", "HAM"],
        "constructors": ["A", "B"],
        "boost_driver": "NOR",
    }
    body = problem(
        api.put(f"/api/teams/{team}/roster", json=bad_driver, headers=player.headers),
        400,
        ErrorCode.VALIDATION_FAILED,
    )
    assert body["extra"] == [
        {"field": "drivers[0]", "source": "body", "message": body["detail"]},
    ]
    assert "three-letter code" in body["detail"]
    missing = problem(
        api.post("/api/teams", json={}, headers=player.headers), 400, ErrorCode.VALIDATION_FAILED
    )
    assert missing["detail"] == "name is required"
    empty = problem(
        api.post("/api/teams", json={"name": ""}, headers=player.headers), 400, ErrorCode.VALIDATION_FAILED
    )
    assert empty["detail"] == "name must not be empty"
    unknown = problem(
        api.post("/api/teams", json={"name": "A", "colour": "red"}, headers=player.headers),
        400,
        ErrorCode.VALIDATION_FAILED,
    )
    assert unknown["extra"][0]["field"] == "colour"
    typed = problem(
        api.get("/api/leagues", params={"limit": "ten"}, headers=player.headers),
        400,
        ErrorCode.VALIDATION_FAILED,
    )
    assert typed["detail"] == "limit must be a whole number, not text"
    assert typed["extra"][0]["source"] == "query"
    ranged = problem(
        api.get("/api/leagues", params={"limit": 0}, headers=player.headers), 400, ErrorCode.VALIDATION_FAILED
    )
    assert ranged["detail"] == "limit must be at least 1"
    email = problem(
        api.post(
            "/api/auth/register", json={"email": "not-an-address", "password": "x" * 12, "display_name": "X"}
        ),
        400,
        ErrorCode.VALIDATION_FAILED,
    )
    assert email["detail"] == "email must be an e-mail address like name@example.com"
    broken = api.post(
        "/api/teams", content=b'{"name": ', headers={**player.headers, "Content-Type": "application/json"}
    )
    assert problem(broken, 400, ErrorCode.INVALID_BODY)["detail"].startswith("the body is not valid JSON")


def test_game_rules_have_their_codes(api: httpx.Client, db: str) -> None:
    seed_weekend(db, JAPAN, days_ahead=2)
    player = register(api)
    team = create_team(api, player, "Rules Racing")
    assets = api.get("/api/assets").json()
    roster = cheapest_roster(assets)
    too_few = {**roster, "drivers": roster["drivers"][:4]}
    body = problem(
        api.put(f"/api/teams/{team}/roster", json=too_few, headers=player.headers),
        400,
        ErrorCode.ROSTER_INVALID,
    )
    assert body["extra"]["problems"]
    problem(
        api.post("/api/teams", json={"name": "Rules Racing"}, headers=player.headers),
        409,
        ErrorCode.DUPLICATE,
    )
    weak = api.post(
        "/api/auth/register", json={"email": "w@example.com", "password": "password123", "display_name": "W"}
    )
    problem(weak, 400, ErrorCode.WEAK_PASSWORD)
    assert api.put(f"/api/teams/{team}/roster", json=roster, headers=player.headers).status_code == 200
    start_first_session(db, 202503)
    locked = api.put(f"/api/teams/{team}/roster", json=roster, headers=player.headers)
    problem(locked, 409, ErrorCode.ROSTER_LOCKED)
    problem(api.delete("/api/meetings"), 405, ErrorCode.METHOD_NOT_ALLOWED)


@pytest.fixture
def strict_url(api_config: ApiConfig, db: str, redis_client: redis.Redis) -> Iterator[str]:
    config = replace(api_config, auth_rate_limit=2, rate_limit_namespace="gs:test:problems")
    with serving(create_app(config)) as url:
        yield url


def test_rate_limited_keeps_retry_after(strict_url: str) -> None:
    with httpx.Client(base_url=strict_url) as api:
        answers = [
            api.post("/api/auth/login", json={"email": "a@example.com", "password": "x" * 12})
            for _ in range(3)
        ]
    body = problem(answers[-1], 429, ErrorCode.RATE_LIMITED)
    assert "Retry-After" in body["detail"]
    assert int(answers[-1].headers["retry-after"]) >= 0


def test_every_code_is_documented_and_in_the_schema(api: httpx.Client) -> None:
    documented = DOCS.read_text()
    for code in ErrorCode:
        assert f"`{code.value}`" in documented, f"{code.value} is not in docs/errors.md"
    schema = api.get("/schema/openapi.json").json()
    problem_schema = schema["components"]["schemas"]["Problem"]
    code_schema = problem_schema["properties"]["code"]
    if "$ref" in code_schema:
        code_schema = schema["components"]["schemas"][code_schema["$ref"].rsplit("/", 1)[1]]
    assert set(code_schema["enum"]) == {code.value for code in ErrorCode}
    assert set(problem_schema["required"]) >= {"code", "detail", "status_code"}
