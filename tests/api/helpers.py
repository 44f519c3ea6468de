"""Players, tokens and weekends for the API tests, all through the real HTTP API (or the seed tool)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

from benchmarks.seed import SeededWeekend, seed_from_feed
from store.urls import libpq_url
from tests.conftest import (
    FEEDS,
    empty_database,  # noqa: F401 (re-exported for the API tests)
)

PASSWORD = "correct horse battery staple"
JAPAN = FEEDS / "2025-03-japan.jsonl"
AUSTRALIA = FEEDS / "2025-01-australia.jsonl"
BAHRAIN = FEEDS / "2025-04-bahrain.jsonl"
_numbers = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Player:
    id: int
    email: str
    headers: dict[str, str]
    refresh_token: str


def register(api: httpx.Client, name: str | None = None) -> Player:
    name = name or f"player{next(_numbers)}"
    email = f"{name}@example.com"
    created = api.post(
        "/api/auth/register", json={"email": email, "password": PASSWORD, "display_name": name}
    )
    assert created.status_code == 202, created.text  # the same answer for a known e-mail: log in to know
    tokens = api.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    me = api.get("/api/auth/me", headers=headers)
    assert me.status_code == 200, me.text
    return Player(me.json()["id"], email, headers, body["refresh_token"])


def seed_weekend(database_url: str, feed: Path, days_ahead: float) -> SeededWeekend:
    """The feed's weekend, moved so that its first session starts `days_ahead` days from now."""
    return seed_from_feed(database_url, feed, datetime.now(UTC) + timedelta(days=days_ahead))


def create_team(api: httpx.Client, player: Player, name: str) -> int:
    response = api.post("/api/teams", json={"name": name}, headers=player.headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def cheapest_roster(assets: dict[str, Any], skip_drivers: int = 0) -> dict[str, Any]:
    drivers = sorted(assets["drivers"], key=lambda a: (a["price"], a["name"]))[
        skip_drivers : skip_drivers + 5
    ]
    constructors = sorted(assets["constructors"], key=lambda a: (a["price"], a["name"]))[:2]
    return {
        "drivers": [d["name"] for d in drivers],
        "constructors": [c["name"] for c in constructors],
        "boost_driver": drivers[0]["name"],
    }


def field_team(
    api: httpx.Client,
    player: Player,
    team: int,
    assets: dict[str, Any],
    skip_drivers: int,
    invite_code: str | None = None,
) -> None:
    """The team's cheapest roster (from the `skip_drivers`-th cheapest driver) saved and, given an
    invite code, the team in that league."""
    roster = cheapest_roster(assets, skip_drivers=skip_drivers)
    saved = api.put(f"/api/teams/{team}/roster", json=roster, headers=player.headers)
    assert saved.status_code == 200, saved.text
    if invite_code is not None:
        joined = api.post(
            "/api/leagues/join", json={"invite_code": invite_code, "team_id": team}, headers=player.headers
        )
        assert joined.status_code == 200, joined.text


def set_prices(database_url: str, price: float, **overrides: float) -> None:
    """An administrator's price list: every asset at `price`, some at their own."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        conn.execute("UPDATE asset_price SET price = %s", (price,))
        for name, value in overrides.items():
            conn.execute("UPDATE asset_price SET price = %s WHERE asset_name = %s", (value, name))


def finish_weekend(database_url: str, meeting_key: int) -> None:
    """What the flow's final sink does when the classifications land: every session is final."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        conn.execute("UPDATE race_session SET state = 'final' WHERE meeting_key = %s", (meeting_key,))


def start_first_session(database_url: str, meeting_key: int) -> None:
    """Time passes: the weekend's Qualifying started a minute ago."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        conn.execute(
            "UPDATE race_session SET date_start = now() - interval '1 minute'"
            " WHERE meeting_key = %s AND name = 'Qualifying'",
            (meeting_key,),
        )


def roster_of(drivers: list[str], constructors: list[str], boost: str | None = None) -> dict[str, Any]:
    return {"drivers": drivers, "constructors": constructors, "boost_driver": boost or drivers[0]}
