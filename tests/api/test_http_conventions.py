"""HTTP conventions a frontend relies on, over real HTTP: ETag and Cache-Control on reads with 304 for
If-None-Match; gzip; `as_of` and `final` on live scores (after a weekend replayed by the real flow); live
stream events with `id:` that a reconnect with Last-Event-ID resumes from."""

from __future__ import annotations

import gzip
from datetime import timedelta

import httpx
import redis

from gridscore.base.settings import Settings
from gridscore.cli.replay import run_replay
from store.live_keys import meeting_version, meeting_window_time
from store.lock import lock_rosters_now
from tests.api.helpers import AUSTRALIA, JAPAN, cheapest_roster, create_team, register, seed_weekend
from tests.api.sse import EventReader

MEETING = 202503


def test_reads_carry_an_etag_and_answer_304_when_unchanged(api: httpx.Client, db: str) -> None:
    seed_weekend(db, JAPAN, days_ahead=2)
    first = api.get("/api/meetings")
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "public, no-cache"
    again = api.get("/api/meetings", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert api.get("/api/meetings", headers={"If-None-Match": '"other"'}).status_code == 200
    seed_weekend(db, AUSTRALIA, days_ahead=9)  # the calendar changes: so does the tag
    changed = api.get("/api/meetings", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    player = register(api)
    mine = api.get("/api/teams", headers=player.headers)
    assert mine.headers["cache-control"] == "private, no-cache"
    assert (
        api.get("/api/teams", headers={**player.headers, "If-None-Match": mine.headers["etag"]}).status_code
        == 304
    )
    write = api.post("/api/teams", json={"name": "No Tag"}, headers=player.headers)
    assert "etag" not in write.headers


def test_large_bodies_are_gzipped_with_a_stable_etag(api_url: str) -> None:
    with httpx.Client(base_url=api_url, headers={"Accept-Encoding": "gzip"}) as client:
        with client.stream("GET", "/schema/openapi.json") as response:
            raw = b"".join(response.iter_raw())
            assert response.headers["content-encoding"] == "gzip"
            etag = response.headers["etag"]
        assert len(raw) < len(gzip.decompress(raw)) / 4
        assert client.get("/schema/openapi.json").headers["etag"] == etag
        assert client.get("/schema/openapi.json", headers={"If-None-Match": etag}).status_code == 304
    with httpx.Client(base_url=api_url, headers={"Accept-Encoding": "identity"}) as client:
        plain = client.get("/schema/openapi.json")
        assert "content-encoding" not in plain.headers
        assert plain.headers["etag"] == etag  # the content's tag, whatever the encoding


def test_live_scores_say_what_state_they_show_and_streams_resume(
    api: httpx.Client, db: str, redis_url: str, redis_client: redis.Redis
) -> None:
    seed_weekend(db, JAPAN, days_ahead=2)
    player = register(api)
    team = create_team(api, player, "As Of Racing")
    roster = cheapest_roster(api.get("/api/assets").json())
    assert api.put(f"/api/teams/{team}/roster", json=roster, headers=player.headers).status_code == 200
    league = api.post("/api/leagues", json={"name": "As Of League"}, headers=player.headers).json()
    api.post(
        "/api/leagues/join",
        json={"invite_code": league["invite_code"], "team_id": team},
        headers=player.headers,
    )
    lock_rosters_now(db, MEETING)
    settings = Settings(database_url=db, redis_url=redis_url)
    assert (
        run_replay(settings, [JAPAN], teams=5, speed=0, window=timedelta(milliseconds=500), quiet=True) == 0
    )
    version = int(redis_client.get(meeting_version(MEETING)) or 0)
    assert version > 0

    score = api.get(
        f"/api/teams/{team}/score", params={"meeting_key": MEETING}, headers=player.headers
    ).json()
    assert score["final"] is True
    assert score["source"] == "final"  # was "live" after the weekend was final
    # The window's session clock as well as the version (the last window scored was the Race's).
    window_time = (redis_client.get(meeting_window_time(MEETING)) or b"").decode()
    assert window_time.startswith("2025-04-06T")  # the Japanese Grand Prix's race day
    as_of = {"version": version, "window_time": window_time.replace("+00:00", "Z")}
    assert score["as_of"] == as_of
    board = api.get(
        f"/api/leagues/{league['id']}/leaderboard", params={"meeting_key": MEETING}, headers=player.headers
    ).json()
    assert (board["final"], board["source"], board["as_of"]) == (True, "final", as_of)

    def open_stream(last_event_id: str | None) -> list[str | None]:
        ticket = api.post("/api/live/tickets", headers=player.headers).json()["ticket"]
        headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
        with api.stream(
            "GET",
            f"/api/live/teams/{team}/score",
            params={"meeting_key": MEETING, "ticket": ticket},
            headers=headers,
            timeout=10,
        ) as response:
            first = EventReader(response).next()
            return [first.id, first.data, " ".join(first.comments)]

    event_id, data, _ = open_stream(None)
    assert event_id == str(version)
    assert data is not None
    resumed_id, resumed_data, comment = open_stream(event_id)
    assert (resumed_id, resumed_data) == (None, None)  # nothing new since that event: no repeat
    assert "resumed" in comment
    older_id, older_data, _ = open_stream(str(version - 1))
    assert (older_id, older_data) == (str(version), data)
