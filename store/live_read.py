"""Read live state from Redis (used by the API and the CLI's live display; never scores).

One reader, on redis.asyncio for the API's event loop; LiveReader gives synchronous callers the same
reads by running them on an event loop of its own. The layout is store/live_keys.py's.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import redis.asyncio as redis_async

from store import live_keys as keys

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Standing:
    rank: int
    team_id: int
    points: int


@dataclass(frozen=True, slots=True)
class LiveRunningOrder:
    document: dict[str, Any]  # store/running_order.py's order_document
    version: int | None  # the meeting's live version when it was read


@dataclass(frozen=True, slots=True)
class TeamLive:
    """A team's live standing, the points document it was computed from, and the version it is of."""

    standing: Standing | None
    document: dict[str, Any] | None
    version: int | None
    window_time: datetime | None = None  # the session clock of that version


@dataclass(frozen=True, slots=True)
class AsOf:
    version: int | None
    window_time: datetime | None


@dataclass(frozen=True, slots=True)
class LeaguePage:
    """One page of a league's live standings, the league's size, and the state the rows are of."""

    count: int
    standings: list[Standing]
    as_of: AsOf


class AsyncLiveReader:
    """Every read of live state, on redis.asyncio."""

    def __init__(self, client: redis_async.Redis) -> None:
        self.client = client
        # EVALSHA, each loaded on first use: a team's reads find its slot server-side, one round trip
        self._team = client.register_script(TEAM_SCRIPT)
        self._team_with_points = client.register_script(TEAM_WITH_POINTS_SCRIPT)
        self._league_standing = client.register_script(LEAGUE_STANDING_SCRIPT)

    async def points(self, meeting_key: int) -> dict[str, Any] | None:
        raw = await self.client.get(keys.meeting_points(meeting_key))
        return None if raw is None else json.loads(raw)

    async def session_assets(self, session_key: int) -> dict[str, Any] | None:
        raw = await self.client.get(keys.session_assets(session_key))
        return None if raw is None else json.loads(raw)

    async def sessions(self, meeting_key: int) -> list[dict[str, Any]]:
        raw = await self.client.hgetall(keys.meeting_sessions(meeting_key))
        return sorted((json.loads(v) for v in raw.values()), key=lambda s: s["session_key"])

    async def version(self, meeting_key: int) -> int | None:
        raw = await self.client.get(keys.meeting_version(meeting_key))
        return None if raw is None else int(raw)

    async def as_of(self, meeting_key: int) -> AsOf:
        """A meeting's live version and the session clock of the window that made it."""
        pipe = self.client.pipeline(transaction=True)
        pipe.get(keys.meeting_version(meeting_key))
        pipe.get(keys.meeting_window_time(meeting_key))
        version, window = await pipe.execute()
        return AsOf(
            None if version is None else int(version),
            None if window is None else datetime.fromisoformat(window.decode()),
        )

    async def session_assets_as_of(self, session_key: int) -> tuple[dict[str, Any] | None, AsOf]:
        """A session's live points document and its meeting's as_of, read together."""
        document = await self.session_assets(session_key)
        meeting = None if document is None else document.get("meeting_key")
        if meeting is None:
            return document, AsOf(None, None)
        pipe = self.client.pipeline(transaction=True)
        pipe.get(keys.session_assets(session_key))
        pipe.get(keys.meeting_version(int(meeting)))
        pipe.get(keys.meeting_window_time(int(meeting)))
        raw, version, window = await pipe.execute()
        return (None if raw is None else json.loads(raw)), AsOf(
            None if version is None else int(version),
            None if window is None else datetime.fromisoformat(window.decode()),
        )

    async def running_order(self, session_key: int) -> LiveRunningOrder | None:
        """The session's running order (store/running_order.py's document) and the meeting version it
        stands at, read together."""
        raw = await self.client.get(keys.session_order(session_key))
        if raw is None:
            return None
        meeting = json.loads(raw).get("meeting_key")
        if meeting is None:
            return LiveRunningOrder(json.loads(raw), None)
        pipe = self.client.pipeline(transaction=True)
        pipe.get(keys.session_order(session_key))
        pipe.get(keys.meeting_version(int(meeting)))
        raw, version = await pipe.execute()
        if raw is None:  # gone in between (Redis flushed)
            return None
        return LiveRunningOrder(json.loads(raw), None if version is None else int(version))

    async def is_live(self, meeting_key: int) -> bool:
        """Whether the meeting has live state (a window of it was written)."""
        return bool(await self.client.sismember(keys.live_meetings(), str(meeting_key)))

    async def team(self, meeting_key: int, team_id: int) -> Standing | None:
        reply = await self._team(
            keys=[
                keys.team_ids(meeting_key),
                keys.team_totals(meeting_key),
                keys.team_ranks(meeting_key),
                keys.team_rank_table(meeting_key),
            ],
            args=list(keys.team_id_args(team_id)),
        )
        if not reply:
            return None
        total, rank = reply
        return _standing(team_id, total, rank)

    async def league(
        self, meeting_key: int, league_id: int, offset: int = 0, limit: int = 50
    ) -> tuple[int, list[Standing]]:
        """(number of teams in the league, one page of its standings, best first)."""
        page = await self.league_page(meeting_key, league_id, offset, limit)
        return page.count, page.standings

    async def league_page(
        self, meeting_key: int, league_id: int, offset: int = 0, limit: int = 50
    ) -> LeaguePage:
        """One page of a league's standings with the version and window time they are of, read in the
        same transaction: the standings are written after their window's points (on a thread of their
        own, which skips a window overtaken while it waits), so the meeting's latest version is often
        ahead of them. Where no standings were written with a version, the meeting's as_of."""
        segment = await self.client.hget(keys.league_index(meeting_key), str(league_id))
        start, count = (0, 0) if segment is None else keys.parse_league_segment(segment)
        first, last = keys.page_of(count, offset, limit)
        pipe = self.client.pipeline(transaction=True)  # one window's order, ranks, points and as_of
        if last > first:
            for key in (keys.league_order, keys.league_ranks, keys.league_points):
                pipe.getrange(key(meeting_key), *keys.int32_bytes(start + first, start + last))
        for key in (keys.league_version, keys.league_window_time, keys.meeting_version):
            pipe.get(key(meeting_key))
        pipe.get(keys.meeting_window_time(meeting_key))
        *arrays, league_version, league_window, version, window = await pipe.execute()
        own = league_version is not None
        as_of = AsOf(_int(league_version if own else version), _time(league_window if own else window))
        if last <= first:
            return LeaguePage(count, [], as_of)
        order_raw, ranks_raw, points_raw = arrays
        ids = self.client.pipeline(transaction=False)
        for slot in keys.unpack_int32(order_raw).tolist():
            ids.getrange(keys.team_ids(meeting_key), *keys.team_id_bytes(slot))
        found = [keys.unpack_team_ids(raw) for raw in await ids.execute()]
        ranks = keys.unpack_int32(ranks_raw).tolist()
        points = keys.unpack_int32(points_raw).tolist()
        if len(ranks) != len(found) or len(points) != len(found) or any(f.size != 1 for f in found):
            return LeaguePage(count, [], as_of)  # the arrays are of another index than the one just read
        team_ids = [int(f[0]) for f in found]
        standings = [Standing(r, t, p) for r, t, p in zip(ranks, team_ids, points, strict=True)]
        return LeaguePage(count, standings, as_of)

    async def team_with_points(self, meeting_key: int, team_id: int) -> TeamLive:
        """A team's total and rank with the weekend's asset points they were computed from, and the
        meeting version they are of. Totals are written after their window's points (on a thread of
        their own), so the latest points and version may be ahead of them: these are the totals' own
        (the latest ones where no totals were written with theirs)."""
        replies = await self._team_with_points(
            keys=[
                keys.team_ids(meeting_key),
                keys.team_totals(meeting_key),
                keys.team_ranks(meeting_key),
                keys.totals_points(meeting_key),
                keys.totals_version(meeting_key),
                keys.meeting_points(meeting_key),
                keys.meeting_version(meeting_key),
                keys.totals_window_time(meeting_key),
                keys.meeting_window_time(meeting_key),
                keys.team_rank_table(meeting_key),
            ],
            args=list(keys.team_id_args(team_id)),
        )
        totals_points, totals_version, latest_points, latest_version = replies[:4]
        totals_window, latest_window, found, total, rank = replies[4:]
        if not found:
            return TeamLive(None, _json(latest_points), _int(latest_version), _time(latest_window))
        own = totals_version is not None  # else no totals were written with their own version
        return TeamLive(
            _standing(team_id, total, rank),
            _json(totals_points if totals_points is not None else latest_points),
            _int(totals_version if own else latest_version),
            _time(totals_window if own else latest_window),
        )

    async def league_standing(self, meeting_key: int, league_id: int, team_id: int) -> Standing | None:
        """A team's live points and rank inside a league, in one atomic server-side read (None while the
        team or the league has no live state for the meeting)."""
        reply = await self._league_standing(
            keys=[
                keys.team_ids(meeting_key),
                keys.team_totals(meeting_key),
                keys.league_index(meeting_key),
                keys.league_points(meeting_key),
            ],
            args=[*keys.team_id_args(team_id), str(league_id)],
        )
        if not reply:
            return None
        rank, points = (int(x) for x in reply)
        return Standing(rank, team_id, points)


def _json(raw: bytes | None) -> dict[str, Any] | None:
    return None if raw is None else json.loads(raw)


def _int(raw: bytes | None) -> int | None:
    return None if raw is None else int(raw)


def _time(raw: bytes | None) -> datetime | None:
    return None if raw is None else datetime.fromisoformat(raw.decode())


def _standing(team_id: int, total: bytes, rank: bytes) -> Standing | None:
    """A team's standing from its slot of the totals and ranks (None when a slot is missing)."""
    totals, ranks = keys.unpack_int32(total), keys.unpack_int32(rank)
    if totals.size != 1 or ranks.size != 1:
        return None
    return Standing(int(ranks[0]), team_id, int(totals[0]))


class LiveReader:
    """AsyncLiveReader's reads for synchronous callers (the CLI's live display, scripts, tests): each
    one runs on this reader's own event loop, so call it from one thread at a time."""

    def __init__(self, redis_url: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._reader = AsyncLiveReader(redis_async.Redis.from_url(redis_url))

    def _run(self, read: Coroutine[Any, Any, T]) -> T:
        return self._loop.run_until_complete(read)

    def points(self, meeting_key: int) -> dict[str, Any] | None:
        return self._run(self._reader.points(meeting_key))

    def sessions(self, meeting_key: int) -> list[dict[str, Any]]:
        return self._run(self._reader.sessions(meeting_key))

    def team(self, meeting_key: int, team_id: int) -> Standing | None:
        return self._run(self._reader.team(meeting_key, team_id))

    def league(
        self, meeting_key: int, league_id: int, offset: int = 0, limit: int = 50
    ) -> tuple[int, list[Standing]]:
        """(number of teams in the league, one page of its standings, best first)."""
        return self._run(self._reader.league(meeting_key, league_id, offset, limit))

    def close(self) -> None:
        self._run(self._reader.client.aclose())  # type: ignore[attr-defined]  # (types-redis lags redis 5)
        self._loop.close()

    def __enter__(self) -> LiveReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


# A team's total and rank (KEYS: team_ids, totals, ranks, rank table; ARGV: keys.team_id_args), or
# nil when the team has no slot; a missing total or rank comes back empty and _standing says None.
TEAM_SCRIPT = (
    keys.TEAM_SLOT_LUA
    + keys.RANK_LUA
    + """
local slot = slot_of(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
if not slot then return nil end
local total = redis.call('GETRANGE', KEYS[2], slot * 4, slot * 4 + 3)
return {total, rank_at(KEYS[4], KEYS[3], slot, total)}
"""
)

# A team's total and rank with the documents and versions of team_with_points, read together
# (KEYS: team_ids, totals, ranks, the six GETs in reply order, the rank table): six values, then
# whether the team has a slot (0/1), then its total and rank (false without a slot).
TEAM_WITH_POINTS_SCRIPT = (
    keys.TEAM_SLOT_LUA
    + keys.RANK_LUA
    + """
local reply = {}
for i = 4, 9 do reply[i - 3] = redis.call('GET', KEYS[i]) end
local slot = slot_of(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
if slot then
  reply[7] = 1
  reply[8] = redis.call('GETRANGE', KEYS[2], slot * 4, slot * 4 + 3)
  reply[9] = rank_at(KEYS[10], KEYS[3], slot, reply[8])
else
  reply[7], reply[8], reply[9] = 0, false, false
end
return reply
"""
)

# A team's rank inside one league: 1 + the members with strictly more points (competition ranks, as
# the flow ranks). The league's points are stored best first, so a binary search over its segment
# finds it with O(log n) GETRANGEs, atomically, even in the league that holds every team.
LEAGUE_STANDING_SCRIPT = (
    keys.TEAM_SLOT_LUA
    + keys.RANK_LUA
    + """
local index = slot_of(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]))
local segment = redis.call('HGET', KEYS[3], ARGV[3])
if not index or not segment then return nil end
local total = redis.call('GETRANGE', KEYS[2], index * 4, index * 4 + 3)
if #total ~= 4 then return nil end
local points = int32_of(total)
local start, count = string.match(segment, '^(%d+),(%d+)$')
start, count = tonumber(start), tonumber(count)
local lo, hi = 0, count
while lo < hi do
  local mid = math.floor((lo + hi) / 2)
  local at = (start + mid) * 4
  local raw = redis.call('GETRANGE', KEYS[4], at, at + 3)
  if #raw == 4 and int32_of(raw) > points then lo = mid + 1 else hi = mid end
end
return {lo + 1, points}
"""
)
