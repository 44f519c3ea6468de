"""Every list is one page in one envelope {items, total, limit, offset}, with a maximum page size (issue 12,
finding 4): the global league's members above all, which hold every player, and by name only."""

from __future__ import annotations

import httpx
import psycopg
import pytest

from api.lib.params import MAX_PAGE
from store.urls import libpq_url
from tests.api.helpers import create_team, register

PLAYERS = 260  # more than one maximal page


def add_players(database_url: str, league_id: int, count: int) -> None:
    """`count` players with one team each in the league, written straight to the database (registering
    hundreds through the API would only test argon2)."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as conn:
        conn.execute(
            "WITH u AS (INSERT INTO user_account (email, display_name, password_hash, created_at, updated_at)"
            " SELECT 'bulk' || i || '@example.com', 'Bulk ' || i, 'x', now(), now()"
            " FROM generate_series(1, %(n)s) AS i RETURNING id, display_name),"
            " t AS (INSERT INTO team (user_id, name, created_at, updated_at)"
            " SELECT id, display_name || ' Racing', now(), now() FROM u RETURNING id)"
            " INSERT INTO league_member (league_id, team_id) SELECT %(league)s, id FROM t",
            {"n": count, "league": league_id},
        )


def test_global_league_members_come_in_capped_pages_without_user_ids(api: httpx.Client, db: str) -> None:
    me = register(api, "pager")
    mine = create_team(api, me, "Pager Racing")
    league = api.get("/api/leagues/global", headers=me.headers).json()
    add_players(db, league["id"], PLAYERS)
    url = f"/api/leagues/{league['id']}/members"

    first = api.get(url, headers=me.headers).json()
    assert set(first) == {"items", "total", "limit", "offset"}
    assert (first["total"], first["limit"], first["offset"], len(first["items"])) == (PLAYERS + 1, 50, 0, 50)

    seen: list[int] = []
    offset = 0
    while offset < first["total"]:
        page = api.get(url, params={"offset": offset, "limit": MAX_PAGE}, headers=me.headers).json()
        assert len(page["items"]) == min(MAX_PAGE, first["total"] - offset)
        seen += [m["team_id"] for m in page["items"]]
        offset += MAX_PAGE
    assert seen == sorted(set(seen))
    assert len(seen) == PLAYERS + 1
    assert api.get(url, params={"offset": PLAYERS + 5}, headers=me.headers).json()["items"] == []

    for member in first["items"]:
        assert set(member) == {"team_id", "team_name", "display_name", "mine"}  # no user id
        assert member["mine"] is (member["team_id"] == mine)
    assert first["items"][0] == {
        "team_id": mine,
        "team_name": "Pager Racing",
        "display_name": "pager",
        "mine": True,
    }

    for params in ({"limit": MAX_PAGE + 1}, {"limit": 0}, {"offset": -1}, {"limit": "all"}):
        refused = api.get(url, params=params, headers=me.headers)
        assert refused.status_code == 400, (params, refused.text)


@pytest.mark.parametrize(
    "path",
    ["/api/teams", "/api/leagues", "/api/leagues/public", "/api/meetings", "/api/leagues/{global}/members"],
)
def test_every_list_is_a_capped_page(api: httpx.Client, path: str) -> None:
    player = register(api)
    teams = [create_team(api, player, f"Team {i}") for i in range(3)]
    for i in range(3):
        assert api.post(
            "/api/leagues", json={"name": f"L{i}", "is_public": True}, headers=player.headers
        ).is_success
    global_id = api.get("/api/leagues/global", headers=player.headers).json()["id"]
    url = path.format(**{"global": global_id})
    whole = api.get(url, headers=player.headers)
    assert whole.status_code == 200, whole.text
    body = whole.json()
    assert set(body) == {"items", "total", "limit", "offset"}
    assert body["total"] == len(body["items"])
    if path != "/api/meetings":  # no weekend is seeded here
        assert body["total"] >= 3
        second = api.get(url, params={"offset": 1, "limit": 1}, headers=player.headers).json()
        assert (second["total"], second["limit"], second["offset"]) == (body["total"], 1, 1)
        assert second["items"] == body["items"][1:2]
    if path == "/api/teams":
        assert [t["id"] for t in body["items"]] == teams
    assert api.get(url, params={"limit": MAX_PAGE + 1}, headers=player.headers).status_code == 400
