"""Live push over real HTTP: server-sent event streams of a league's leaderboard and of a team's score, fed
by the engine's pub/sub notes, through a real uvicorn server, real Redis and real Postgres.

The server here pushes at most once a second, sends keep-alives after 2 s of silence, issues tickets valid
for 2 s, and has uvicorn's access log on: what a browser's stream URL would leak into the logs is checked.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import redis

from api.app import create_app
from api.config import ApiConfig
from dataflows.weekend_state import WeekendState
from gridscore.base.settings import Settings
from gridscore.cli.replay import run_replay
from scoring.facts import SessionKind
from scoring.outcomes import ScoredWindow, TeamScores
from scoring.points import AssetPoints, SessionPoints
from scoring.teams import TeamBook
from scoring.weekend import SessionUpdate, WeekendUpdate
from store import live_keys
from store.live import LiveWriter
from store.live_read import LiveReader
from store.lock import lock_rosters_now
from store.urls import libpq_url
from tests.api.helpers import JAPAN, Player, create_team, field_team, register, seed_weekend
from tests.api.server import serving
from tests.api.sse import Message, open_stream, parse
from tests.private_redis import PrivateRedis, private_redis_server
from tests.test_metrics import scrape, total

MEETING = 202503
QUALIFYING = 2025033
RACE = 2025035  # a made-up Race session of the weekend, for windows written by the engine's writer
RACE_START = datetime(2099, 4, 6, 5, 0, tzinfo=UTC)
FILLERS = ("driver:F1", "driver:F2", "driver:F3", "driver:F4", "constructor:X", "constructor:Y")
WINDOWS = 4
CHANNEL = f"meeting:{MEETING}"
TICKET_TTL_S = 2
IN_PROGRESS = "gridscore_api_requests_in_progress"
LIVE_PATHS = ("/api/live/leagues/{league_id}/leaderboard", "/api/live/teams/{team_id}/score")
CLIENT_LOGGERS = ("httpx", "httpcore")  # the test's own client logs its URLs; the server's logs are checked


@pytest.fixture(scope="module")
def own_redis() -> Iterator[PrivateRedis]:
    """A Redis of this module's own: pub/sub is global to a Redis server, and other modules' in-process
    servers keep watchers of the same meeting's channel while they run, so counts on the shared server
    depended on what ran before."""
    why = "this module counts its server's subscriptions on a Redis of its own"
    with private_redis_server(why) as server:
        yield server


@pytest.fixture(scope="module")
def live_url(api_config: ApiConfig, own_redis: PrivateRedis) -> Iterator[str]:
    """The module's server, on the module's own Redis."""
    config = replace(
        api_config,
        redis_url=own_redis.url,
        live_keepalive_s=2.0,
        live_push_interval_s=1.0,
        live_stream_max_s=60.0,
        live_ticket_ttl=timedelta(seconds=TICKET_TTL_S),
        live_ticket_namespace="gs:test:ticket",
    )
    access = logging.getLogger("uvicorn.access")
    level = access.level
    with serving(create_app(config), log_level="info") as url:
        yield url
    access.setLevel(level)


@pytest.fixture
def live_redis(own_redis: PrivateRedis) -> Iterator[redis.Redis]:
    """The module's Redis, emptied before each test."""
    with redis.Redis.from_url(own_redis.url) as client:
        client.flushdb()
        yield client


@pytest.fixture
def client(live_url: str, db: str, live_redis: redis.Redis) -> Iterator[httpx.Client]:
    """An HTTP client of the live server, with an empty database and Redis."""
    with httpx.Client(base_url=live_url, timeout=10) as http:
        yield http


@dataclass(frozen=True, slots=True)
class Paddock:
    """A private league of Alice (owner) and Bob; Carol plays, but not in it."""

    alice: Player
    bob: Player
    carol: Player
    league_id: int
    a_team: int
    b_team: int
    c_team: int


def paddock(client: httpx.Client, database_url: str) -> Paddock:
    seed_weekend(database_url, JAPAN, days_ahead=2)
    alice, bob, carol = register(client, "alice"), register(client, "bob"), register(client, "carol")
    league = client.post(
        "/api/leagues", json={"name": "Paddock Club", "is_public": False}, headers=alice.headers
    )
    assert league.status_code == 201, league.text
    a_team, b_team = create_team(client, alice, "Alice Racing"), create_team(client, bob, "Bob Motorsport")
    c_team = create_team(client, carol, "Carol GP")
    assets = client.get("/api/assets").json()
    for player, team, skip in ((alice, a_team, 0), (bob, b_team, 3), (carol, c_team, 1)):
        field_team(
            client, player, team, assets, skip, league.json()["invite_code"] if team != c_team else None
        )
    lock_rosters_now(database_url, MEETING)
    return Paddock(alice, bob, carol, league.json()["id"], a_team, b_team, c_team)


def replay(database_url: str, redis_url: str, feed: Path) -> None:
    """The real flow: the feed scored into Redis (live state, one note per window) and Postgres,
    handed out 10 lines at a time so that the race takes several windows, as it does live."""
    settings = Settings(database_url=database_url, redis_url=redis_url)
    window = timedelta(milliseconds=500)
    assert run_replay(settings, [feed], teams=10, speed=0, window=window, quiet=True, batch_size=10) == 0


def qualifying_only(folder: Path) -> Path:
    lines = [
        line
        for line in JAPAN.read_text().splitlines()
        if json.loads(line)["payload"].get("session_key") == QUALIFYING
    ]
    feed = folder / "japan-qualifying.jsonl"
    feed.write_text("\n".join(lines) + "\n")
    return feed


def ticket(client: httpx.Client, player: Player) -> str:
    issued = client.post("/api/live/tickets", headers=player.headers)
    assert issued.status_code == 201, issued.text
    assert issued.json()["expires_in"] == TICKET_TTL_S
    return str(issued.json()["ticket"])


def refused(
    client: httpx.Client, path: str, params: dict[str, Any], headers: dict[str, str] | None = None
) -> tuple[int, str]:
    """The status and `detail` of a stream request the server refuses before streaming."""
    with client.stream("GET", path, params=params, headers=headers) as response:
        assert response.status_code != 200, f"{path} {params} was accepted"
        response.read()
        return response.status_code, str(response.json()["detail"])


def eventually(check: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.05)


def subscribers(client: redis.Redis) -> int:
    """Subscribers of the meeting's channel on the module's own Redis: its server's, its tests' listeners."""
    return int(client.pubsub_numsub(CHANNEL)[0][1])


def open_streams(base_url: str) -> float:
    samples = scrape(f"{base_url}/metrics")
    return sum(total(samples, IN_PROGRESS, path=path) for path in LIVE_PATHS)


def server_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]


def without_own(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != "own"}


def test_streams_push_the_new_totals_when_a_replayed_race_is_scored(
    client: httpx.Client,
    live_url: str,
    db: str,
    own_redis: PrivateRedis,
    live_redis: redis.Redis,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    caplog.set_level(
        logging.INFO, logger="uvicorn.access"
    )  # process-wide: any other server may have lowered it
    p = paddock(client, db)
    replay(db, own_redis.url, qualifying_only(tmp_path))

    def board_read(limit: int) -> dict[str, Any]:
        read = client.get(
            f"/api/leagues/{p.league_id}/leaderboard",
            params={"meeting_key": MEETING, "limit": limit},
            headers=p.bob.headers,
        )
        assert read.status_code == 200, read.text
        return dict(read.json())

    def score_read() -> dict[str, Any]:
        read = client.get(
            f"/api/teams/{p.a_team}/score", params={"meeting_key": MEETING}, headers=p.alice.headers
        )
        assert read.status_code == 200, read.text
        return dict(read.json())

    def bobs_standing() -> dict[str, Any]:
        return next(s for s in board_read(50)["standings"] if s["team_id"] == p.b_team)

    before_board, before_score, before_bob = board_read(1), score_read(), bobs_standing()
    bob_ticket = ticket(client, p.bob)
    notes = live_redis.pubsub()
    notes.subscribe(CHANNEL)
    board_params = {"meeting_key": MEETING, "top": 1, "team_id": p.b_team, "ticket": bob_ticket}
    with (
        open_stream(client, f"/api/live/leagues/{p.league_id}/leaderboard", board_params) as board,
        open_stream(
            client, f"/api/live/teams/{p.a_team}/score", {"meeting_key": MEETING}, p.alice.headers
        ) as score,
    ):
        # On connect: the current state, in the reads' shapes (the leaderboard's top 1, plus Bob's own rank).
        first = board.next_event()
        assert first.event == "leaderboard"
        assert without_own(first.json()) == before_board
        assert first.json()["own"] == before_bob
        first_score = score.next_event()
        assert (first_score.event, first_score.json()) == ("score", before_score)

        # The race is scored while neither client reads: each then gets the latest state, not a backlog.
        replay(db, own_redis.url, JAPAN)
        after_board, after_score, after_bob = board_read(1), score_read(), bobs_standing()
        assert after_score["points"] != before_score["points"]
        assert after_bob["points"] != before_bob["points"]
        windows = 0
        while (note := notes.get_message(timeout=0.5)) is not None:
            windows += note["type"] == "message"
        assert windows >= 3, "the race took several windows, each with its note"
        pushed = board.until(lambda m: without_own(m.json()) == after_board, timeout_s=10)
        assert pushed[-1].json()["own"] == after_bob
        assert len(pushed) <= 2 < windows, "a burst of windows is coalesced into at most two pushes"
        assert score.until(lambda m: m.json() == after_score, timeout_s=10)[-1].event == "score"
        assert subscribers(live_redis) == 2  # this test's listener and the server's one connection
    notes.close()

    # The clients went away: the server ends both streams; the process keeps its one subscription to the
    # meeting's notes (api/domain/live/versions.py), which its hot reads and streams share.
    eventually(lambda: subscribers(live_redis) == 1 and open_streams(live_url) == 0)
    records = server_records(caplog)
    assert not [r for r in records if r.levelno >= logging.ERROR]
    assert not [r for r in records if bob_ticket in r.getMessage()]
    assert not [r for r in records if p.alice.headers["Authorization"].split()[1] in r.getMessage()]
    board_access = [
        r.getMessage()
        for r in records
        if r.name == "uvicorn.access" and "/api/live/leagues/" in r.getMessage()
    ]
    assert board_access, "the access log recorded the stream request"
    assert all("ticket=[redacted]" in line for line in board_access)


def test_tickets_are_single_use_short_lived_and_unforgeable(client: httpx.Client, db: str) -> None:
    seed_weekend(db, JAPAN, days_ahead=2)
    player = register(client)
    league = client.post("/api/leagues", json={"name": "Solo", "is_public": False}, headers=player.headers)
    path, params = f"/api/live/leagues/{league.json()['id']}/leaderboard", {"meeting_key": MEETING}

    used = ticket(client, player)
    with open_stream(client, path, {**params, "ticket": used}) as opened:
        waiting = opened.next()  # no scores yet: the stream opens and says so
        assert waiting.data is None
        assert "no live scores yet" in waiting.comments[0]
    status, detail = refused(client, path, {**params, "ticket": used})
    assert (status, "already used" in detail) == (401, True)
    assert used not in detail
    for forged in (secrets.token_urlsafe(32), "not a ticket", "x" * 5000):
        assert refused(client, path, {**params, "ticket": forged})[0] == 401
    expired = ticket(client, player)
    time.sleep(TICKET_TTL_S + 0.5)
    assert refused(client, path, {**params, "ticket": expired})[0] == 401

    # Without a ticket: a bearer header (non-browser clients), else nothing.
    assert refused(client, path, params)[0] == 401
    assert refused(client, path, params, {"Authorization": "Bearer not.a.jwt"})[0] == 401
    with open_stream(client, path, params, player.headers) as opened:
        assert "no live scores yet" in opened.next().comments[0]
    assert client.post("/api/live/tickets").status_code == 401


def test_streams_apply_the_same_rules_as_the_reads(client: httpx.Client, db: str) -> None:
    p = paddock(client, db)
    board = f"/api/live/leagues/{p.league_id}/leaderboard"
    a_score = f"/api/live/teams/{p.a_team}/score"
    params = {"meeting_key": MEETING}

    def with_ticket(player: Player, **extra: Any) -> dict[str, Any]:
        return {**params, **extra, "ticket": ticket(client, player)}

    def read_status(path: str, player: Player) -> int:
        return client.get(path, params=params, headers=player.headers).status_code

    # A private league is for its members: Carol is refused, by the read and by the stream.
    assert read_status(f"/api/leagues/{p.league_id}/leaderboard", p.carol) == 403
    assert refused(client, board, with_ticket(p.carol))[0] == 403
    # Every team also plays in the public global league, so anyone may read its score, and follow it.
    for player in (p.carol, p.bob, p.alice):
        assert read_status(f"/api/teams/{p.a_team}/score", player) != 403  # 404: no live score yet
        with open_stream(client, a_score, with_ticket(player)) as opened:
            assert "no live scores yet" in opened.next().comments[0]
    # A team that plays only in a private league: its owner and league-mates only.
    with psycopg.connect(libpq_url(db), autocommit=True) as conn:
        conn.execute(
            "DELETE FROM league_member WHERE team_id = %s AND league_id <> %s", (p.a_team, p.league_id)
        )
    # (a write behind the API's back: its reads' copy of Carol's access ages out, API_READ_CACHE_MS)
    eventually(lambda: read_status(f"/api/teams/{p.a_team}/score", p.carol) == 403)
    assert refused(client, a_score, with_ticket(p.carol))[0] == 403
    with open_stream(client, a_score, with_ticket(p.bob)) as opened:
        assert "no live scores yet" in opened.next().comments[0]

    # `team_id` must be one of the caller's teams, playing in the league.
    assert refused(client, board, with_ticket(p.bob, team_id=p.a_team))[0] == 403
    spare = create_team(client, p.bob, "Bob Spare")
    assert refused(client, board, with_ticket(p.bob, team_id=spare))[0] == 400
    # Unknown things are 404, bad parameters 400.
    assert refused(client, "/api/live/leagues/999999/leaderboard", with_ticket(p.bob))[0] == 404
    assert refused(client, "/api/live/teams/999999/score", with_ticket(p.bob))[0] == 404
    assert refused(client, board, {**with_ticket(p.bob), "meeting_key": 1})[0] == 404
    assert refused(client, board, with_ticket(p.bob, top=0))[0] == 400


def test_a_client_going_away_ends_its_stream_and_the_process_keeps_one_subscription(
    client: httpx.Client,
    live_url: str,
    db: str,
    live_redis: redis.Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seed_weekend(db, JAPAN, days_ahead=2)
    player = register(client)
    league = client.post("/api/leagues", json={"name": "Solo", "is_public": False}, headers=player.headers)
    path = f"/api/live/leagues/{league.json()['id']}/leaderboard"
    with open_stream(client, path, {"meeting_key": MEETING}, player.headers) as opened:
        opened.next()
        with open_stream(client, path, {"meeting_key": MEETING}, player.headers) as second:
            second.next()
            # Two streams of the meeting, one subscription: the process's watcher of its notes.
            eventually(lambda: subscribers(live_redis) == 1 and open_streams(live_url) == 2)
    eventually(lambda: open_streams(live_url) == 0)
    assert subscribers(live_redis) == 1  # the watcher stays for the process's later reads of the meeting
    assert not [r for r in server_records(caplog) if r.levelno >= logging.ERROR]


def test_keep_alives_while_idle_and_an_end_after_the_stream_lifetime(
    api_config: ApiConfig, db: str, redis_client: redis.Redis
) -> None:
    config = replace(api_config, live_keepalive_s=0.3, live_stream_max_s=1.5)
    with (
        serving(create_app(config)) as url,
        httpx.Client(base_url=url, timeout=10) as http,
    ):
        seed_weekend(db, JAPAN, days_ahead=2)
        player = register(http)
        league = http.post("/api/leagues", json={"name": "Solo", "is_public": False}, headers=player.headers)
        path = f"/api/live/leagues/{league.json()['id']}/leaderboard"
        started = time.monotonic()
        with open_stream(http, path, {"meeting_key": MEETING}, player.headers) as opened:
            messages: list[Message] = list(parse(opened.response.iter_lines()))  # until the server ends it
        lasted = time.monotonic() - started
    assert 1.4 <= lasted < 5
    assert "no live scores yet" in messages[0].comments[0]
    assert [m.comments for m in messages[1:]] == [("keep-alive",)] * (len(messages) - 1)
    assert len(messages) - 1 >= 3


def race_window(weekend: WeekendState, points: dict[str, int], at: datetime) -> WeekendUpdate:
    """The weekend after a Race window that gives each driver `points`."""
    session = SessionPoints(
        RACE,
        MEETING,
        SessionKind.RACE,
        False,
        {d: AssetPoints({"position": p}) for d, p in points.items()},
        {},
    )
    return weekend.update(SessionUpdate(session, "Race", None, None, at, False))


def test_every_window_whose_standings_the_engine_writes_reaches_a_leaderboard_stream_under_its_version(
    client: httpx.Client, db: str, own_redis: PrivateRedis, live_redis: redis.Redis
) -> None:
    """The engine's writer (store/live.py, standings on their thread) writes each window's points, then
    the next window's points before the first window's standings land, as at race pace. Each standings
    window reaches the stream as its own event: `id` and `as_of` name the standings' version and window
    time (not the meeting's later points), and its rows are that window's standings in Redis."""
    p = paddock(client, db)
    book = TeamBook.from_rosters(
        [(p.a_team, ["driver:AAA", *FILLERS], [1] * 7), (p.b_team, ["driver:BBB", *FILLERS], [1] * 7)],
        [(p.league_id, p.a_team), (p.league_id, p.b_team)],
    )
    weekend, notes = WeekendState(MEETING), live_redis.pubsub()
    notes.subscribe(CHANNEL)
    writer = LiveWriter(redis.Redis.from_url(own_redis.url))
    path, params = f"/api/live/leagues/{p.league_id}/leaderboard", {"meeting_key": MEETING, "top": 5}
    announced: list[int] = []
    try:
        with open_stream(client, path, params, p.bob.headers) as board, LiveReader(own_redis.url) as store:
            assert "no live scores yet" in board.next().comments[0]
            for i in range(WINDOWS):  # the lead changes hands: A gains 3 a window, B loses 4
                at = RACE_START + timedelta(seconds=10 * i)
                scored = race_window(weekend, {"AAA": 3 * i, "BBB": 10 - 4 * i}, at)
                writer.write(ScoredWindow(scored, TeamScores(book, weekend=scored)))
                version = int(live_redis.get(live_keys.meeting_version(MEETING)) or 0)
                # The next window's points, written with no teams of their own: the meeting moves ahead.
                ahead = race_window(weekend, {"AAA": 3 * i + 1, "BBB": 10 - 4 * i}, at + timedelta(seconds=5))
                writer.write(ScoredWindow(ahead))
                announced.append(leagues_note(notes))
                event = board.next_event()
                count, standings = store.league(MEETING, p.league_id, 0, 5)
                assert count == 2
                assert int(live_redis.get(live_keys.meeting_version(MEETING)) or 0) == version + 1
                assert (announced[-1], event.id) == (version, str(version))
                assert event.json()["as_of"] == {
                    "version": version,
                    "window_time": at.isoformat().replace("+00:00", "Z"),
                }
                assert [(s["rank"], s["team_id"], s["points"]) for s in event.json()["standings"]] == [
                    (s.rank, s.team_id, s.points) for s in standings
                ]
                read = client.get(
                    f"/api/leagues/{p.league_id}/leaderboard", params=params, headers=p.bob.headers
                )
                assert without_own(event.json()) == {**read.json(), "limit": 5}
    finally:
        writer.close()
        notes.close()
    leaders = [e.json()["standings"][0]["team_id"] for e in board.seen if e.data is not None]
    assert (leaders[0], leaders[-1]) == (p.b_team, p.a_team), "the standings moved with the windows"
    assert [int(e.id) for e in board.seen if e.id is not None] == announced


def leagues_note(notes: redis.client.PubSub, timeout_s: float = 30.0) -> int:
    """The version of the next league standings announced on the meeting's channel."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        note = notes.get_message(ignore_subscribe_messages=True, timeout=0.5)
        if note is not None and json.loads(note["data"])["part"] == "leagues":
            return int(json.loads(note["data"])["version"])
    raise AssertionError("no league standings were announced")
