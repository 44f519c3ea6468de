"""Entry points for running the flow as a Bytewax cluster: several processes, on one host or many.

Each process runs the same flow with its own worker id and the list of every process's address:

    python -m bytewax.run "dataflows.cluster:replay_flow('a.jsonl', 'b.jsonl')" -i 0 -a "h1:2101;h2:2101"
    python -m bytewax.run "dataflows.cluster:replay_flow('a.jsonl', 'b.jsonl')" -i 1 -a "h1:2101;h2:2101"

Feed files are partitions spread over the processes; sessions and meetings are keys routed by hash,
so every process scores its share and writes it to the shared Redis and Postgres (DATABASE_URL and
REDIS_URL must name servers every process reaches). Teams load per meeting in the process that owns it.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bytewax.dataflow import Dataflow

from dataflows.flow import FlowConfig, FlowOutputs, build_flow
from dataflows.sinks import FinalPostgresSink, LiveRedisSink, RejectedRedisSink
from dataflows.store_books import StoreTeamBooks
from gridscore.base.settings import get_settings
from ingest.recorded import RecordedFeedSource
from scoring.rules import load_ruleset


def replay_flow(*feeds: str) -> Dataflow:
    """The replay flow over `feeds`, into the servers named by DATABASE_URL and REDIS_URL."""
    settings = get_settings()
    if settings.database_url is None or settings.redis_url is None:
        raise SystemExit("a cluster needs DATABASE_URL and REDIS_URL: servers every process can reach")
    rules = load_ruleset(settings.ruleset)
    return build_flow(
        RecordedFeedSource([Path(f) for f in feeds]),
        FlowOutputs(
            live=LiveRedisSink(settings.redis_url),
            final=FinalPostgresSink(settings.database_url, notify=True),
            rejected=RejectedRedisSink(settings.redis_url),
        ),
        FlowConfig(
            rules,
            window=timedelta(milliseconds=settings.window_ms),
            lateness=timedelta(milliseconds=settings.lateness_ms),
        ),
        team_books=StoreTeamBooks(settings.database_url, rules.team),
    )
