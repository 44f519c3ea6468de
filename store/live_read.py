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
