"""as_of's window time, written by the engine's live writer into a real Redis and read back by the API's
reader: a meeting's is the newest session clock of its latest version (a late window of an earlier
session does not turn it back); a team's totals, which may lag the meeting's version, carry their own."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import redis
import redis.asyncio as redis_async

from dataflows.weekend_state import WeekendState
from scoring.facts import SessionKind
from scoring.outcomes import ScoredWindow, TeamScores
from scoring.points import AssetPoints, SessionPoints
from scoring.teams import TeamBook
from scoring.weekend import SessionUpdate
from store.live import LiveWriter
from store.live_read import AsOf, AsyncLiveReader, TeamLive

MEETING = 93
QUALIFYING, RACE = 931, 932
ROSTER = ("AAA", "BBB", "CCC", "DDD", "EEE")  # only AAA scores
T0 = datetime(2099, 5, 3, 14, 0, tzinfo=UTC)


def update(
    weekend: WeekendState, session_key: int, kind: SessionKind, points: int, at: datetime
) -> SessionUpdate:
    session = SessionPoints(session_key, MEETING, kind, False, {"AAA": AssetPoints({"position": points})}, {})
    return SessionUpdate(session, kind.value, None, None, at, False)


def reads(redis_url: str, team_id: int) -> tuple[AsOf, TeamLive]:
    async def both() -> tuple[AsOf, TeamLive]:
        client = redis_async.Redis.from_url(redis_url)
        try:
            reader = AsyncLiveReader(client)
            return await reader.as_of(MEETING), await reader.team_with_points(MEETING, team_id)
        finally:
            await client.aclose()  # type: ignore[attr-defined]  # (types-redis lags redis 5)

    return asyncio.run(both())


def test_window_times_of_the_meeting_and_of_the_team_totals(
    redis_client: redis.Redis, redis_url: str
) -> None:
    book = TeamBook.from_rosters(
        [(7, [*(f"driver:{d}" for d in ROSTER), "constructor:X", "constructor:Y"], [1] * 7)]
    )
    weekend = WeekendState(MEETING)
    writer = LiveWriter(redis.Redis(connection_pool=redis_client.connection_pool))
    race_at = T0 + timedelta(days=1)
    scored = weekend.update(update(weekend, RACE, SessionKind.RACE, 10, race_at))
    writer.write(ScoredWindow(scored, TeamScores(book, weekend=scored)))  # version 1, with the teams' totals
    as_of, team = reads(redis_url, 7)
    assert (as_of, team.version, team.window_time) == (AsOf(1, race_at), 1, race_at)

    # A late Qualifying window (a day earlier on the session clock) makes version 2, written without
    # the teams' totals: the meeting's clock stays at the Race's; the totals stay those of version 1.
    late = weekend.update(update(weekend, QUALIFYING, SessionKind.QUALIFYING, 5, T0))
    writer.write(ScoredWindow(late))
    as_of, team = reads(redis_url, 7)
    assert as_of == AsOf(2, race_at)
    assert (team.version, team.window_time, team.standing and team.standing.points) == (1, race_at, 10)

    later = race_at + timedelta(seconds=30)
    moved = weekend.update(update(weekend, RACE, SessionKind.RACE, 12, later))
    writer.write(ScoredWindow(moved, TeamScores(book, weekend=moved)))
    writer.close()
    as_of, team = reads(redis_url, 7)
    assert as_of == AsOf(3, later)
    assert (team.version, team.window_time, team.standing and team.standing.points) == (3, later, 17)
