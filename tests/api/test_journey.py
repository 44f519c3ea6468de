"""The whole journey over real HTTP: players, a league, teams, the lock, a replay, live and final reads."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from gridscore.base.settings import Settings
from gridscore.cli.replay import run_replay
from store.lock import lock_rosters_now
from tests.api.helpers import JAPAN, create_team, register, seed_weekend

MEETING = 202503
RACE = 2025034
GENERATED_TOTAL = 30  # rosters for the weekend after the replay tops them up with generated teams


def weekend_totals(feed: Path) -> dict[str, dict[str, int]]:
    """`gridscore score --json`: the asset totals the expectations are computed from."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "gridscore"), "score", str(feed), "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(done.stdout)


def expected_total(roster: dict[str, Any], totals: dict[str, dict[str, int]], extra_drs: str | None) -> int:
    points = 0
    for driver in roster["drivers"]:
        weight = 2 if driver == roster["boost_driver"] else 3 if driver == extra_drs else 1
        points += totals["drivers"].get(driver, 0) * weight
    return points + sum(totals["constructors"].get(c, 0) for c in roster["constructors"])


def competition_ranks(points: dict[int, int]) -> dict[int, int]:
    return {team: 1 + sum(1 for other in points.values() if other > p) for team, p in points.items()}


def test_register_league_teams_lock_replay_and_read_back(api: httpx.Client, db: str, redis_url: str) -> None:
    seed_weekend(db, JAPAN, days_ahead=2)
    alice, bob, carol = register(api, "alice"), register(api, "bob"), register(api, "carol")

    league = api.post(
        "/api/leagues",
        json={"name": "Paddock Club", "max_teams": 10, "is_public": False},
        headers=alice.headers,
    )
    assert league.status_code == 201, league.text
    league_id, code = league.json()["id"], league.json()["invite_code"]

    a_team, b_team = create_team(api, alice, "Alice Racing"), create_team(api, bob, "Bob Motorsport")
    for player, team in ((alice, a_team), (bob, b_team)):
        joined = api.post(
            "/api/leagues/join", json={"invite_code": code, "team_id": team}, headers=player.headers
        )
        assert joined.status_code == 200, joined.text
    members = api.get(f"/api/leagues/{league_id}/members", headers=bob.headers).json()["items"]
    assert {m["team_id"] for m in members} == {a_team, b_team}
    assert api.get(f"/api/leagues/{league_id}", headers=carol.headers).status_code == 403

    totals = weekend_totals(JAPAN)
    assets = api.get("/api/assets").json()
    assert assets["meeting_key"] == MEETING
    price = {a["name"]: a["price"] for a in assets["drivers"] + assets["constructors"]}
    by_points = sorted(assets["drivers"], key=lambda a: -totals["drivers"].get(a["name"], 0))
    cheap = sorted(assets["drivers"], key=lambda a: a["price"])
    constructors = sorted(assets["constructors"], key=lambda a: a["price"])
    # Alice: the best scorer plus the four cheapest others; Bob: the five cheapest, with Extra DRS.
    star = by_points[0]["name"]
    a_drivers = [star, *[d["name"] for d in cheap if d["name"] != star][:4]]
    rosters = {
        a_team: {
            "drivers": a_drivers,
            "constructors": [c["name"] for c in constructors[:2]],
            "boost_driver": star,
        },
        b_team: {
            "drivers": [d["name"] for d in cheap[:5]],
            "constructors": [c["name"] for c in constructors[1:3]],
            "boost_driver": cheap[0]["name"],
        },
    }
    for player, team in ((alice, a_team), (bob, b_team)):
        assert sum(price[x] for x in rosters[team]["drivers"] + rosters[team]["constructors"]) <= 100.0
        saved = api.put(f"/api/teams/{team}/roster", json=rosters[team], headers=player.headers)
        assert saved.status_code == 200, saved.text
        assert saved.json()["selection"]["budget_left"] >= 0
    extra = rosters[b_team]["drivers"][1]
    chip = api.post(
        f"/api/teams/{b_team}/chips",
        json={"chip": "extra_drs", "extra_drs_driver": extra},
        headers=bob.headers,
    )
    assert chip.status_code == 201, chip.text

    # Other players' teams are theirs alone to change.
    stolen = api.put(f"/api/teams/{a_team}/roster", json=rosters[b_team], headers=bob.headers)
    assert stolen.status_code == 403
    assert "another player" in stolen.json()["detail"]

    locked = lock_rosters_now(db, MEETING)
    assert (locked.rosters, locked.already_locked) == (2, False)
    assert lock_rosters_now(db, MEETING).already_locked  # idempotent
    late = api.put(f"/api/teams/{a_team}/roster", json=rosters[a_team], headers=alice.headers)
    assert late.status_code == 409
    assert "locked" in late.json()["detail"]

    assert (
        run_replay(
            Settings(database_url=db, redis_url=redis_url),
            [JAPAN],
            teams=GENERATED_TOTAL,
            speed=0,
            window=timedelta(milliseconds=500),
            quiet=True,
        )
        == 0
    )

    expected = {
        a_team: expected_total(rosters[a_team], totals, None),
        b_team: expected_total(rosters[b_team], totals, extra),
    }
    ranks = competition_ranks(expected)

    # Live (Redis): each team's score with its breakdown, and the league's leaderboard.
    for player, team in ((alice, a_team), (bob, b_team)):
        score = api.get(f"/api/teams/{team}/score", params={"meeting_key": MEETING}, headers=player.headers)
        assert score.status_code == 200, score.text
        body = score.json()
        assert body["points"] == expected[team]
        assert sum(a["team_points"] for a in body["assets"]) == expected[team]
        assert {a["name"]: a["multiplier"] for a in body["assets"] if a["multiplier"] > 1} == (
            {rosters[team]["boost_driver"]: 2} | ({extra: 3} if team == b_team else {})
        )
    live = api.get(
        f"/api/leagues/{league_id}/leaderboard", params={"meeting_key": MEETING}, headers=bob.headers
    )
    assert live.status_code == 200, live.text
    standings = live.json()["standings"]
    assert live.json()["count"] == 2
    assert [s["points"] for s in standings] == sorted(expected.values(), reverse=True)
    assert {s["team_id"]: (s["rank"], s["points"]) for s in standings} == {
        t: (ranks[t], expected[t]) for t in expected
    }
    assert {s["team_name"] for s in standings} == {"Alice Racing", "Bob Motorsport"}

    # Final (Postgres): the same standings, ranked in SQL after the Race.
    final = api.get(
        f"/api/leagues/{league_id}/results", params={"meeting_key": MEETING}, headers=alice.headers
    )
    assert final.status_code == 200, final.text
    assert final.json()["session_key"] == RACE
    assert [(s["team_id"], s["rank"], s["points"]) for s in final.json()["standings"]] == [
        (s["team_id"], s["rank"], s["points"]) for s in standings
    ]

    # The global league holds every team: live and final agree, page by page.
    global_id = api.get("/api/leagues/global", headers=carol.headers).json()["id"]
    pages = []
    for source in ("leaderboard", "results"):
        first = api.get(
            f"/api/leagues/{global_id}/{source}",
            params={"meeting_key": MEETING, "offset": 0, "limit": 20},
            headers=carol.headers,
        ).json()
        second = api.get(
            f"/api/leagues/{global_id}/{source}",
            params={"meeting_key": MEETING, "offset": 20, "limit": 20},
            headers=carol.headers,
        ).json()
        assert first["count"] == GENERATED_TOTAL
        rows = [(s["rank"], s["team_id"], s["points"]) for s in first["standings"] + second["standings"]]
        assert len(rows) == GENERATED_TOTAL
        assert [r[2] for r in rows] == sorted((r[2] for r in rows), reverse=True)
        pages.append(rows)
    assert pages[0] == pages[1]

    # History, weekend state, and asset points per session read back from the final results.
    history = api.get(f"/api/teams/{b_team}/history", headers=alice.headers).json()["weekends"]
    assert [(w["meeting_key"], w["final"], w["net_points"], w["extra_drs_driver"]) for w in history] == [
        (MEETING, True, expected[b_team], extra)
    ]
    meeting = api.get(f"/api/meetings/{MEETING}").json()
    assert meeting["state"] == "final"
    assert {s["state"] for s in meeting["sessions"]} == {"final"}
    assert meeting["locked"] is False
    summed: dict[str, int] = {}
    for session in meeting["sessions"]:
        points = api.get(f"/api/sessions/{session['session_key']}/points").json()
        assert points["source"] == "final"
        for asset in points["drivers"]:
            assert sum(asset["breakdown"].values()) == asset["points"]
            summed[asset["name"]] = summed.get(asset["name"], 0) + asset["points"]
    assert {k: v for k, v in summed.items() if v} == {k: v for k, v in totals["drivers"].items() if v}
