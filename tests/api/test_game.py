"""The rest of the game a frontend needs: the rules, a roster's preview (cost, transfers, penalty) before
saving it, taking back a chip, renaming and deleting a team, league administration (rename, delete, hand
over) and joining a public league by its id."""

from __future__ import annotations

import httpx

from store.lock import lock_rosters_now
from tests.api.helpers import (
    AUSTRALIA,
    JAPAN,
    create_team,
    finish_weekend,
    register,
    roster_of,
    seed_weekend,
    set_prices,
    start_first_session,
)

DRIVERS = ["VER", "NOR", "PIA", "LEC", "HAM", "RUS", "ANT", "ALB", "SAI", "GAS"]
TEAMS = ["McLaren", "Ferrari", "Mercedes", "Williams"]


def test_the_rules_are_served(api: httpx.Client) -> None:
    rules = api.get("/api/rules")
    assert rules.status_code == 200, rules.text
    body = rules.json()
    assert (body["drivers"], body["constructors"], body["budget"]) == (5, 2, 100.0)
    assert (body["free_transfers_per_week"], body["penalty_per_extra_transfer"]) == (2, 10)
    assert body["max_teams_per_player"] == 3
    chips = {c["chip"]: c for c in body["chips"]}
    assert set(chips) == {"wildcard", "limitless", "extra_drs", "autopilot", "no_negative", "final_fix"}
    assert chips["final_fix"]["when"] == "after_qualifying"
    assert all(c["description"] for c in chips.values())


def test_a_preview_tells_the_penalty_before_the_transfers_are_made(api: httpx.Client, db: str) -> None:
    seed_weekend(db, AUSTRALIA, days_ahead=1)
    seed_weekend(db, JAPAN, days_ahead=8)
    set_prices(db, 10.0, VER=70.0)
    player = register(api)
    team = create_team(api, player, "Preview Racing")
    first = roster_of(DRIVERS[1:6], TEAMS[:2])
    assert api.put(f"/api/teams/{team}/roster", json=first, headers=player.headers).status_code == 200
    lock_rosters_now(db, 202501)
    finish_weekend(db, 202501)
    four_changes = roster_of(DRIVERS[5:10], TEAMS[:2])  # RUS stays: 4 drivers out, 4 in
    preview = api.post(f"/api/teams/{team}/roster/preview", json=four_changes, headers=player.headers)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert (body["meeting_key"], body["valid"], body["problems"]) == (202503, True, [])
    assert (body["transfers"], body["free_transfers"], body["penalty"]) == (4, 2, 20)
    assert body["cost"] == 70.0
    assert body["budget_left"] == 30.0
    saved = api.get(f"/api/teams/{team}", headers=player.headers).json()
    assert saved["selection"]["drivers"] == first["drivers"]  # nothing saved
    over = roster_of(["VER", *DRIVERS[1:5]], TEAMS[:2])
    refused = api.post(f"/api/teams/{team}/roster/preview", json=over, headers=player.headers).json()
    assert refused["valid"] is False
    assert any("budget" in p for p in refused["problems"])


def test_a_chip_can_be_taken_back_before_the_lock(api: httpx.Client, db: str) -> None:
    seed_weekend(db, JAPAN, days_ahead=2)
    set_prices(db, 10.0)
    player = register(api)
    team = create_team(api, player, "Undo Racing")
    api.put(f"/api/teams/{team}/roster", json=roster_of(DRIVERS[:5], TEAMS[:2]), headers=player.headers)
    chips = f"/api/teams/{team}/chips"
    assert api.delete(f"{chips}/current", headers=player.headers).json()["code"] == "not_found"
    assert api.post(chips, json={"chip": "wildcard"}, headers=player.headers).status_code == 201
    assert api.delete(f"{chips}/current", headers=player.headers).status_code == 204
    assert api.get(f"/api/teams/{team}", headers=player.headers).json()["chips"] == []
    assert api.post(chips, json={"chip": "autopilot"}, headers=player.headers).status_code == 201
    start_first_session(db, 202503)
    locked = api.delete(f"{chips}/current", headers=player.headers)
    assert locked.status_code == 409
    assert locked.json()["code"] == "roster_locked"


def test_a_team_is_renamed_and_deleted_by_its_owner_only(api: httpx.Client, db: str) -> None:
    seed_weekend(db, JAPAN, days_ahead=2)
    alice, bob = register(api), register(api)
    team = create_team(api, alice, "Old Name")
    create_team(api, alice, "Taken")
    renamed = api.patch(f"/api/teams/{team}", json={"name": "New Name"}, headers=alice.headers)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "New Name"
    assert (
        api.patch(f"/api/teams/{team}", json={"name": "Taken"}, headers=alice.headers).json()["code"]
        == "duplicate"
    )
    assert api.patch(f"/api/teams/{team}", json={"name": "Mine"}, headers=bob.headers).status_code == 403
    assert api.delete(f"/api/teams/{team}", headers=bob.headers).status_code == 403
    assert api.delete(f"/api/teams/{team}", headers=alice.headers).status_code == 204
    assert api.get(f"/api/teams/{team}", headers=alice.headers).json()["code"] == "team_not_found"
    assert api.get("/api/teams", headers=alice.headers).json()["total"] == 1


def test_league_administration_and_joining_a_public_league_by_id(api: httpx.Client, db: str) -> None:
    seed_weekend(db, JAPAN, days_ahead=2)
    alice, bob, carol = register(api), register(api), register(api)
    b_team, c_team = create_team(api, bob, "Bob GP"), create_team(api, carol, "Carol GP")
    public = api.post(
        "/api/leagues", json={"name": "Open Paddock", "is_public": True}, headers=alice.headers
    ).json()
    private = api.post("/api/leagues", json={"name": "Closed"}, headers=alice.headers).json()

    joined = api.post(f"/api/leagues/{public['id']}/join", json={"team_id": b_team}, headers=bob.headers)
    assert joined.status_code == 200, joined.text
    assert joined.json()["teams"] == 1
    refused = api.post(f"/api/leagues/{private['id']}/join", json={"team_id": c_team}, headers=carol.headers)
    assert refused.json()["code"] == "private_league"
    again = api.post(f"/api/leagues/{public['id']}/join", json={"team_id": b_team}, headers=bob.headers)
    assert again.json()["code"] == "duplicate"

    league = f"/api/leagues/{public['id']}"
    assert api.patch(league, json={"name": "Paddock"}, headers=bob.headers).status_code == 403
    renamed = api.patch(league, json={"name": "Paddock"}, headers=alice.headers)
    assert renamed.json()["name"] == "Paddock"
    outsider = api.put(f"{league}/owner", json={"user_id": carol.id}, headers=alice.headers)
    assert outsider.status_code == 400  # carol has no team in it
    handed = api.put(f"{league}/owner", json={"user_id": bob.id}, headers=alice.headers)
    assert handed.status_code == 200, handed.text
    assert handed.json()["owner_id"] == bob.id
    assert api.patch(league, json={"name": "Mine"}, headers=alice.headers).status_code == 403
    assert api.delete(league, headers=alice.headers).status_code == 403
    assert api.delete(league, headers=bob.headers).status_code == 204
    assert api.get(league, headers=bob.headers).json()["code"] == "league_not_found"
    assert api.get(f"/api/teams/{b_team}", headers=bob.headers).status_code == 200  # the team plays on
    global_id = api.get("/api/leagues/global", headers=alice.headers).json()["id"]
    assert api.delete(f"/api/leagues/{global_id}", headers=alice.headers).status_code == 409
