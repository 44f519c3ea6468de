"""The race-time reads served from ready documents (api/domain/standings/hot.py), over real HTTP, against the
real flow writing a replayed race into the test Redis and Postgres.

The Japanese Qualifying is replayed in growing prefixes (each prefix ends on a later window of the race, as
the flow writes it); after each one, the leaderboard page and a team's score served by the API equal what
the uncached services read from the store at that moment, and equal the window's own values in Redis; an
unchanged window answers 304 to its ETag, a new one 200 with a new ETag.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec
import psycopg
import pytest
import redis
import redis.asyncio as redis_async
from litestar.exceptions import HTTPException
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from api.app import create_app
from api.config import ApiConfig
from api.domain.standings.services import StandingsService, TeamFacts
from api.domain.teams.access import readable_team
from gridscore.base.settings import Settings
from gridscore.cli.replay import run_replay
from scoring.rules import load_ruleset
from store import live_keys
from store.live_read import AsyncLiveReader, LiveReader
from store.lock import lock_rosters_now
from store.urls import async_url, libpq_url
from tests.api.helpers import JAPAN, Player, cheapest_roster, create_team, field_team, register, seed_weekend
from tests.api.server import serving
from tests.api.sse import open_stream

MEETING = 202503
QUALIFYING = 2025033
PREFIXES = 5
CACHE_S = 1.0


@pytest.fixture(scope="module")
def hot_url(api_config: ApiConfig) -> Iterator[str]:
    with serving(create_app(replace(api_config, read_cache_s=CACHE_S))) as url:
        yield url


@pytest.fixture(scope="module")
def other_worker_url(api_config: ApiConfig) -> Iterator[str]:
    """A second API process's worth of app (its own caches), as API_WORKERS > 1 runs."""
    with serving(create_app(replace(api_config, read_cache_s=CACHE_S))) as url:
        yield url


@pytest.fixture(scope="module")
def long_memory_url(api_config: ApiConfig) -> Iterator[str]:
    """Another process that keeps what Postgres said for a minute: only an announcement makes it forget."""
    with serving(create_app(replace(api_config, read_cache_s=60.0, live_keepalive_s=60.0))) as url:
        yield url


@pytest.fixture
def client(hot_url: str, db: str, redis_client: redis.Redis) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hot_url, timeout=30) as http:
        yield http


def qualifying_prefixes(folder: Path) -> list[Path]:
    """The Qualifying's feed cut into growing prefixes, each a replay that ends on a later window."""
    lines = [
        line
        for line in JAPAN.read_text().splitlines()
        if json.loads(line)["payload"].get("session_key") == QUALIFYING
    ]
    cuts = [len(lines) * (i + 1) // PREFIXES for i in range(PREFIXES)]
    feeds = []
    for i, cut in enumerate(cuts):
        feed = folder / f"qualifying-{i}.jsonl"
        feed.write_text("\n".join(lines[:cut]) + "\n")
        feeds.append(feed)
    return feeds


def replay(database_url: str, redis_url: str, feed: Path) -> None:
    settings = Settings(database_url=database_url, redis_url=redis_url)
    window = timedelta(milliseconds=500)
    assert run_replay(settings, [feed], teams=10, speed=0, window=window, quiet=True, batch_size=10) == 0


def uncached(database_url: str, redis_url: str, league_id: int, team_id: int) -> tuple[Any, Any]:
    """The leaderboard page and the team's score as the services read them from the store, no cache."""

    async def both() -> tuple[Any, Any]:
        engine = create_async_engine(async_url(database_url))
        client = redis_async.Redis.from_url(redis_url)
        try:
            async with AsyncSession(engine) as session:
                service, live = StandingsService(session=session), AsyncLiveReader(client)
                board = await service.live_leaderboard(live, league_id, MEETING, 0, 50)
                score = await service.team_score(live, team_id, MEETING, load_ruleset(None).team)
            return json.loads(msgspec.json.encode(board)), json.loads(msgspec.json.encode(score))
        finally:
            await client.aclose()  # type: ignore[attr-defined]  # (types-redis lags redis 5)
            await engine.dispose()

    return asyncio.run(both())


def eventually(check: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "the condition did not hold in time"
        time.sleep(0.05)


def league_with_two_players(client: httpx.Client, database_url: str) -> tuple[Player, Player, int, int, int]:
    seed_weekend(database_url, JAPAN, days_ahead=2)
    alice, bob = register(client, "alice"), register(client, "bob")
    league = client.post("/api/leagues", json={"name": "Hot Club", "is_public": False}, headers=alice.headers)
    assert league.status_code == 201, league.text
    a_team, b_team = create_team(client, alice, "Alice Racing"), create_team(client, bob, "Bob Motorsport")
    assets = client.get("/api/assets").json()
    for player, team, skip in ((alice, a_team, 0), (bob, b_team, 3)):
        field_team(client, player, team, assets, skip, league.json()["invite_code"])
    lock_rosters_now(database_url, MEETING)
    return alice, bob, int(league.json()["id"]), a_team, b_team


def test_ready_reads_equal_the_uncached_reads_and_the_window_in_redis_at_every_step_of_a_replay(
    client: httpx.Client, db: str, redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    _, bob, league_id, a_team, _ = league_with_two_players(client, db)
    board_path, score_path = f"/api/leagues/{league_id}/leaderboard", f"/api/teams/{a_team}/score"
    params = {"meeting_key": MEETING, "limit": 50}
    etags: set[str] = set()
    seen_versions: list[int] = []
    with LiveReader(redis_url) as store:
        for feed in qualifying_prefixes(tmp_path):
            replay(db, redis_url, feed)
            version = int(redis_client.get(live_keys.meeting_version(MEETING)) or 0)
            totals_version = int(redis_client.get(live_keys.totals_version(MEETING)) or 0)
            leagues_version = int(redis_client.get(live_keys.league_version(MEETING)) or 0)
            # The process learns of the window from its note: a read once the note is in finds it.
            eventually(
                lambda v=leagues_version: (
                    client.get(board_path, params=params, headers=bob.headers).json()["as_of"]["version"] == v
                )
            )
            board = client.get(board_path, params=params, headers=bob.headers)
            score = client.get(score_path, params={"meeting_key": MEETING}, headers=bob.headers)
            assert board.status_code == score.status_code == 200, (board.text, score.text)

            # (a) what the ready documents say is what the uncached services read now
            plain_board, plain_score = uncached(db, redis_url, league_id, a_team)
            assert board.json() == plain_board
            assert score.json() == plain_score

            # (b) and it is this window's own values in Redis
            count, standings = store.league(MEETING, league_id, 0, 50)
            assert board.json()["count"] == count == 2
            assert [(s["rank"], s["team_id"], s["points"]) for s in board.json()["standings"]] == [
                (s.rank, s.team_id, s.points) for s in standings
            ]
            assert board.json()["as_of"]["version"] == leagues_version  # the standings' own window
            team = store.team(MEETING, a_team)
            assert team is not None
            assert (score.json()["net_points"], score.json()["rank"]) == (team.points, team.rank)
            assert score.json()["as_of"]["version"] == totals_version

            # (c) an unchanged window answers 304 to its ETag (either encoding's); a new one 200, new ETag
            for path, read, query in (
                (board_path, board, params),
                (score_path, score, {"meeting_key": MEETING}),
            ):
                etag = read.headers["etag"]
                assert etag.startswith('"'), etag  # a strong ETag (no W/)
                assert etag not in etags, "a new window's document has a new ETag"
                etags.add(etag)
                again = client.get(path, params=query, headers={**bob.headers, "If-None-Match": etag})
                assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
            seen_versions.append(version)
    assert len(seen_versions) == PREFIXES
    assert seen_versions == sorted(set(seen_versions)), "each prefix ended on a later window"


def test_a_member_removed_from_a_private_league_loses_access_at_once_here_and_soon_elsewhere(
    client: httpx.Client, other_worker_url: str, db: str, redis_url: str, tmp_path: Path
) -> None:
    alice, bob, league_id, _, b_team = league_with_two_players(client, db)
    replay(db, redis_url, qualifying_prefixes(tmp_path)[0])
    board = f"/api/leagues/{league_id}/leaderboard"
    params = {"meeting_key": MEETING}
    with httpx.Client(base_url=other_worker_url, timeout=30) as other:
        for http in (client, other):  # both processes have Bob's access (and his session) in memory
            for _ in range(3):
                assert http.get(board, params=params, headers=bob.headers).status_code == 200
        removed = client.delete(f"/api/leagues/{league_id}/members/{b_team}", headers=alice.headers)
        assert removed.status_code == 204, removed.text
        # The process that made the write forgets at once.
        refused = client.get(board, params=params, headers=bob.headers)
        assert (refused.status_code, refused.json()["code"]) == (403, "private_league")
        # Another process's copy ages out within API_READ_CACHE_MS.
        eventually(lambda: other.get(board, params=params, headers=bob.headers).status_code == 403)
        assert other.get(board, params=params, headers=alice.headers).status_code == 200


def test_a_players_own_final_fix_reaches_their_score_stream_in_another_process_at_once(
    client: httpx.Client, long_memory_url: str, db: str, redis_url: str, tmp_path: Path
) -> None:
    """No window is written after the write: the stream's new event comes from the write's announcement."""
    alice, _, _, a_team, _ = league_with_two_players(client, db)
    replay(db, redis_url, qualifying_prefixes(tmp_path)[-1])
    drivers = sorted(client.get("/api/assets").json()["drivers"], key=lambda a: (a["price"], a["name"]))
    fix = {"chip": "final_fix", "out_driver": drivers[4]["name"], "in_driver": drivers[5]["name"]}
    path, params = f"/api/live/teams/{a_team}/score", {"meeting_key": MEETING}
    with (
        httpx.Client(base_url=long_memory_url, timeout=30) as other,
        open_stream(other, path, params, alice.headers) as score,
    ):
        first = score.next_event()
        assert first.json()["chip"] is None
        fixed = client.post(f"/api/teams/{a_team}/chips", json=fix, headers=alice.headers)
        assert fixed.status_code == 201, fixed.text
        # That process would otherwise keep the old roster and chip, and re-read, for a minute.
        pushed = score.until(lambda m: m.json()["chip"] == "final_fix", timeout_s=20)
        assert pushed[-1].event == "score"
        assert fix["in_driver"] in [a["name"] for a in pushed[-1].json()["assets"]]


def test_a_roster_locked_behind_the_api_is_read_at_once_by_a_process_that_keeps_its_copies_long(
    client: httpx.Client, long_memory_url: str, db: str, redis_url: str, tmp_path: Path
) -> None:
    """The weekend's lock (beat's task) writes rosters in Postgres, not through the API: "no roster yet"
    is not kept, or a team would read as rosterless for the whole cache time into its first session."""
    seed_weekend(db, JAPAN, days_ahead=2)
    alice = register(client, "alice")
    team = create_team(client, alice, "Alice Racing")
    roster = cheapest_roster(client.get("/api/assets").json())
    assert client.put(f"/api/teams/{team}/roster", json=roster, headers=alice.headers).status_code == 200
    with httpx.Client(base_url=long_memory_url, timeout=30) as other:
        score = f"/api/teams/{team}/score"
        before = other.get(score, params={"meeting_key": MEETING}, headers=alice.headers)
        assert (before.status_code, before.json()["code"]) == (404, "no_roster")
        lock_rosters_now(db, MEETING)
        replay(db, redis_url, qualifying_prefixes(tmp_path)[0])
        after = other.get(score, params={"meeting_key": MEETING}, headers=alice.headers)
        assert after.status_code == 200, after.text
        assert after.json()["team_id"] == team


def test_a_meeting_first_read_before_its_first_window_is_followed_once_it_is_live(
    client: httpx.Client,
    api_config: ApiConfig,
    db: str,
    redis_url: str,
    redis_client: redis.Redis,
    tmp_path: Path,
) -> None:
    """Read before the meeting had live state, it had no watcher of its notes: its versions are asked again
    within a second, whatever API_READ_CACHE_MS is, and a watcher follows it from then on."""
    _, bob, league_id, _, _ = league_with_two_players(client, db)
    board = f"/api/leagues/{league_id}/leaderboard"
    params = {"meeting_key": MEETING}
    fresh = create_app(replace(api_config, read_cache_s=60.0))  # a process that never saw the meeting
    with serving(fresh) as url, httpx.Client(base_url=url, timeout=30) as other:
        early = other.get(board, params=params, headers=bob.headers)
        assert (early.status_code, early.json()["code"]) == (404, "not_started")
        for feed in qualifying_prefixes(tmp_path)[:2]:
            replay(db, redis_url, feed)
            version = int(redis_client.get(live_keys.league_version(MEETING)) or 0)
            # the body is of the window, and so is its ETag (it names the standings' version)
            eventually(
                lambda v=version: (
                    other.get(board, params=params, headers=bob.headers).headers["etag"].startswith(f'"{v}-')
                )
            )
            read = other.get(board, params=params, headers=bob.headers)
            assert read.json()["as_of"]["version"] == version


def test_a_first_read_in_one_query_answers_as_the_access_rule_and_the_facts_read_do(
    client: httpx.Client, db: str
) -> None:
    alice, bob, _, a_team, b_team = league_with_two_players(client, db)
    carol = register(client, "carol")
    with psycopg.connect(libpq_url(db), autocommit=True) as conn:  # Bob's team: in the private league only
        conn.execute(
            "DELETE FROM league_member m USING league l WHERE m.league_id = l.id AND l.is_public"
            " AND m.team_id = %s",
            (b_team,),
        )
    spare = create_team(client, carol, "Carol Spare")  # no roster for the weekend

    def outcome(error: BaseException | None) -> tuple[int, str] | None:
        return None if error is None else (error.status_code, error.detail)  # type: ignore[attr-defined]

    async def compare() -> list[tuple[Any, Any]]:
        engine = create_async_engine(async_url(db))
        pairs = []
        try:
            for user, team, meeting in (
                (alice, a_team, MEETING),  # owner
                (bob, a_team, MEETING),  # league-mate, and the public league
                (carol, a_team, MEETING),  # the public league
                (carol, b_team, MEETING),  # a private league she is not in: refused
                (alice, b_team, MEETING),  # a private league she is in
                (carol, spare, MEETING),  # no roster
                (alice, 999_999, MEETING),  # no such team
                (alice, a_team, 1),  # no roster for that weekend
            ):
                async with AsyncSession(engine) as session:
                    first = await StandingsService(session=session).first_read(team, meeting, user.id)
                async with AsyncSession(engine) as session:
                    try:
                        await readable_team(session, team, user.id)
                        refused = None
                    except HTTPException as error:
                        refused = error
                    try:
                        facts: Any = await StandingsService(session=session).team_facts(team, meeting)
                    except HTTPException as error:
                        facts = outcome(error)
                got = (
                    first.facts
                    if first.facts is None or isinstance(first.facts, TeamFacts)
                    else outcome(first.facts)
                )
                expected_facts = None if outcome(refused) == (404, f"no team {team}") else facts
                pairs.append(((outcome(first.refusal), got), (outcome(refused), expected_facts)))
        finally:
            await engine.dispose()
        return pairs

    pairs = asyncio.run(compare())
    for got, expected in pairs:
        assert got == expected
    assert [p[1][0] is None for p in pairs] == [True, True, True, False, True, True, False, True]
