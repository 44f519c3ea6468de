"""The hot reads' own Postgres pool (api/app.py) lends connections without pinging them first: a read whose
connection died (a Postgres restart, a killed backend) is read again on a new one, not answered 500."""

from __future__ import annotations

from dataclasses import replace

import httpx
import psycopg

from api.app import create_app
from api.config import ApiConfig
from store.urls import libpq_url
from tests.api.helpers import register
from tests.api.server import serving

MEETING = 202503


def kill_other_connections(database_url: str) -> int:
    """Ends every other backend of the test database, as a Postgres restart would; how many there were."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        killed = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    return int(killed[0]) if killed else 0


def test_a_hot_read_on_a_dead_connection_is_read_again(api_config: ApiConfig, db: str) -> None:
    config = replace(api_config, read_cache_s=0.0)  # nothing kept: every read asks Postgres for access
    with serving(create_app(config)) as url, httpx.Client(base_url=url, timeout=30) as api:
        owner = register(api, "owner")
        league = api.post("/api/leagues", json={"name": "Tifosi"}, headers=owner.headers).json()["id"]
        path = f"/api/leagues/{league}/leaderboard?meeting_key={MEETING}"
        before = api.get(path, headers=owner.headers)
        assert before.status_code == 404  # access checked in Postgres, then no live scores yet
        assert before.json()["code"] == "not_started"
        for _ in range(3):  # the pool's connections die between reads, again and again
            assert kill_other_connections(db) >= 1
            after = api.get(path, headers=owner.headers)
            assert (after.status_code, after.json()["code"]) == (404, "not_started"), after.text
        stranger = register(api, "stranger")
        missing = api.get(
            f"/api/leagues/{league + 1000}/leaderboard?meeting_key={MEETING}", headers=stranger.headers
        )
        assert (missing.status_code, missing.json()["code"]) == (404, "league_not_found")
