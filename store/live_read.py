"""Read live state from Redis (used by the API and the CLI's live display; never scores)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import redis
import redis.asyncio as redis_async

from store import live_keys as keys


@dataclass(frozen=True, slots=True)
class Standing:
    rank: int
    team_id: int
    points: int


class LiveReader:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def points(self, meeting_key: int) -> dict[str, Any] | None:
        raw = self.client.get(keys.meeting_points(meeting_key))
        return None if raw is None else json.loads(raw)

    def session_assets(self, session_key: int) -> dict[str, Any] | None:
        raw = self.client.get(keys.session_assets(session_key))
        return None if raw is None else json.loads(raw)

    def sessions(self, meeting_key: int) -> list[dict[str, Any]]:
        raw = self.client.hgetall(keys.meeting_sessions(meeting_key))
        return sorted((json.loads(v) for v in raw.values()), key=lambda s: s["session_key"])

    def team(self, meeting_key: int, team_id: int) -> Standing | None:
        slot = self.client.hget(keys.team_slots(meeting_key), str(team_id))
        if slot is None:
            return None
        index = int(slot)
        pipe = self.client.pipeline(transaction=True)
        pipe.getrange(keys.team_totals(meeting_key), index * 4, index * 4 + 3)
        pipe.getrange(keys.team_ranks(meeting_key), index * 4, index * 4 + 3)
        total, rank = pipe.execute()
        if len(total) != 4 or len(rank) != 4:
            return None
        return Standing(int(np.frombuffer(rank, "<i4")[0]), team_id, int(np.frombuffer(total, "<i4")[0]))

    def league(
        self, meeting_key: int, league_id: int, offset: int = 0, limit: int = 50
    ) -> tuple[int, list[Standing]]:
        """(number of teams in the league, one page of its standings, best first)."""
        segment = self.client.hget(keys.league_index(meeting_key), str(league_id))
        if segment is None:
            return 0, []
        start, count = (int(x) for x in segment.decode().split(","))
        first = start + max(0, offset)
        last = min(start + count, first + max(0, limit))
        if last <= first:
            return count, []
        pipe = self.client.pipeline(transaction=True)  # one window's order, ranks and points together
        for key in (keys.league_order, keys.league_ranks, keys.league_points):
            pipe.getrange(key(meeting_key), first * 4, last * 4 - 1)
        order_raw, ranks_raw, points_raw = pipe.execute()
        slots = np.frombuffer(order_raw, "<i4").tolist()
        ids = self.client.pipeline(transaction=False)
        for slot in slots:
            ids.getrange(keys.team_ids(meeting_key), slot * 8, slot * 8 + 7)
        team_ids = [int(np.frombuffer(raw, "<i8")[0]) for raw in ids.execute()]
        ranks = np.frombuffer(ranks_raw, "<i4").tolist()
        points = np.frombuffer(points_raw, "<i4").tolist()
        standings = [Standing(r, t, p) for r, t, p in zip(ranks, team_ids, points, strict=True)]
        return count, standings


class AsyncLiveReader:
    """The same reads as LiveReader on redis.asyncio, for the API's event loop."""

    def __init__(self, client: redis_async.Redis) -> None:
        self.client = client

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

    async def team(self, meeting_key: int, team_id: int) -> Standing | None:
        slot = await self.client.hget(keys.team_slots(meeting_key), str(team_id))
        if slot is None:
            return None
        index = int(slot)
        pipe = self.client.pipeline(transaction=True)
        pipe.getrange(keys.team_totals(meeting_key), index * 4, index * 4 + 3)
        pipe.getrange(keys.team_ranks(meeting_key), index * 4, index * 4 + 3)
        total, rank = await pipe.execute()
        if len(total) != 4 or len(rank) != 4:
            return None
        return Standing(int(np.frombuffer(rank, "<i4")[0]), team_id, int(np.frombuffer(total, "<i4")[0]))

    async def league(
        self, meeting_key: int, league_id: int, offset: int = 0, limit: int = 50
    ) -> tuple[int, list[Standing]]:
        """(number of teams in the league, one page of its standings, best first)."""
        segment = await self.client.hget(keys.league_index(meeting_key), str(league_id))
        if segment is None:
            return 0, []
        start, count = (int(x) for x in segment.decode().split(","))
        first = start + max(0, min(offset, count))
        last = min(start + count, first + max(0, limit))
        if last <= first:
            return count, []
        pipe = self.client.pipeline(transaction=True)  # one window's order, ranks and points together
        for key in (keys.league_order, keys.league_ranks, keys.league_points):
            pipe.getrange(key(meeting_key), first * 4, last * 4 - 1)
        order_raw, ranks_raw, points_raw = await pipe.execute()
        slots = np.frombuffer(order_raw, "<i4").tolist()
        ids = self.client.pipeline(transaction=False)
        for slot in slots:
            ids.getrange(keys.team_ids(meeting_key), slot * 8, slot * 8 + 7)
        team_ids = [int(np.frombuffer(raw, "<i8")[0]) for raw in await ids.execute()]
        ranks = np.frombuffer(ranks_raw, "<i4").tolist()
        points = np.frombuffer(points_raw, "<i4").tolist()
        return count, [Standing(r, t, p) for r, t, p in zip(ranks, team_ids, points, strict=True)]

    async def team_with_points(
        self, meeting_key: int, team_id: int
    ) -> tuple[Standing | None, dict[str, Any] | None]:
        """A team's total and rank with the weekend's asset points, all from the same window."""
        slot = await self.client.hget(keys.team_slots(meeting_key), str(team_id))
        if slot is None:
            return None, await self.points(meeting_key)
        index = int(slot)
        pipe = self.client.pipeline(transaction=True)
        pipe.get(keys.meeting_points(meeting_key))
        pipe.getrange(keys.team_totals(meeting_key), index * 4, index * 4 + 3)
        pipe.getrange(keys.team_ranks(meeting_key), index * 4, index * 4 + 3)
        points, total, rank = await pipe.execute()
        document = None if points is None else json.loads(points)
        if len(total) != 4 or len(rank) != 4:
            return None, document
        standing = Standing(int(np.frombuffer(rank, "<i4")[0]), team_id, int(np.frombuffer(total, "<i4")[0]))
        return standing, document

    async def league_standing(self, meeting_key: int, league_id: int, team_id: int) -> Standing | None:
        """A team's live points and rank inside a league, in one atomic server-side read (None while the
        team or the league has no live state for the meeting)."""
        script = self.client.register_script(LEAGUE_STANDING_SCRIPT)  # EVALSHA, loaded on first use
        reply = await script(
            keys=[
                keys.team_slots(meeting_key),
                keys.team_totals(meeting_key),
                keys.league_index(meeting_key),
                keys.league_points(meeting_key),
            ],
            args=[str(team_id), str(league_id)],
        )
        if not reply:
            return None
        rank, points = (int(x) for x in reply)
        return Standing(rank, team_id, points)


# A team's rank inside one league: 1 + the members with strictly more points (competition ranks, as
# the flow ranks). The league's points are stored best first, so a binary search over its segment
# finds it with O(log n) GETRANGEs, atomically, even in the league that holds every team.
LEAGUE_STANDING_SCRIPT = """
local slot = redis.call('HGET', KEYS[1], ARGV[1])
local segment = redis.call('HGET', KEYS[3], ARGV[2])
if not slot or not segment then return nil end
local function int32(raw)
  local a, b, c, d = string.byte(raw, 1, 4)
  local v = a + b * 256 + c * 65536 + d * 16777216
  if v >= 2147483648 then v = v - 4294967296 end
  return v
end
local index = tonumber(slot)
local total = redis.call('GETRANGE', KEYS[2], index * 4, index * 4 + 3)
if #total ~= 4 then return nil end
local points = int32(total)
local start, count = string.match(segment, '^(%d+),(%d+)$')
start, count = tonumber(start), tonumber(count)
local lo, hi = 0, count
while lo < hi do
  local mid = math.floor((lo + hi) / 2)
  local at = (start + mid) * 4
  local raw = redis.call('GETRANGE', KEYS[4], at, at + 3)
  if #raw == 4 and int32(raw) > points then lo = mid + 1 else hi = mid end
end
return {lo + 1, points}
"""
