"""CORS over real HTTP: a browser app on another origin (a Vite dev server on http://localhost:5173) can
call every route and open the live streams when its origin is allowed by API_CORS_ORIGINS, and gets no
Access-Control-* header when it is not, or when the setting is empty (the default)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest
import redis

from api.app import create_app
from api.config import ApiConfig
from tests.api.helpers import JAPAN, create_team, register, seed_weekend
from tests.api.server import serving

FRONTEND = "http://localhost:5173"
STRANGER = "https://evil.example"


@pytest.fixture(scope="module")
def cors_url(api_config: ApiConfig) -> Iterator[str]:
    config = replace(api_config, cors_origins=(FRONTEND, "https://play.example.com"))
    with serving(create_app(config)) as url:
        yield url


@pytest.fixture
def browser(cors_url: str, db: str, redis_client: redis.Redis) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=cors_url, timeout=10) as client:
        yield client


def preflight(client: httpx.Client, path: str, method: str, origin: str) -> httpx.Response:
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/auth/register", "POST"),
        ("/api/teams", "POST"),
        ("/api/teams/1/roster", "PUT"),
        ("/api/leagues/1", "GET"),
        ("/api/live/teams/1/score", "GET"),
    ],
)
def test_a_preflight_from_an_allowed_origin_is_allowed(browser: httpx.Client, path: str, method: str) -> None:
    answer = preflight(browser, path, method, FRONTEND)
    assert answer.status_code in (200, 204), answer.text
    assert answer.headers["access-control-allow-origin"] == FRONTEND
    assert method in answer.headers["access-control-allow-methods"]
    allowed = answer.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed
    assert "content-type" in allowed


def test_a_preflight_from_another_origin_gets_no_allowance(browser: httpx.Client) -> None:
    answer = preflight(browser, "/api/teams", "POST", STRANGER)
    assert "access-control-allow-origin" not in answer.headers


def test_a_whole_exchange_from_the_frontend_carries_the_headers(browser: httpx.Client, db: str) -> None:
    """Reads, writes and errors all carry Access-Control-Allow-Origin (a browser hides the body of a
    response without it, errors included), and the validator and rate-limit headers are readable."""
    seed_weekend(db, JAPAN, days_ahead=2)
    origin = {"Origin": FRONTEND}
    player = register(browser)
    created = browser.post("/api/teams", json={"name": "Vite Racing"}, headers={**player.headers, **origin})
    assert created.status_code == 201, created.text
    assert created.headers["access-control-allow-origin"] == FRONTEND
    refused = browser.get("/api/teams/999999/score", params={"meeting_key": 202503}, headers=origin)
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == FRONTEND
    assets = browser.get("/api/assets", headers=origin)
    assert assets.status_code == 200
    assert assets.headers["access-control-allow-origin"] == FRONTEND
    assert "etag" in assets.headers["access-control-expose-headers"].lower()
    stranger = browser.get("/api/assets", headers={"Origin": STRANGER})
    assert "access-control-allow-origin" not in stranger.headers


def test_a_live_stream_opened_from_the_frontend_carries_the_headers(browser: httpx.Client, db: str) -> None:
    seed_weekend(db, JAPAN, days_ahead=2)
    player = register(browser)
    team = create_team(browser, player, "Stream Racing")
    ticket = browser.post("/api/live/tickets", headers=player.headers).json()["ticket"]
    with browser.stream(
        "GET",
        f"/api/live/teams/{team}/score",
        params={"meeting_key": 202503, "ticket": ticket},
        headers={"Origin": FRONTEND},
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["access-control-allow-origin"] == FRONTEND


def test_no_origin_is_allowed_by_default(api: httpx.Client) -> None:
    answer = preflight(api, "/api/teams", "POST", FRONTEND)
    assert "access-control-allow-origin" not in answer.headers
    assert "access-control-allow-origin" not in api.get("/health", headers={"Origin": FRONTEND}).headers
