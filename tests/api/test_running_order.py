"""The live running order over real HTTP: the engine (the real flow, `run_replay`) writes each session's
order with its driver points into Redis, the API reads it (GET) and pushes it (SSE, ticket auth, event ids,
resume); `as_of` carries the window's session clock as well as the version, on every live body.

Real uvicorn, PostgreSQL and Redis. A race cut off mid-way (Silverstone 2023, whose feed has OpenF1
position messages) gives a provisional order; Japan 2025 gives classified, final ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from api.app import create_app
from api.config import ApiConfig
from tests.api.helpers import JAPAN, Player, register, seed_weekend
from tests.api.server import serving
from tests.api.sse import open_stream
from tests.api.test_live_push import paddock, refused, replay
from tests.conftest import FEEDS

BRITAIN = FEEDS / "2023-10-britain.jsonl"
BRITAIN_RACE = 2023104
JAPAN_MEETING, JAPAN_QUALIFYING, JAPAN_RACE = 202503, 2025033, 2025034


@pytest.fixture(scope="module")
def order_url(api_config: ApiConfig) -> Iterator[str]:
    """A server whose streams re-read only every 5 minutes: what arrives sooner was pushed."""
    config = replace(
        api_config,
        live_keepalive_s=300.0,
        live_push_interval_s=0.2,
        live_stream_max_s=600.0,
        live_ticket_ttl=timedelta(seconds=30),
    )
    with serving(create_app(config)) as url:
        yield url


@pytest.fixture
def client(order_url: str, db: str, redis_client: redis.Redis) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=order_url, timeout=20) as http:
        yield http


def lines(feed: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in feed.read_text().splitlines() if line.strip()]


def race_cut_mid_way(folder: Path) -> tuple[Path, list[dict[str, Any]]]:
    """Silverstone's lines up to the middle of the Race's position messages (no classification)."""
    everything = lines(BRITAIN)
    positions = [i for i, line in enumerate(everything) if line["topic"] == "v1/position"]
    kept = everything[: positions[len(positions) // 2] + 1]
    assert not [
        x for x in kept if x["topic"] == "v1/session_result" and x["payload"]["session_key"] == BRITAIN_RACE
    ]
    feed = folder / "britain-mid-race.jsonl"
    feed.write_text("".join(json.dumps(line) + "\n" for line in kept))
    return feed, kept


def expected_running_order(kept: list[dict[str, Any]], session_key: int) -> list[tuple[int, str]]:
    """(position, code) of every car by its newest position message, as a reader of the feed sees it: a
    place two cars claim is the newer claim's, the older one moves down to the next free place."""
    codes = {
        x["payload"]["driver_number"]: x["payload"]["name_acronym"]
        for x in kept
        if x["topic"] == "v1/drivers" and x["payload"]["session_key"] == session_key
    }
    newest: dict[int, tuple[str, int]] = {}
    for x in kept:
        payload = x["payload"]
        if x["topic"] == "v1/position" and payload["session_key"] == session_key:
            held = newest.get(payload["driver_number"])
            if held is None or payload["date"] >= held[0]:
                newest[payload["driver_number"]] = (payload["date"], payload["position"])
    claims = sorted(
        (position, -datetime.fromisoformat(date).timestamp(), number)
        for number, (date, position) in newest.items()
    )
    order: list[tuple[int, str]] = []
    for position, _, number in claims:
        order.append((max(position, order[-1][0] + 1 if order else 0), codes[number]))
    return order


def classified(session_key: int) -> dict[str, int | None]:
    """Each driver's classified position in a Japan session, from the feed."""
    feed = lines(JAPAN)
    codes = {
        x["payload"]["driver_number"]: x["payload"]["name_acronym"]
        for x in feed
        if x["topic"] == "v1/drivers" and x["payload"]["session_key"] == session_key
    }
    return {
        codes[x["payload"]["driver_number"]]: x["payload"].get("position")
        for x in feed
        if x["topic"] == "v1/session_result" and x["payload"]["session_key"] == session_key
    }


def session_points(client: httpx.Client, session_key: int) -> dict[str, int]:
    read = client.get(f"/api/sessions/{session_key}/points")
    assert read.status_code == 200, read.text
    return {d["name"]: d["points"] for d in read.json()["drivers"]}


def ticket(client: httpx.Client, player: Player) -> str:
    issued = client.post("/api/live/tickets", headers=player.headers)
    assert issued.status_code == 201, issued.text
    return str(issued.json()["ticket"])


def running_order(client: httpx.Client, session_key: int, **params: int) -> dict[str, Any]:
    read = client.get(f"/api/sessions/{session_key}/running-order", params=params)
    assert read.status_code == 200, read.text
    return dict(read.json())


def test_a_race_in_progress_has_a_provisional_running_order_read_and_pushed(
    client: httpx.Client, db: str, redis_url: str, tmp_path: Path
) -> None:
    feed, kept = race_cut_mid_way(tmp_path)
    player = register(client)
    unknown = refused(
        client, f"/api/live/sessions/{BRITAIN_RACE}/running-order", {"ticket": ticket(client, player)}
    )
    assert unknown[0] == 404  # neither in the calendar nor scored: no weekend to follow
    missing = client.get(f"/api/sessions/{BRITAIN_RACE}/running-order")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_started")

    seed_weekend(db, BRITAIN, days_ahead=-1)  # in the calendar: a stream waits for its first window
    params = {"ticket": ticket(client, player)}
    with open_stream(client, f"/api/live/sessions/{BRITAIN_RACE}/running-order", params) as events:
        assert events.next().comments == ("no live scores yet: they come with the first scored window",)
        replay(db, redis_url, feed)
        body = running_order(client, BRITAIN_RACE)
        pushed = events.until(lambda m: m.json() == body, timeout_s=15)[-1]
        assert pushed.event == "running_order"
        assert pushed.id == str(body["as_of"]["version"])

    assert (body["session_key"], body["session_name"], body["final"]) == (BRITAIN_RACE, "Race", False)
    assert (body["total"], body["offset"], body["limit"]) == (20, 0, 200)
    order = [(i["position"], i["driver"]["code"]) for i in body["items"]]
    assert order == expected_running_order(kept, BRITAIN_RACE)
    assert [position for position, _ in order] == sorted({position for position, _ in order})  # one a place
    assert all(i["provisional"] for i in body["items"])
    points = session_points(client, BRITAIN_RACE)  # the session's live driver points, itemised
    assert {i["driver"]["code"]: i["points"] for i in body["items"]} == points
    assert len(set(points.values())) > 1
    hamilton = next(i["driver"] for i in body["items"] if i["driver"]["code"] == "HAM")
    assert (hamilton["number"], hamilton["constructor"]) == (44, "Mercedes")
    assert hamilton["name"]

    # as_of: the version, and the session clock its window closed at: no earlier than the last move of
    # the order, no later than a window after the newest event of the cut.
    moves = sorted(
        (x["payload"]["date"], x["payload"]["driver_number"], x["payload"]["position"])
        for x in kept
        if x["topic"] == "v1/position" and x["payload"]["session_key"] == BRITAIN_RACE
    )
    held: dict[int, int] = {}
    last_move = moves[0][0]
    for date, number, position in moves:
        if held.get(number) != position:
            held[number], last_move = position, date
    window_time = datetime.fromisoformat(body["as_of"]["window_time"])
    newest = datetime.fromisoformat(moves[-1][0])
    assert datetime.fromisoformat(last_move) <= window_time <= newest + timedelta(seconds=1)

    live_points = client.get(f"/api/sessions/{BRITAIN_RACE}/points").json()
    assert (live_points["source"], live_points["as_of"]) == ("live", body["as_of"])  # the same window

    page = running_order(client, BRITAIN_RACE, offset=3, limit=5)
    assert page["items"] == body["items"][3:8]
    assert (page["total"], page["offset"], page["limit"]) == (20, 3, 5)
    assert client.get(f"/api/sessions/{BRITAIN_RACE}/running-order", params={"limit": 0}).status_code == 400

    # Resuming with the last event's id: nothing new to send, so no repeat.
    params = {"ticket": ticket(client, player)}
    headers = {"Last-Event-ID": pushed.id or ""}
    with open_stream(client, f"/api/live/sessions/{BRITAIN_RACE}/running-order", params, headers) as again:
        assert again.next().comments == (f"resumed after event {pushed.id}: no change since",)


def test_classified_sessions_have_final_orders_and_every_live_body_has_its_window_time(
    client: httpx.Client, db: str, redis_url: str
) -> None:
    p = paddock(client, db)
    replay(db, redis_url, JAPAN)
    for session_key in (JAPAN_QUALIFYING, JAPAN_RACE):
        body = running_order(client, session_key)
        assert body["final"]
        assert not any(i["provisional"] for i in body["items"])
        expected = classified(session_key)
        assert {i["driver"]["code"]: i["position"] for i in body["items"]} == expected
        placed = [i["position"] for i in body["items"] if i["position"] is not None]
        assert placed == sorted(placed)
        assert placed[0] == 1
        assert {i["driver"]["code"]: i["points"] for i in body["items"]} == session_points(
            client, session_key
        )

    race = running_order(client, JAPAN_RACE)
    final_points = client.get(f"/api/sessions/{JAPAN_RACE}/points").json()
    assert (final_points["source"], final_points["as_of"]) == ("final", None)  # Postgres: not a live body
    score = client.get(
        f"/api/teams/{p.a_team}/score", params={"meeting_key": JAPAN_MEETING}, headers=p.alice.headers
    ).json()
    board = client.get(
        f"/api/leagues/{p.league_id}/leaderboard",
        params={"meeting_key": JAPAN_MEETING},
        headers=p.bob.headers,
    ).json()
    # The last window scored was the Race's: all three bodies stand at the same version and session clock.
    assert score["as_of"] == board["as_of"] == race["as_of"]
    window_time = datetime.fromisoformat(race["as_of"]["window_time"])
    starts = [x["payload"]["date_start"] for x in lines(JAPAN) if x["topic"] == "v1/sessions"]
    assert window_time >= datetime.fromisoformat(max(starts))
    assert isinstance(race["as_of"]["version"], int)
