"""Autopilot, No Negative, Final Fix and transfer penalties count where ranks are made: in the flow's team
totals (Redis, live) and final results (Postgres), read back over real HTTP."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis

from dataflows.runner import score_feeds
from gridscore.base.settings import Settings
from gridscore.cli.replay import run_replay
from store import live_keys
from store.lock import lock_rosters_now
from store.urls import libpq_url
from tests.api.helpers import (
    AUSTRALIA,
    JAPAN,
    create_team,
    finish_weekend,
    register,
    roster_of,
    seed_weekend,
    set_prices,
)
from tests.api.test_journey import competition_ranks, expected_total, weekend_totals

AUSTRALIA_MEETING, MEETING = 202501, 202503
JAPAN_SESSIONS = (2025033, 2025034)  # Qualifying, Race


def positive_items(client: redis.Redis) -> dict[str, dict[str, int]]:
    """Each asset's positive items over the weekend, summed from the sessions' published breakdowns."""
    kept: dict[str, dict[str, int]] = {"drivers": {}, "constructors": {}}
    for session in JAPAN_SESSIONS:
        document = json.loads(client.get(live_keys.session_assets(session)) or b"{}")
        for kind in kept:
            for name, asset in document[kind].items():
                gained = sum(v for v in asset["breakdown"].values() if v > 0)
                kept[kind][name] = kept[kind].get(name, 0) + gained
    return kept


def qualifying_points(folder: Path) -> dict[str, int]:
    """Each driver's Qualifying points (the Japan feed's Qualifying alone, scored)."""
    lines = [
        line
        for line in JAPAN.read_text().splitlines()
        if json.loads(line)["payload"].get("session_key") == JAPAN_SESSIONS[0]
    ]
    feed = folder / "japan-qualifying.jsonl"
    feed.write_text("\n".join(lines) + "\n")
    return score_feeds([feed]).drivers


def test_chips_and_penalties_are_in_the_flows_totals_ranks_and_results(
    api: httpx.Client, db: str, redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    seed_weekend(db, AUSTRALIA, days_ahead=1)
    seed_weekend(db, JAPAN, days_ahead=8)
    set_prices(db, 10.0)  # every roster fits the budget
    player = register(api)
    pilot, shield, shuffler = (create_team(api, player, name) for name in ("Pilot", "Shield", "Shuffler"))
    totals = weekend_totals(JAPAN)
    drivers = sorted(totals["drivers"], key=lambda name: (totals["drivers"][name], name))
    constructors = sorted(totals["constructors"], key=lambda name: (totals["constructors"][name], name))

    # Week 1 (Australia): the Shuffler's team; then three changes in week 2 cost 10 points.
    first = roster_of(drivers[-5:], constructors[-2:])
    assert api.put(f"/api/teams/{shuffler}/roster", json=first, headers=player.headers).status_code == 200
    lock_rosters_now(db, AUSTRALIA_MEETING)
    finish_weekend(db, AUSTRALIA_MEETING)
    changed = roster_of([*drivers[-5:-2], drivers[0], drivers[1]], [constructors[-1], constructors[0]])
    week = api.put(f"/api/teams/{shuffler}/roster", json=changed, headers=player.headers).json()["week"]
    assert (week["transfers"], week["free_transfers"], week["penalty"]) == (3, 2, 10)

    # Pilot boosts the weakest of its drivers; Autopilot moves the boost to the weekend's best one,
    # `weekend_best`, though `qualifying_best` beat it in Qualifying.
    qualifying_totals = qualifying_points(tmp_path)
    weekend_best, qualifying_best = next(
        (a, b)
        for a in reversed(drivers)
        for b in drivers
        if totals["drivers"][b] < totals["drivers"][a] and qualifying_totals[b] > qualifying_totals[a]
    )
    weak = [d for d in drivers if d not in (weekend_best, qualifying_best)][:3]
    pilot_roster = roster_of([*weak, qualifying_best, weekend_best], constructors[:2], boost=weak[0])
    # Shield has the weekend's weakest assets, whose negative items No Negative sets to 0.
    shield_roster = roster_of(drivers[:5], constructors[:2], boost=drivers[0])
    for team, roster, chip in ((pilot, pilot_roster, "autopilot"), (shield, shield_roster, "no_negative")):
        assert api.put(f"/api/teams/{team}/roster", json=roster, headers=player.headers).status_code == 200
        played = api.post(f"/api/teams/{team}/chips", json={"chip": chip}, headers=player.headers)
        assert (played.status_code, played.json()["applied_by_engine"]) == (201, True), played.text
    # A second player's team swaps its boosted driver between Qualifying and the Race (Final Fix).
    fixer_player = register(api)
    fixer = create_team(api, fixer_player, "Fixer")
    fixer_roster = roster_of(drivers[-5:], constructors[-2:], boost=drivers[-1])
    saved = api.put(f"/api/teams/{fixer}/roster", json=fixer_roster, headers=fixer_player.headers)
    assert saved.status_code == 200
    lock_rosters_now(db, MEETING)
    fix = {"chip": "final_fix", "out_driver": drivers[-1], "in_driver": drivers[0]}
    fixed = api.post(f"/api/teams/{fixer}/chips", json=fix, headers=fixer_player.headers)
    assert fixed.status_code == 201, fixed.text
    race_roster = {**fixer_roster, "drivers": [*drivers[-5:-1], drivers[0]], "boost_driver": drivers[0]}

    settings = Settings(database_url=db, redis_url=redis_url)
    window = timedelta(milliseconds=500)
    assert run_replay(settings, [JAPAN], teams=4, speed=0, window=window, quiet=True) == 0

    kept = positive_items(redis_client)
    qualifying_document = json.loads(redis_client.get(live_keys.session_assets(JAPAN_SESSIONS[0])) or b"{}")
    qualifying = {name: asset["total"] for name, asset in qualifying_document["drivers"].items()}
    assert kept != {k: totals[k] for k in kept}, "some of the weakest assets lost points in an item"
    best = max(totals["drivers"][name] for name in pilot_roster["drivers"])
    plain_pilot = expected_total(pilot_roster, totals, None)
    net: dict[int, int] = {
        pilot: plain_pilot - totals["drivers"][weak[0]] + best,
        shield: expected_total(shield_roster, kept, None),
        shuffler: expected_total(changed, totals, None) - 10,
        # The Race's roster for the weekend, but Qualifying with the driver it replaced (boosted).
        fixer: expected_total(race_roster, totals, None)
        + 2 * (qualifying[drivers[-1]] - qualifying[drivers[0]]),
    }
    assert net[fixer] != expected_total(race_roster, totals, None)
    assert net[pilot] > plain_pilot
    assert net[shield] > expected_total(shield_roster, totals, None)
    ranks = competition_ranks(net)

    for team, penalty, chip in ((pilot, 0, "autopilot"), (shield, 0, "no_negative"), (shuffler, 10, None)):
        score = api.get(f"/api/teams/{team}/score", params={"meeting_key": MEETING}, headers=player.headers)
        assert score.status_code == 200, score.text
        body: dict[str, Any] = score.json()
        assert (body["net_points"], body["transfer_penalty"], body["chip"]) == (net[team], penalty, chip)
        assert body["points"] == net[team] + penalty == sum(a["team_points"] for a in body["assets"])
        assert body["rank"] == ranks[team]
    pilot_assets = api.get(
        f"/api/teams/{pilot}/score", params={"meeting_key": MEETING}, headers=player.headers
    )
    boosted = [a["name"] for a in pilot_assets.json()["assets"] if a["multiplier"] == 2]
    assert len(boosted) == 1
    assert totals["drivers"][boosted[0]] == best

    fixer_score = api.get(
        f"/api/teams/{fixer}/score", params={"meeting_key": MEETING}, headers=fixer_player.headers
    ).json()
    assert (fixer_score["net_points"], fixer_score["rank"]) == (net[fixer], ranks[fixer])
    assert fixer_score["chip"] == "final_fix"
    assert sum(a["team_points"] for a in fixer_score["assets"]) == fixer_score["points"] == net[fixer]
    split = {a["part"]: (a["name"], a["points"], a["multiplier"]) for a in fixer_score["assets"] if a["part"]}
    assert split == {
        "before the Race": (drivers[-1], qualifying[drivers[-1]], 2),
        "from the Race": (drivers[0], totals["drivers"][drivers[0]] - qualifying[drivers[0]], 2),
    }

    # Final (Postgres): the weekend's points and rank after the Race, as the flow wrote them.
    for team, owner in ((pilot, player), (shield, player), (shuffler, player), (fixer, fixer_player)):
        history = api.get(f"/api/teams/{team}/history", headers=owner.headers).json()["weekends"]
        japan = next(w for w in history if w["meeting_key"] == MEETING)
        assert (japan["final"], japan["net_points"], japan["rank"]) == (True, net[team], ranks[team])
        assert japan["points"] == net[team] + japan["transfer_penalty"]  # before the penalty, as in /score

    # Each session's own points add up to the weekend's, before the penalty (a Final Fix splits at
    # the Race). Autopilot's choice is made after the fact: the Qualifying row, as of Qualifying,
    # boosts the best driver then; the Race row boosts the weekend's best, as the weekend total does.
    with psycopg.connect(libpq_url(db)) as conn:
        rows = conn.execute(
            "SELECT team_id, session_key, session_points, weekend_points FROM team_result"
            " WHERE session_key = ANY(%s)",
            (list(JAPAN_SESSIONS),),
        ).fetchall()
    session_points = {(team, session): points for team, session, points, _ in rows}
    weekend_points = {team: points for team, session, _, points in rows if session == JAPAN_SESSIONS[1]}
    for team, penalty in ((shield, 0), (shuffler, 10), (fixer, 0)):
        both = session_points[team, JAPAN_SESSIONS[0]] + session_points[team, JAPAN_SESSIONS[1]]
        assert both - penalty == weekend_points[team] == net[team]
    constructors_q = {name: asset["total"] for name, asset in qualifying_document["constructors"].items()}
    pilot_q = sum(qualifying[d] for d in pilot_roster["drivers"])
    pilot_q += sum(constructors_q[c] for c in pilot_roster["constructors"])
    assert session_points[pilot, JAPAN_SESSIONS[0]] == pilot_q + qualifying[qualifying_best]
    assert session_points[pilot, JAPAN_SESSIONS[1]] == net[pilot] - (pilot_q + qualifying[weekend_best])
