"""Rejected inputs in Redis: a count per reason category and the latest ones kept (newest first),
for `/health`, the metrics and whoever looks into why a message did not count."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import redis

from store import live_keys
from store.outages import REDIS

REJECTED_KEEP = 10_000  # the latest rejected inputs kept, with their reason


def latest_rejected_key() -> str:
    return f"{live_keys.rejected_count()}:latest"


def write_rejected(client: redis.Redis, counts: Mapping[str, int], documents: Sequence[str]) -> None:
    """Add `counts` (reason category -> how many) and push `documents` (JSON, one a rejected input)
    in one MULTI, waiting out a Redis outage however long (store/outages.py)."""

    def send() -> None:  # a new pipeline per attempt: a failed execute() empties its own
        pipe = client.pipeline(transaction=True)
        for category, count in counts.items():
            pipe.hincrby(live_keys.rejected_count(), category, count)
        if documents:
            pipe.lpush(latest_rejected_key(), *documents)
            pipe.ltrim(latest_rejected_key(), 0, REJECTED_KEEP - 1)
        pipe.execute()

    REDIS.call(send, "rejected inputs")
