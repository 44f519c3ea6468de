"""Bytewax sinks around the store's writers: each worker opens its own connections."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from bytewax.outputs import DynamicSink, StatelessSinkPartition

from dataflows import metrics
from ingest.decode import Rejected
from scoring.outcomes import ScoredWindow
from scoring.shards import GroupStandings, ShardTeams
from store.live import LiveWriter
from store.live_shards import LeagueGroupWriter, ShardTeamsWriter
from store.outages import redis_client
from store.rejected import write_rejected
from store.results import FinalWriter


class _CallbackPartition(StatelessSinkPartition[Any]):
    def __init__(self, write: Callable[[list[Any]], None], close: Callable[[], None] = lambda: None) -> None:
        self._write = write
        self._close = close

    def write_batch(self, items: list[Any]) -> None:
        self._write(items)

    def close(self) -> None:
        self._close()


class LiveRedisSink(DynamicSink[ScoredWindow]):
    """Running totals, team totals and ranks, and league standings into Redis (and the engine's metrics:
    teams scored, window lag, refresh time). `background`: team totals are written by a thread of
    their own after the points (live); otherwise in line, every window in order (a replay).
    `on_written` is called with each window once its teams' totals are readable."""

    def __init__(
        self,
        redis_url: str,
        on_written: Callable[[ScoredWindow], None] | None = None,
        background: bool = False,
    ) -> None:
        self.redis_url = redis_url
        self.on_written = on_written
        self.background = background

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _CallbackPartition:
        def written(window: ScoredWindow) -> None:
            metrics.observe_live_write(window, time.perf_counter())
            if self.on_written is not None:
                self.on_written(window)

        writer = LiveWriter(
            redis_client(self.redis_url), on_totals=written, teams_in_background=self.background
        )

        def write(items: list[ScoredWindow]) -> None:
            metrics.count_scored(items)
            writer.write_many(_latest_per_session(items))

        return _CallbackPartition(write, writer.close)


class ShardTeamsRedisSink(DynamicSink[ShardTeams]):
    """A sharded weekend's shards write their own slots of the team arrays (store/live_shards.py);
    `on_written` is called with each shard's window and when it became readable."""

    def __init__(
        self, redis_url: str, shards: int, on_written: Callable[[ShardTeams, float], None] | None = None
    ) -> None:
        self.redis_url = redis_url
        self.shards = shards
        self.on_written = on_written

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _CallbackPartition:
        client = redis_client(self.redis_url)
        writer = ShardTeamsWriter(client, self.shards, self.on_written)

        def write(items: list[ShardTeams]) -> None:
            for teams in items:
                writer.write(teams)

        return _CallbackPartition(write, client.close)


class LeagueGroupRedisSink(DynamicSink[GroupStandings]):
    """A sharded weekend's league groups write their own leagues' segments (store/live_shards.py)."""

    def __init__(self, redis_url: str, shards: int) -> None:
        self.redis_url = redis_url
        self.shards = shards

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _CallbackPartition:
        client = redis_client(self.redis_url)
        writer = LeagueGroupWriter(client, self.shards)

        def write(items: list[GroupStandings]) -> None:
            for standings in items:
                writer.write(standings)

        return _CallbackPartition(write, client.close)


def _latest_per_session(items: list[ScoredWindow]) -> list[ScoredWindow]:
    """Within one batch only each session's last window matters for live state: skip the rest."""
    latest: dict[int, ScoredWindow] = {}
    for window in items:
        key = window.weekend.session.points.session_key
        latest.pop(key, None)
        latest[key] = window
    return list(latest.values())


class FinalPostgresSink(DynamicSink[ScoredWindow]):
    """Final results of classified sessions into Postgres; with `notify` on, the team owners'
    notification goes into the outbox in the same transaction (the worker relays it: the flow calls
    no broker).

    A session's team rows are the flow's (ScoredWindow.final: the weekend as of that session); the
    writer stores them as they are."""

    def __init__(
        self,
        database_url: str,
        on_written: Callable[[ScoredWindow], None] | None = None,
        notify: bool = False,
    ) -> None:
        self.database_url = database_url
        self.on_written = on_written
        self.notify = notify

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _CallbackPartition:
        writer = FinalWriter(self.database_url, outbox=self.notify)

        def write(items: list[ScoredWindow]) -> None:
            for window in items:
                writer.write(window)
                if self.on_written is not None:
                    self.on_written(window)

        return _CallbackPartition(write, writer.close)


class RejectedRedisSink(DynamicSink[Rejected]):
    """Counts rejected inputs by reason and keeps the latest ones, with their reason, in Redis
    (store/rejected.py); `also` gets them too (the live engine publishes them)."""

    def __init__(self, redis_url: str, also: Callable[[list[Rejected]], None] | None = None) -> None:
        self.redis_url = redis_url
        self.also = also

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _CallbackPartition:
        client = redis_client(self.redis_url)

        def write(items: list[Rejected]) -> None:
            counts = Counter(item.category for item in items)
            documents = [json.dumps(rejected_document(i)) for i in items]
            write_rejected(client, counts, documents)
            metrics.count_rejected(counts)
            if self.also is not None:
                self.also(items)

        return _CallbackPartition(write, client.close)


def rejected_document(item: Rejected) -> dict[str, Any]:
    return {
        "reason": item.reason,
        "topic": item.topic,
        "offset": item.offset,
        "at": item.at.isoformat(),
        "raw": item.raw.decode("utf-8", errors="replace")[:2048],
    }
