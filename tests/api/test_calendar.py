"""A calendar that never dead-ends: `current` is the live or next weekend, else the last one; seasons are
listed; seeding a weekend (again) with a future start leaves it open until its lock; a past weekend seeded
by `gridscore api-seed` without dates becomes a coming one; the engine keeps a seeded schedule."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest
import redis

from gridscore.base.settings import Settings
from gridscore.cli.main import main
from gridscore.cli.replay import run_replay
from store.lock import lock_rosters_now
from store.urls import libpq_url
from tests.api.helpers import (
    AUSTRALIA,
    JAPAN,
    cheapest_roster,
    create_team,
    finish_weekend,
    register,
    seed_weekend,
)

AUSTRALIA_KEY, JAPAN_KEY = 202501, 202503


def session_starts(database_url: str, meeting_key: int) -> dict[str, datetime]:
    with psycopg.connect(libpq_url(database_url)) as conn:
        rows = conn.execute(
            "SELECT name, date_start FROM race_session WHERE meeting_key = %s", (meeting_key,)
        ).fetchall()
    return dict(rows)


def test_after_the_last_weekend_is_final_current_and_assets_show_it(api: httpx.Client, db: str) -> None:
    seed_weekend(db, AUSTRALIA, days_ahead=-40)
    seed_weekend(db, JAPAN, days_ahead=-10)
    assert api.get("/api/meetings/current").json()["meeting_key"] == AUSTRALIA_KEY  # not final: still current
    finish_weekend(db, AUSTRALIA_KEY)
    assert api.get("/api/meetings/current").json()["meeting_key"] == JAPAN_KEY
    finish_weekend(db, JAPAN_KEY)
    current = api.get("/api/meetings/current")
    assert current.status_code == 200, current.text  # was 404 "no race weekend is coming"
    assert current.json()["meeting_key"] == JAPAN_KEY
    assert current.json()["state"] == "final"
    assets = api.get("/api/assets")
    assert assets.status_code == 200, assets.text
    assert assets.json()["meeting_key"] == JAPAN_KEY


def test_after_the_last_weekend_is_final_a_team_still_shows_its_roster(api: httpx.Client, db: str) -> None:
    seed_weekend(db, JAPAN, days_ahead=3)
    player = register(api)
    team = create_team(api, player, "Finishers")
    roster = cheapest_roster(api.get("/api/assets").json())
    assert api.put(f"/api/teams/{team}/roster", json=roster, headers=player.headers).status_code == 200
    lock_rosters_now(db, JAPAN_KEY)
    finish_weekend(db, JAPAN_KEY)
    detail = api.get(f"/api/teams/{team}", headers=player.headers).json()
    assert detail["selection"] is not None, "the roster vanished once the weekend was final"
    assert (detail["selection"]["drivers"], detail["selection"]["constructors"]) == (
        roster["drivers"],
        roster["constructors"],
    )
    assert detail["week"]["meeting_key"] == JAPAN_KEY
    assert detail["week"]["locked"] is False, "a final weekend is not locked: it is over"
    refused = api.put(f"/api/teams/{team}/roster", json=roster, headers=player.headers)
    assert refused.status_code == 409, "still no roster saved for a weekend that is over"


def test_seasons_are_listed(api: httpx.Client, db: str) -> None:
    assert api.get("/api/seasons").json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    seed_weekend(db, AUSTRALIA, days_ahead=-400)
    seed_weekend(db, JAPAN, days_ahead=3)
    last_year, this_year = (
        (datetime.now(UTC) - timedelta(days=400)).year,
        (datetime.now(UTC) + timedelta(days=3)).year,
    )
    with psycopg.connect(libpq_url(db), autocommit=True) as conn:  # the year of the moved weekends
        conn.execute("UPDATE meeting SET year = extract(year FROM date_start)")
    page = api.get("/api/seasons").json()
    assert page["total"] == len({last_year, this_year})
    years = [s["year"] for s in page["items"]]
    assert years == sorted({last_year, this_year}, reverse=True)
    assert sum(s["meetings"] for s in page["items"]) == 2


def test_seeding_again_with_a_future_start_opens_a_locked_weekend(api: httpx.Client, db: str) -> None:
    seed_weekend(db, JAPAN, days_ahead=-1)  # the README's old way: a weekend that is over
    player = register(api)
    team = create_team(api, player, "Late Racing")
    roster = cheapest_roster(api.get("/api/assets").json())
    refused = api.put(f"/api/teams/{team}/roster", json=roster, headers=player.headers)
    assert refused.status_code == 409
    assert refused.json()["code"] == "roster_locked"
    seed_weekend(db, JAPAN, days_ahead=2)
    accepted = api.put(f"/api/teams/{team}/roster", json=roster, headers=player.headers)
    assert accepted.status_code == 200, accepted.text
    assert api.get("/api/meetings/current").json()["locked"] is False


def test_api_seed_of_a_past_feed_gives_a_weekend_open_for_rosters(
    api: httpx.Client, db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", db)
    assert main(["api-seed", str(JAPAN)]) == 0
    out = capsys.readouterr()
    qualifying = datetime.fromisoformat(json.loads(out.out)["sessions"]["Qualifying"])
    assert qualifying > datetime.now(UTC) + timedelta(days=6)
    assert "--keep-dates" in out.err
    player = register(api)
    team = create_team(api, player, "Fresh Racing")
    roster = cheapest_roster(api.get("/api/assets").json())
    assert api.put(f"/api/teams/{team}/roster", json=roster, headers=player.headers).status_code == 200
    assert main(["api-seed", str(JAPAN), "--keep-dates"]) == 0
    kept = datetime.fromisoformat(json.loads(capsys.readouterr().out)["sessions"]["Qualifying"])
    assert kept.year == 2025


def test_the_engine_keeps_a_seeded_schedule(db: str, redis_url: str, redis_client: redis.Redis) -> None:
    seeded = seed_weekend(db, JAPAN, days_ahead=30)
    lock_rosters_now(db, JAPAN_KEY)
    settings = Settings(database_url=db, redis_url=redis_url)
    assert (
        run_replay(settings, [JAPAN], teams=5, speed=0, window=timedelta(milliseconds=500), quiet=True) == 0
    )
    starts = session_starts(db, JAPAN_KEY)
    assert starts == {name: at for name, at in seeded.sessions.items() if at is not None}
    with psycopg.connect(libpq_url(db)) as conn:
        states = {
            s for (s,) in conn.execute("SELECT state FROM race_session WHERE meeting_key = %s", (JAPAN_KEY,))
        }
    assert states == {"final"}
