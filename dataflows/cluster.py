"""Entry points for running the flow as a Bytewax cluster: several processes, on one host or many.

Each process runs the same flow with its own worker id and the list of every process's address:

    python -m bytewax.run "dataflows.cluster:replay_flow('a.jsonl', 'b.jsonl')" -i 0 -a "h1:2101;h2:2101"
    python -m bytewax.run "dataflows.cluster:replay_flow('a.jsonl', 'b.jsonl')" -i 1 -a "h1:2101;h2:2101"

Feed files are partitions spread over the processes; sessions and meetings are keys routed by hash,
so every process scores its share and writes it to the shared Redis and Postgres (DATABASE_URL and
REDIS_URL must name servers every process reaches). Teams load per meeting in the process that owns it;
with GRIDSCORE_TEAM_SHARDS=K > 1 a weekend's teams are K keys of their own, so each process loads
and scores the rosters of its shards alone (dataflows/shard_steps.py).
"""

from __future__ import annotations

from pathlib import Path

from bytewax.dataflow import Dataflow

from dataflows.assemble import assemble
from dataflows.config import flow_config
from dataflows.shard_books import StoreShardBooks
from dataflows.store_books import StoreTeamBooks
from gridscore.base.settings import get_settings
from ingest.recorded import RecordedFeedSource


def replay_flow(*feeds: str) -> Dataflow:
    """The replay flow over `feeds`, into the servers named by DATABASE_URL and REDIS_URL."""
    settings = get_settings()
    if settings.database_url is None or settings.redis_url is None:
        raise SystemExit("a cluster needs DATABASE_URL and REDIS_URL: servers every process can reach")
    config = flow_config(settings)
    return assemble(
        RecordedFeedSource([Path(f) for f in feeds]),
        config,
        settings.database_url,
        settings.redis_url,
        StoreShardBooks(settings.database_url, config.rules.team)
        if config.shards > 1
        else StoreTeamBooks(settings.database_url, config.rules.team),
        notify=settings.notifications_enabled,
    )
