"""Hostile bodies and names over real HTTP (issue 12, findings 3 and 7): whatever the body, every endpoint
that takes one answers 400 with a reason, never a 5xx, and logs no traceback; names refuse control
characters with a 400 that says which character; every route reachable without a token is rate-limited.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
import redis

from api.app import create_app
from api.config import ApiConfig
from tests.api.helpers import PASSWORD, create_team, register
from tests.api.server import serving

DEEP = [1_000, 5_000, 100_000]  # msgspec gives up at about 1,000 levels


def hostile_bodies() -> dict[str, bytes]:
    bodies = {
        "invalid UTF-8 in a string": b'{"refresh_token": "\xff\xfe\xfd", "name": "\xc3\x28"}',
        "a lone surrogate escape": b'{"refresh_token": "\\ud800", "name": "\\udfff"}',
        "not JSON": b"this is not json",
        "truncated JSON": b'{"name": ',
        "a JSON array": b"[1, 2, 3]",
        "a JSON string": b'"name"',
        "wrong types": b'{"refresh_token": 12, "name": [1], "email": {}, "password": null, "team_id": "x"}',
        "a huge number": b'{"team_id": 1' + b"0" * 400 + b', "name": 1e999999}',
        "binary": bytes(range(256)),
    }
    for depth in DEEP:
        bodies[f"objects nested {depth} deep"] = b'{"name":' * depth + b"1" + b"}" * depth
        bodies[f"arrays nested {depth} deep"] = b"[" * depth + b"]" * depth
        bodies[f"a field nested {depth} deep"] = b'{"name": ' + b"[" * depth + b"]" * depth + b"}"
    return bodies


BODIES = hostile_bodies()
# Every route that reads a body; the ones after the first three need a token.
ROUTES = [
    ("POST", "/api/auth/refresh"),
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/password"),
    ("POST", "/api/teams"),
    ("PUT", "/api/teams/{team}/roster"),
    ("POST", "/api/teams/{team}/chips"),
    ("POST", "/api/leagues"),
    ("POST", "/api/leagues/join"),
]


def test_malformed_bodies_get_400_with_a_reason_and_no_traceback(
    api: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    player = register(api)
    team = create_team(api, player, "Hostile Racing")
    answers = {}
    for method, path in ROUTES:
        for name, body in BODIES.items():
            response = api.request(
                method,
                path.format(team=team),
                content=body,
                headers={**player.headers, "Content-Type": "application/json"},
            )
            answers[(path, name)] = response.status_code
            assert response.status_code == 400, (path, name, response.status_code, response.text[:300])
            problem = response.json()
            assert problem["status_code"] == 400
            assert problem["detail"], (path, name)
    assert len(answers) == len(ROUTES) * len(BODIES)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], [r.getMessage() for r in errors][:3]
    # The reasons say what is wrong with the body.
    deep = api.post("/api/auth/refresh", content=BODIES["objects nested 5000 deep"])
    assert "nested too deeply" in deep.json()["detail"]
    utf8 = api.post("/api/auth/refresh", content=BODIES["invalid UTF-8 in a string"])
    assert "UTF-8" in utf8.json()["detail"]
    # And the API still answers normally.
    assert api.get("/api/auth/me", headers=player.headers).status_code == 200


REFUSED_NAMES = {
    "BEL": ("\x07", "U+0007"),
    "an ANSI colour": ("x\x1b[31mred", "U+001B"),
    "NUL": ("nul\x00byte", "U+0000"),
    "a tab": ("tab\there", "U+0009"),
    "a trailing newline": ("name\n", "U+000A"),
    "DEL": ("del\x7f", "U+007F"),
    "a C1 CSI": ("c1\x9b31m", "U+009B"),
    "a right-to-left override": ("abc\u202egpj.exe", "U+202E"),
    "a line separator": ("one\u2028two", "U+2028"),
}


@pytest.mark.parametrize("case", list(REFUSED_NAMES), ids=str)
def test_names_refuse_control_characters_with_a_reason(api: httpx.Client, case: str) -> None:
    name, code = REFUSED_NAMES[case]
    player = register(api)
    team = create_team(api, player, "Clean Name")
    attempts = {
        "display name": api.post(
            "/api/auth/register",
            json={"email": "someone@example.com", "password": PASSWORD, "display_name": name},
        ),
        "team name": api.post("/api/teams", json={"name": name}, headers=player.headers),
        "league name": api.post("/api/leagues", json={"name": name}, headers=player.headers),
        "constructor": api.put(
            f"/api/teams/{team}/roster",
            json={"drivers": ["VER"], "constructors": [name], "boost_driver": "VER"},
            headers=player.headers,
        ),
    }
    for field, response in attempts.items():
        assert response.status_code == 400, (field, response.status_code, response.text)
        reason = " ".join(e["message"] for e in response.json()["extra"])
        assert code in reason, (field, reason)
        assert "printable characters only" in reason, (field, reason)
    # Nothing was written.
    assert [t["name"] for t in api.get("/api/teams", headers=player.headers).json()["items"]] == [
        "Clean Name"
    ]
    assert (
        api.post("/api/auth/login", json={"email": "someone@example.com", "password": PASSWORD}).status_code
        == 401
    )


def test_printable_names_in_any_script_are_kept(api: httpx.Client) -> None:
    player = register(api)
    names = ["Écurie Ångström", "Scuderia 🏎️", "Family 👨‍👩‍👧 Racing", "فريق السرعة", "速い チーム"]
    for i, name in enumerate(names):
        path = "/api/teams" if i < 3 else "/api/leagues"  # three teams at most per player
        created = api.post(path, json={"name": name}, headers=player.headers)
        assert created.status_code == 201, (name, created.text)
        assert created.json()["name"] == name


@pytest.fixture
def limited(api_config: ApiConfig, db: str, redis_client: redis.Redis) -> Iterator[httpx.Client]:
    """A server allowing 3 auth requests and 5 other unauthenticated requests a minute per address."""
    config = replace(
        api_config,
        auth_rate_limit=3,
        public_rate_limit=5,
        auth_rate_unit="minute",
        rate_limit_namespace="gs:test:hostile",
    )
    with serving(create_app(config)) as url, httpx.Client(base_url=url) as client:
        yield client


def test_every_unauthenticated_route_is_rate_limited(limited: httpx.Client) -> None:
    player = register(limited)  # register + login: 2 of the 3 auth requests
    bad = [limited.post("/api/auth/refresh", content=BODIES["objects nested 5000 deep"]) for _ in range(3)]
    assert [r.status_code for r in bad] == [400, 429, 429]  # refresh counts with login and registration
    assert int(bad[-1].headers["RateLimit-Reset"]) > 0
    # Other routes that need no token share a second, larger limit...
    public = [
        limited.get(path) for path in ["/api/meetings", "/api/assets", "/health", "/schema/openapi.json"]
    ]
    public += [limited.get("/api/sessions/1/points"), limited.get("/api/meetings")]
    assert [r.status_code for r in public][-1] == 429
    assert all(r.status_code != 429 for r in public[:5])
    # counted in the API process (api/lib/scoped_rate_limit.py), with Litestar's headers
    assert int(public[-1].headers["RateLimit-Reset"]) > 0
    assert (public[4].headers["RateLimit-Limit"], public[4].headers["RateLimit-Remaining"]) == ("5", "0")
    # ...which neither authenticated reads nor the metrics scraper count against.
    assert all(limited.get("/api/teams", headers=player.headers).status_code == 200 for _ in range(8))
    assert all(limited.get("/metrics").status_code == 200 for _ in range(8))
