"""Tell a player's inbox stream that their notifications changed: one PUBLISH per user on the user's
channel (store/live_keys.py `inbox_channel`), sent by whoever wrote the rows, after their commit (the
Celery tasks that create them; the API when a player marks them read, so their other tabs follow).
The stream (GET /api/live/notifications) re-reads at once instead of at its next keep-alive.

A note is only a nudge: it carries nothing the stream trusts, and a lost one costs one keep-alive
period at most, so a failure to send is logged and never fails the write it follows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import redis
import redis.asyncio as redis_async

from store import live_keys as keys

NOTE = b'{"inbox":"changed"}'
log = logging.getLogger(__name__)


def announce_inbox(client: redis.Redis, user_ids: Iterable[int]) -> int:
    """Nudge each user's stream once; returns how many notes went out (0 if Redis failed)."""
    users = sorted(set(user_ids))
    if not users:
        return 0
    try:
        pipe = client.pipeline(transaction=False)
        for user_id in users:
            pipe.publish(keys.inbox_channel(user_id), NOTE)
        pipe.execute()
    except redis.RedisError:
        log.warning("inbox notes for %d users not sent: their streams catch up at a keep-alive", len(users))
        return 0
    return len(users)


def announce_inbox_at(redis_url: str, user_ids: Iterable[int]) -> int:
    """`announce_inbox` on a short-lived connection (a Celery task's)."""
    users = list(user_ids)
    if not users:
        return 0
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=5)
    try:
        return announce_inbox(client, users)
    finally:
        client.close()


async def announce_inbox_async(client: redis_async.Redis, user_ids: Iterable[int]) -> int:
    """`announce_inbox` on redis.asyncio (the API: a player marked notifications read)."""
    users = sorted(set(user_ids))
    if not users:
        return 0
    try:
        pipe = client.pipeline(transaction=False)
        for user_id in users:
            pipe.publish(keys.inbox_channel(user_id), NOTE)
        await pipe.execute()
    except redis.RedisError:
        log.warning("inbox notes for %d users not sent: their streams catch up at a keep-alive", len(users))
        return 0
    return len(users)
