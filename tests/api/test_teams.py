"""Teams: 3 a player, legal rosters within budget, the lock, transfers week to week, chips."""

from __future__ import annotations

import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from store.lock import lock_due_now, lock_rosters_now
from tests.api.helpers import (
    AUSTRALIA,
    BAHRAIN,
    JAPAN,
    Player,
    create_team,
    finish_weekend,
    register,
    roster_of,
    seed_weekend,
    set_prices,
    start_first_session,
)

DRIVERS = ["VER", "NOR", "PIA", "LEC", "HAM", "RUS", "ANT", "ALB", "SAI", "GAS", "TSU", "ALO"]
TEAMS = ["McLaren", "Ferrari", "Mercedes", "Williams"]


def put_roster(api: httpx.Client, player: Player, team: int, roster: dict[str, Any]) -> httpx.Response:
    return api.put(f"/api/teams/{team}/roster", json=roster, headers=player.headers)


def week(api: httpx.Client, player: Player, team: int) -> dict[str, Any]:
    detail = api.get(f"/api/teams/{team}", headers=player.headers)
    assert detail.status_code == 200, detail.text
    return dict(detail.json()["week"])


def test_three_teams_a_player_and_only_the_owner_sees_or_changes_one(api: httpx.Client, db: str) -> None:
    seed_weekend(db, JAPAN, days_ahead=1)
    owner, other = register(api), register(api)
    teams = [create_team(api, owner, name) for name in ("One", "Two", "Three")]
    fourth = api.post("/api/teams", json={"name": "Four"}, headers=owner.headers)
    assert fourth.status_code == 409
    assert "3 teams" in fourth.json()["detail"]
    same_name = api.post("/api/teams", json={"name": "One"}, headers=other.headers)
    assert same_name.status_code == 201  # names are per player
    assert api.post("/api/teams", json={"name": "One"}, headers=other.headers).status_code == 409
    assert [t["id"] for t in api.get("/api/teams", headers=owner.headers).json()["items"]] == teams

    roster = roster_of(DRIVERS[:5], TEAMS[:2])
    assert api.get(f"/api/teams/{teams[0]}", headers=other.headers).status_code == 403
    assert put_roster(api, other, teams[0], roster).status_code == 403
    assert (
        api.post(f"/api/teams/{teams[0]}/chips", json={"chip": "wildcard"}, headers=other.headers).status_code
        == 403
    )
    assert api.get("/api/teams/987654", headers=owner.headers).status_code == 404
    assert put_roster(api, owner, 987654, roster).status_code == 404


def test_rosters_are_legal_and_within_budget(api: httpx.Client, db: str) -> None:
    player = register(api)
    team = create_team(api, player, "Legal")
    no_weekend = put_roster(api, player, team, roster_of(DRIVERS[:5], TEAMS[:2]))
    assert no_weekend.status_code == 409
    assert "gridscore api-seed" in no_weekend.json()["detail"]

    seed_weekend(db, JAPAN, days_ahead=1)
    set_prices(db, 10.0, VER=45.0)
    cases = {
        "pick 5 different drivers": roster_of(DRIVERS[:4], TEAMS[:2]),
        "pick 2 different constructors": roster_of(DRIVERS[:5], ["McLaren", "McLaren"]),
        "not on sale this week: ZZZ": roster_of([*DRIVERS[1:5], "ZZZ"], TEAMS[:2]),
        "boosted driver NOR must be one of your drivers": roster_of(DRIVERS[2:7], TEAMS[:2], boost="NOR"),
        "costs 105.0 but the budget is 100.0: take 5.0 off": roster_of(DRIVERS[:5], TEAMS[:2]),
    }
    for reason, roster in cases.items():
        refused = put_roster(api, player, team, roster)
        assert refused.status_code == 400, (reason, refused.text)
        assert reason in refused.json()["detail"]
    ok = put_roster(api, player, team, roster_of(DRIVERS[1:6], TEAMS[:2], boost="PIA"))
    assert ok.status_code == 200, ok.text
    selection = ok.json()["selection"]
    assert (selection["cost"], selection["budget_left"], selection["boost_driver"]) == (70.0, 30.0, "PIA")


def test_the_roster_locks_when_the_first_scored_session_starts(api: httpx.Client, db: str) -> None:
    seed_weekend(db, JAPAN, days_ahead=1)
    seed_weekend(db, BAHRAIN, days_ahead=8)
    set_prices(db, 10.0)
    player = register(api)
    team = create_team(api, player, "Punctual")
    roster = roster_of(DRIVERS[:5], TEAMS[:2])
    assert put_roster(api, player, team, roster).status_code == 200
    assert api.get("/api/meetings/current").json()["locked"] is False

    start_first_session(db, 202503)
    refused = put_roster(api, player, team, roster_of(DRIVERS[1:6], TEAMS[:2]))
    assert refused.status_code == 409
    assert "locked since" in refused.json()["detail"]
    current = api.get("/api/meetings/current").json()
    assert (current["meeting_key"], current["locked"]) == (202503, True)
    history = api.get(f"/api/teams/{team}/history", headers=player.headers).json()["weekends"]
    assert [(w["meeting_key"], w["drivers"], w["boost_driver"]) for w in history] == [
        (202503, roster["drivers"], roster["boost_driver"])
    ]

    # Due weekends are locked with no request needed, by beat's lock task (run by a real worker and
    # beat in tests/tasks/test_beat.py); here, what that task runs.
    finish_weekend(db, 202503)
    start_first_session(db, 202504)
    assert [(r.meeting_key, r.already_locked) for r in lock_due_now(db)] == [(202504, False)]
    weekends = api.get(f"/api/teams/{team}/history", headers=player.headers).json()["weekends"]
    assert [w["meeting_key"] for w in weekends] == [202503, 202504]
    assert lock_rosters_now(db, 202504).already_locked
    assert lock_due_now(db) == [], "a locked weekend is not due again"


def test_transfers_two_free_a_week_one_carried_ten_points_each_extra(api: httpx.Client, db: str) -> None:
    for feed, days in ((AUSTRALIA, 1), (JAPAN, 8), (BAHRAIN, 15)):
        seed_weekend(db, feed, days_ahead=days)
    set_prices(db, 10.0)
    player = register(api)
    team = create_team(api, player, "Shuffler")

    first = roster_of(DRIVERS[:5], TEAMS[:2])
    assert put_roster(api, player, team, first).status_code == 200
    assert week(api, player, team) | {"lock_at": None} == {
        "meeting_key": 202501, "locked": False, "lock_at": None, "transfers": 0, "free_transfers": 0,
        "penalty": 0, "chip": None,
    }  # fmt: skip
    lock_rosters_now(db, 202501)
    finish_weekend(db, 202501)

    # Week 2: one change of two free ones.
    assert week(api, player, team)["free_transfers"] == 2
    second = roster_of([*DRIVERS[:4], "ALB"], TEAMS[:2])
    assert put_roster(api, player, team, second).json()["week"] | {"lock_at": None} == {
        "meeting_key": 202503, "locked": False, "lock_at": None, "transfers": 1, "free_transfers": 2,
        "penalty": 0, "chip": None,
    }  # fmt: skip
    lock_rosters_now(db, 202503)
    finish_weekend(db, 202503)

    # Week 3: 2 free + 1 carried over = 3; four changes cost 10 points.
    third = roster_of([DRIVERS[0], "SAI", "GAS", "TSU", "ALB"], [TEAMS[0], TEAMS[3]])
    settled = put_roster(api, player, team, third).json()["week"]
    assert (settled["free_transfers"], settled["transfers"], settled["penalty"]) == (3, 4, 10)
    lock_rosters_now(db, 202504)
    history = api.get(f"/api/teams/{team}/history", headers=player.headers).json()["weekends"]
    assert [(w["meeting_key"], w["transfer_penalty"]) for w in history] == [
        (202501, 0),
        (202503, 0),
        (202504, 10),
    ]


def test_chips_once_a_season_one_a_week(api: httpx.Client, db: str) -> None:
    for feed, days in ((AUSTRALIA, 1), (JAPAN, 8), (BAHRAIN, 15)):
        seed_weekend(db, feed, days_ahead=days)
    set_prices(db, 10.0, VER=70.0)
    player = register(api)
    team = create_team(api, player, "Chipper")
    chips = f"/api/teams/{team}/chips"
    first = roster_of(DRIVERS[1:6], TEAMS[:2], boost="NOR")
    assert (
        api.post(chips, json={"chip": "limitless"}, headers=player.headers).status_code == 409
    )  # no roster yet
    assert put_roster(api, player, team, first).status_code == 200

    # Week 1: Extra DRS on a second driver (x3 in the flow's roster).
    for body, reason in (
        ({"chip": "extra_drs"}, "needs extra_drs_driver"),
        ({"chip": "extra_drs", "extra_drs_driver": "VER"}, "not one of your drivers"),
        ({"chip": "extra_drs", "extra_drs_driver": "NOR"}, "boosted driver already"),
        ({"chip": "wildcard", "extra_drs_driver": "PIA"}, "only with the extra_drs chip"),
    ):
        refused = api.post(chips, json=body, headers=player.headers)
        assert refused.status_code == 400, body
        assert reason in refused.json()["detail"]
    played = api.post(chips, json={"chip": "extra_drs", "extra_drs_driver": "PIA"}, headers=player.headers)
    assert played.status_code == 201, played.text
    assert played.json()["applied_by_engine"] is True
    second = api.post(chips, json={"chip": "wildcard"}, headers=player.headers)
    assert second.status_code == 409
    assert "one chip a weekend" in second.json()["detail"]
    dropped = put_roster(
        api, player, team, roster_of(["NOR", "LEC", "HAM", "RUS", "ANT"], TEAMS[:2], boost="NOR")
    )
    assert dropped.status_code == 400
    assert "Extra DRS chip is on PIA" in dropped.json()["detail"]
    lock_rosters_now(db, 202501)
    finish_weekend(db, 202501)

    # Week 2: Wildcard, five changes for free; Extra DRS is spent for the season.
    again = api.post(chips, json={"chip": "extra_drs", "extra_drs_driver": "PIA"}, headers=player.headers)
    assert again.status_code == 409
    assert "once a season" in again.json()["detail"]
    assert api.post(chips, json={"chip": "wildcard"}, headers=player.headers).status_code == 201
    free = put_roster(api, player, team, roster_of(["ALB", "SAI", "GAS", "TSU", "ALO"], TEAMS[2:4])).json()[
        "week"
    ]
    assert (free["transfers"], free["penalty"], free["chip"]) == (7, 0, "wildcard")
    lock_rosters_now(db, 202503)
    finish_weekend(db, 202503)

    # Week 3: Limitless: no budget this weekend, and the team from before it comes back after.
    before = api.get(f"/api/teams/{team}", headers=player.headers).json()["selection"]
    assert api.post(chips, json={"chip": "limitless"}, headers=player.headers).status_code == 201
    rich = put_roster(
        api, player, team, roster_of(["VER", "NOR", "PIA", "LEC", "HAM"], TEAMS[:2], boost="VER")
    )
    assert rich.status_code == 200, rich.text
    assert (rich.json()["selection"]["cost"], rich.json()["selection"]["budget"]) == (130.0, None)
    assert rich.json()["week"]["penalty"] == 0
    lock_rosters_now(db, 202504)
    after = api.get(f"/api/teams/{team}", headers=player.headers).json()["selection"]
    assert (after["drivers"], after["constructors"]) == (before["drivers"], before["constructors"])

    history = api.get(f"/api/teams/{team}/history", headers=player.headers).json()["weekends"]
    assert [(w["meeting_key"], w["chip"], w["extra_drs_driver"], w["drivers"][0]) for w in history] == [
        (202501, "extra_drs", "PIA", "NOR"),
        (202503, "wildcard", None, "ALB"),
        (202504, "limitless", None, "VER"),
    ]
    recorded = api.get(f"/api/teams/{team}", headers=player.headers).json()["chips"]
    assert [c["chip"] for c in recorded] == ["extra_drs", "wildcard", "limitless"]


def test_final_fix_between_qualifying_and_race_and_recorded_chips(api: httpx.Client, db: str) -> None:
    seed_weekend(db, JAPAN, days_ahead=1)
    set_prices(db, 10.0)
    player = register(api)
    team, other = create_team(api, player, "Fixer"), create_team(api, player, "Pilot")
    chips = f"/api/teams/{team}/chips"
    assert put_roster(api, player, team, roster_of(DRIVERS[:5], TEAMS[:2])).status_code == 200
    fix = {"chip": "final_fix", "out_driver": "VER", "in_driver": "ALB"}
    early = api.post(chips, json=fix, headers=player.headers)
    assert early.status_code == 409
    assert "change your roster instead" in early.json()["detail"]
    for chip in ("autopilot", "no_negative"):  # the flow applies both (tests/api/test_chips_scored.py)
        body = api.post(f"/api/teams/{other}/chips", json={"chip": chip}, headers=player.headers)
        if chip == "autopilot":
            assert (body.status_code, body.json()["applied_by_engine"]) == (201, True)
        else:
            assert body.status_code == 409  # one a weekend

    lock_rosters_now(db, 202503)
    assert api.post(chips, json={**fix, "in_driver": "NOR"}, headers=player.headers).status_code == 400
    fixed = api.post(chips, json=fix, headers=player.headers)
    assert fixed.status_code == 201, fixed.text
    assert fixed.json()["detail"] == {"out": "VER", "in": "ALB"}
    weekend = api.get(f"/api/teams/{team}/history", headers=player.headers).json()["weekends"][0]
    assert (weekend["drivers"], weekend["boost_driver"]) == (["ALB", *DRIVERS[1:5]], "ALB")


def test_edits_racing_the_lock_are_either_in_the_locked_roster_or_refused(api: httpx.Client, db: str) -> None:
    seed_weekend(db, JAPAN, days_ahead=1)
    set_prices(db, 10.0)
    players = [register(api) for _ in range(4)]
    teams = [create_team(api, p, f"Racer {i}") for i, p in enumerate(players)]
    variants = [roster_of(DRIVERS[:5], TEAMS[:2]), roster_of(DRIVERS[5:10], TEAMS[2:4])]
    locked = threading.Event()
    outcomes: dict[int, list[tuple[int, int]]] = {t: [] for t in teams}

    def edit(player: Player, team: int) -> None:
        with httpx.Client(base_url=str(api.base_url), timeout=30) as client:
            for i in itertools.count():
                status = put_roster(client, player, team, variants[i % 2]).status_code
                outcomes[team].append((i % 2, status))
                if locked.is_set() and status == 409:
                    return

    with ThreadPoolExecutor(len(teams)) as pool:
        running = [pool.submit(edit, p, t) for p, t in zip(players, teams, strict=True)]
        deadline = time.monotonic() + 20  # on a loaded machine the first edits can take a while
        while not all(any(status == 200 for _, status in outcomes[t]) for t in teams):
            assert time.monotonic() < deadline, "edits got in before the lock"
            time.sleep(0.05)
        time.sleep(0.2)  # edits in flight when the lock comes
        lock_rosters_now(db, 202503)
        locked.set()
        for future in running:
            future.result(timeout=30)

    for player, team in zip(players, teams, strict=True):
        statuses = {status for _, status in outcomes[team]}
        assert statuses <= {200, 409}, outcomes[team]
        accepted = [variant for variant, status in outcomes[team] if status == 200]
        assert accepted, "each team got edits in before the lock"
        roster = api.get(f"/api/teams/{team}/history", headers=player.headers).json()["weekends"][0]
        assert roster["drivers"] == variants[accepted[-1]]["drivers"]
