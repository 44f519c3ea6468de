"""Season-long reads after two weekends scored by the real flow (Japan and Bahrain 2025): a league's
table sums each team's final weekends (penalties off), as the weekends' own final results say; the
drivers' and constructors' season points equal the sums of their final sessions' points."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import redis

from gridscore.base.settings import Settings
from gridscore.cli.replay import run_replay
from store.lock import lock_rosters_now
from tests.api.helpers import BAHRAIN, JAPAN, cheapest_roster, create_team, register, seed_weekend

WEEKENDS = ((JAPAN, 202503), (BAHRAIN, 202504))


def test_season_tables_and_asset_points(
    api: httpx.Client, db: str, redis_url: str, redis_client: redis.Redis
) -> None:
    for feed, days in ((JAPAN, 1), (BAHRAIN, 8)):
        seed_weekend(db, feed, days_ahead=days)
    alice, bob = register(api), register(api)
    a_team, b_team = create_team(api, alice, "Alice Racing"), create_team(api, bob, "Bob GP")
    league = api.post("/api/leagues", json={"name": "Season League"}, headers=alice.headers).json()
    assets = api.get("/api/assets").json()
    for player, team, skip in ((alice, a_team, 0), (bob, b_team, 4)):
        api.post(
            "/api/leagues/join",
            json={"invite_code": league["invite_code"], "team_id": team},
            headers=player.headers,
        )
        roster = cheapest_roster(assets, skip_drivers=skip)
        assert api.put(f"/api/teams/{team}/roster", json=roster, headers=player.headers).status_code == 200
    empty = api.get(f"/api/leagues/{league['id']}/season", headers=alice.headers)
    assert (empty.status_code, empty.json()["code"]) == (404, "not_final")
    settings = Settings(database_url=db, redis_url=redis_url)
    for feed, meeting in WEEKENDS:
        lock_rosters_now(db, meeting)
        assert (
            run_replay(settings, [feed], teams=5, speed=0, window=timedelta(milliseconds=500), quiet=True)
            == 0
        )

    table = api.get(f"/api/leagues/{league['id']}/season", headers=alice.headers)
    assert table.status_code == 200, table.text
    body = table.json()
    assert (body["season"], body["final_weekends"], body["count"]) == (2025, 2, 2)
    expected: dict[int, int] = {}
    for _, meeting in WEEKENDS:
        results = api.get(
            f"/api/leagues/{league['id']}/results", params={"meeting_key": meeting}, headers=alice.headers
        ).json()
        for standing in results["standings"]:
            expected[standing["team_id"]] = expected.get(standing["team_id"], 0) + standing["points"]
    assert {s["team_id"]: s["points"] for s in body["standings"]} == expected
    assert all(s["weekends"] == 2 for s in body["standings"])
    points = [s["points"] for s in body["standings"]]
    assert points == sorted(points, reverse=True)
    assert body["standings"][0]["rank"] == 1

    everyone = api.get("/api/leagues/global", headers=alice.headers).json()["id"]
    world = api.get(f"/api/leagues/{everyone}/season", params={"limit": 200}, headers=alice.headers).json()
    assert world["count"] >= 2
    assert {s["team_id"] for s in world["standings"]} >= {a_team, b_team}

    season_assets = api.get("/api/seasons/assets", params={"season": 2025})
    assert season_assets.status_code == 200
    drivers = {d["name"]: d for d in season_assets.json()["drivers"]}
    verstappen = drivers["VER"]
    assert [w["meeting_key"] for w in verstappen["weekends"]] == [202503, 202504]
    for weekend in verstappen["weekends"]:
        meeting = api.get(f"/api/meetings/{weekend['meeting_key']}").json()
        summed = 0
        for session in meeting["sessions"]:
            read = api.get(f"/api/sessions/{session['session_key']}/points")
            if read.status_code == 200 and read.json()["final"]:
                summed += next((d["points"] for d in read.json()["drivers"] if d["name"] == "VER"), 0)
        assert weekend["points"] == summed
    assert verstappen["points"] == sum(w["points"] for w in verstappen["weekends"])
    assert len(season_assets.json()["constructors"]) == 10

    # Finishing positions: each weekend's Race classification, and each final session's, as the feeds
    # say; a constructor's is its best-placed car's.
    for feed, meeting in WEEKENDS:
        results = classified_positions(feed)
        for name, driver in drivers.items():
            weekend = next(w for w in driver["weekends"] if w["meeting_key"] == meeting)
            assert {s["session_key"]: s["position"] for s in weekend["sessions"]} == {
                session: by_driver.get(name) for session, by_driver in results.items()
            }
            assert weekend["position"] == results[max(results)].get(name)  # the Race: the later session
            assert sum(s["points"] for s in weekend["sessions"]) == weekend["points"]
        for constructor in season_assets.json()["constructors"]:
            weekend = next(w for w in constructor["weekends"] if w["meeting_key"] == meeting)
            cars = [d for d in drivers.values() if d["name"] in teams_of(feed)[constructor["name"]]]
            places = [
                p for d in cars for w in d["weekends"] if w["meeting_key"] == meeting if (p := w["position"])
            ]
            assert weekend["position"] == (min(places) if places else None)
    assert all(w["position"] is not None for w in verstappen["weekends"])  # classified both times


def feed_lines(feed: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in feed.read_text().splitlines() if line.strip()]


def classified_positions(feed: Path) -> dict[int, dict[str, int | None]]:
    """{session_key: {driver code: classified position}} of every classified session of a feed."""
    lines = feed_lines(feed)
    codes = {
        (x["payload"]["session_key"], x["payload"]["driver_number"]): x["payload"]["name_acronym"]
        for x in lines
        if x["topic"] == "v1/drivers"
    }
    results: dict[int, dict[str, int | None]] = {}
    for x in lines:
        if x["topic"] == "v1/session_result":
            key = x["payload"]["session_key"]
            results.setdefault(key, {})[codes[key, x["payload"]["driver_number"]]] = x["payload"].get(
                "position"
            )
    return results


def teams_of(feed: Path) -> dict[str, set[str]]:
    """{constructor: its drivers' codes} of a feed."""
    teams: dict[str, set[str]] = {}
    for x in feed_lines(feed):
        if x["topic"] == "v1/drivers":
            teams.setdefault(x["payload"]["team_name"], set()).add(x["payload"]["name_acronym"])
    return teams
