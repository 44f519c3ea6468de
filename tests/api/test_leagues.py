"""Leagues: create, join by code, members, privacy, the owner's powers, the global league."""

from __future__ import annotations

import httpx

from tests.api.helpers import create_team, register


def test_private_league_membership_and_owner_powers(api: httpx.Client) -> None:
    owner, guest, stranger = register(api), register(api), register(api)
    created = api.post("/api/leagues", json={"name": "Tifosi", "max_teams": 2}, headers=owner.headers)
    assert created.status_code == 201, created.text
    league = created.json()
    assert (league["is_public"], league["owner_id"], league["teams"]) == (False, owner.id, 0)
    league_id, code = league["id"], league["invite_code"]

    # A private league is the business of its owner and members only.
    for path in ("", "/members", "/leaderboard?meeting_key=202503", "/results?meeting_key=202503"):
        denied = api.get(f"/api/leagues/{league_id}{path}", headers=stranger.headers)
        assert denied.status_code == 403, (path, denied.text)
        assert "invite code" in denied.json()["detail"]
    assert api.get("/api/leagues/999999", headers=stranger.headers).status_code == 404

    owner_team, guest_team = create_team(api, owner, "O"), create_team(api, guest, "G")
    stranger_team = create_team(api, stranger, "S")
    # Only with a team of your own...
    theirs = api.post(
        "/api/leagues/join", json={"invite_code": code, "team_id": owner_team}, headers=guest.headers
    )
    assert theirs.status_code == 403
    missing = api.post(
        "/api/leagues/join", json={"invite_code": code, "team_id": 424242}, headers=guest.headers
    )
    assert missing.status_code == 404
    bad_code = api.post(
        "/api/leagues/join", json={"invite_code": "nope", "team_id": guest_team}, headers=guest.headers
    )
    assert bad_code.status_code == 404
    assert "invite code" in bad_code.json()["detail"]
    for player, team in ((guest, guest_team), (owner, owner_team)):
        joined = api.post(
            "/api/leagues/join", json={"invite_code": code, "team_id": team}, headers=player.headers
        )
        assert joined.status_code == 200, joined.text
    twice = api.post(
        "/api/leagues/join", json={"invite_code": code, "team_id": guest_team}, headers=guest.headers
    )
    assert twice.status_code == 409
    full = api.post(
        "/api/leagues/join", json={"invite_code": code, "team_id": stranger_team}, headers=stranger.headers
    )
    assert full.status_code == 409
    assert "full" in full.json()["detail"]

    members = api.get(f"/api/leagues/{league_id}/members", headers=guest.headers)
    assert members.status_code == 200
    assert sorted(m["team_id"] for m in members.json()["items"]) == sorted([owner_team, guest_team])
    assert api.get(f"/api/leagues/{league_id}", headers=guest.headers).json()["invite_code"] == code
    assert [
        lg["id"]
        for lg in api.get("/api/leagues", headers=guest.headers).json()["items"]
        if not lg["is_global"]
    ] == [league_id]

    # Only the owner rotates the code and removes teams; the old code stops working.
    assert api.post(f"/api/leagues/{league_id}/invite-code", headers=guest.headers).status_code == 403
    rotated = api.post(f"/api/leagues/{league_id}/invite-code", headers=owner.headers)
    assert rotated.status_code == 200
    new_code = rotated.json()["invite_code"]
    assert new_code != code
    assert (
        api.delete(f"/api/leagues/{league_id}/members/{owner_team}", headers=stranger.headers).status_code
        == 403
    )
    assert (
        api.delete(f"/api/leagues/{league_id}/members/{guest_team}", headers=owner.headers).status_code == 204
    )
    assert (
        api.delete(f"/api/leagues/{league_id}/members/{guest_team}", headers=owner.headers).status_code == 404
    )
    assert api.get(f"/api/leagues/{league_id}", headers=guest.headers).status_code == 403
    old = api.post(
        "/api/leagues/join", json={"invite_code": code, "team_id": guest_team}, headers=guest.headers
    )
    assert old.status_code == 404
    back = api.post(
        "/api/leagues/join", json={"invite_code": new_code, "team_id": guest_team}, headers=guest.headers
    )
    assert back.status_code == 200
    # A player may take their own team out.
    assert (
        api.delete(f"/api/leagues/{league_id}/members/{guest_team}", headers=guest.headers).status_code == 204
    )


def test_public_leagues_and_the_global_league(api: httpx.Client) -> None:
    owner, reader = register(api), register(api)
    public = api.post(
        "/api/leagues",
        json={"name": "Open Paddock", "is_public": True, "ruleset": "f1fantasy-2025"},
        headers=owner.headers,
    ).json()
    assert api.get(f"/api/leagues/{public['id']}", headers=reader.headers).status_code == 200
    listed = api.get("/api/leagues/public", headers=reader.headers).json()["items"]
    assert public["id"] in [lg["id"] for lg in listed]

    team = create_team(api, reader, "Reader Racing")
    global_league = api.get("/api/leagues/global", headers=owner.headers).json()
    assert global_league["is_global"]
    assert global_league["invite_code"] is None
    members = api.get(f"/api/leagues/{global_league['id']}/members", headers=owner.headers).json()["items"]
    assert [m["team_id"] for m in members] == [team]  # every team is in it from its creation
    assert (
        api.delete(f"/api/leagues/{global_league['id']}/members/{team}", headers=reader.headers).status_code
        == 409
    )
    assert (
        api.post(f"/api/leagues/{global_league['id']}/invite-code", headers=owner.headers).status_code == 409
    )

    unknown = api.post("/api/leagues", json={"name": "X", "ruleset": "calvinball"}, headers=owner.headers)
    assert unknown.status_code == 400
    assert "f1fantasy-2025" in unknown.json()["detail"]
    blank = api.post("/api/leagues", json={"name": "   "}, headers=owner.headers)
    assert blank.status_code == 400
