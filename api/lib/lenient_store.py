"""A Redis store for limits that protect availability: while Redis is down it forgets instead of failing,
so that /health can still say so (503) and public reads that need only PostgreSQL still answer."""

from __future__ import annotations

import logging
from datetime import timedelta

from litestar.stores.redis import RedisStore
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class LenientRedisStore(RedisStore):
    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        try:
            return await super().get(key, renew_for)
        except RedisError as exc:
            log.warning("rate-limit store unavailable (%s): not limiting", type(exc).__name__)
            return None

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        try:
            await super().set(key, value, expires_in)
        except RedisError:
            return
