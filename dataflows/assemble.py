"""The one assembly of the flow into the store, for every entry point that writes results.

    source -> build_flow(config) -> live:     Redis (totals, ranks, standings) [+ edges.also_live]
                                  -> final:    Postgres (classified sessions)
                                  -> rejected: Redis counts [+ edges.also_rejected]

`gridscore live` (MQTT in, MQTT documents as well), `gridscore replay`, the benchmarks and the
cluster entry differ only in their source, their clock (FlowConfig.mode) and what they add at
the edges; `gridscore score` keeps the results in memory (dataflows/runner.py) with the same
`build_flow` and the same `flow_config`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from bytewax.dataflow import Dataflow
from bytewax.inputs import Source
from bytewax.outputs import DynamicSink

from dataflows.config import ClockMode, FlowConfig, flow_config
from dataflows.fanout_sink import FanOutSink
from dataflows.flow import FlowOutputs, build_flow
from dataflows.scoring_steps import TeamBookProvider
from dataflows.shard_books import ShardBooks
from dataflows.sinks import (
    FinalPostgresSink,
    LeagueGroupRedisSink,
    LiveRedisSink,
    RejectedRedisSink,
    ShardTeamsRedisSink,
)
from gridscore.base.settings import Settings
from ingest.decode import Rejected
from ingest.recorded import BATCH_SIZE, RecordedFeedSource
from scoring.outcomes import ScoredWindow
from scoring.shards import ShardTeams
from scoring.teams import TeamBook


@dataclass(frozen=True, slots=True)
class Edges:
    """What an entry point adds around the store's sinks (all optional)."""

    on_written: Callable[[ScoredWindow], None] | None = None  # a window's team totals are readable
    # A sharded weekend's shard wrote its teams of a window (FlowConfig.shards > 1), and when.
    on_shard_written: Callable[[ShardTeams, float], None] | None = None
    on_final: Callable[[ScoredWindow], None] | None = None  # a classified session is committed
    also_live: DynamicSink[ScoredWindow] | None = None  # after Redis, e.g. the MQTT documents
    also_rejected: Callable[[list[Rejected]], None] | None = None  # after Redis, e.g. f1/ingest/rejected


def assemble(
    source: Source[Any],
    config: FlowConfig,
    database_url: str,
    redis_url: str,
    team_books: TeamBookProvider | ShardBooks | None,
    *,
    notify: bool,
    edges: Edges | None = None,
) -> Dataflow:
    """The flow from `source` into Redis and Postgres, with `team_books` for the teams."""
    edges = edges or Edges()
    redis_live = LiveRedisSink(redis_url, edges.on_written, background=config.background_writes)
    return build_flow(
        source,
        FlowOutputs(
            live=redis_live
            if edges.also_live is None
            else FanOutSink[ScoredWindow](redis_live, edges.also_live),
            final=FinalPostgresSink(database_url, edges.on_final, notify=notify),
            rejected=RejectedRedisSink(redis_url, also=edges.also_rejected),
            shard_teams=ShardTeamsRedisSink(redis_url, config.shards, edges.on_shard_written),
            league_groups=LeagueGroupRedisSink(redis_url, config.shards),
        ),
        config,
        team_books=team_books,
    )


def store_flow(
    database_url: str,
    redis_url: str,
    feeds: list[Path],
    settings: Settings,
    book: TeamBook | None,
    meeting_key: int | None = None,
    speed: float = 0.0,
    window: timedelta | None = None,
    on_written: Callable[[ScoredWindow], None] | None = None,
    on_final: Callable[[ScoredWindow], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> Dataflow:
    """Recorded feeds into Redis (live) and Postgres (final), scoring `book` for `meeting_key`:
    as fast as possible, or paced at `speed` times real time."""
    config = flow_config(settings, ClockMode.PACED if speed > 0 else ClockMode.REPLAY, window=window)
    return assemble(
        RecordedFeedSource(feeds, speed=speed, batch_size=batch_size),
        config,
        database_url,
        redis_url,
        lambda key: book if key == meeting_key else None,
        notify=settings.notifications_enabled,
        edges=Edges(on_written=on_written, on_final=on_final),
    )
