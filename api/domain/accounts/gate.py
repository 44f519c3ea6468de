"""Is an access token's session still open? Asked on every authenticated request, so that logout, "log
out everywhere", a password change and a detected refresh-token reuse end access tokens at once.

PostgreSQL (auth_session.revoked_at) is the truth; Redis caches the answer per session, so a request
costs one GET. Readers fill the cache with SET NX and writers overwrite it after their commit: a reader
that read PostgreSQL just before a revocation can never put "open" back over the writer's "ended". A
Redis that lost its keys is refilled from PostgreSQL; a Redis that is down is skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta

import redis.asyncio as redis_async
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.lib.short_cache import ShortCache
from store.models import AuthSession

log = logging.getLogger(__name__)
ENDED = b"-"


class SessionGate:
    def __init__(
        self,
        client: redis_async.Redis,
        sessions: Callable[[], AsyncSession],
        namespace: str,
        ttl: timedelta,
        kept_s: float = 0.0,
    ) -> None:
        self.client = client
        self.sessions = sessions
        self.namespace = namespace
        self.ttl_ms = int(ttl.total_seconds() * 1000)  # >= the access tokens' lifetime
        # An open session's answer is also kept in this process for `kept_s` (API_READ_CACHE_MS): a race's
        # reads then cost no round trip. A revocation through this process drops it at once (`ended`);
        # another process's copy ends within kept_s.
        self._open: ShortCache[int] = ShortCache(kept_s)

    async def user_of(self, session_id: str) -> int | None:
        """The user whose session this is while it is open; None once it has ended (or never was)."""
        kept = self._open.get(session_id)
        if kept is not None:
            return kept
        key = self._key(session_id)
        try:
            cached = await self.client.get(key)
            if cached is None:
                fresh = await self._read(session_id)
                if not await self.client.set(key, fresh, nx=True, px=self.ttl_ms):
                    cached = await self.client.get(key)  # a revocation (or another reader) got there first
                cached = fresh if cached is None else cached
        except RedisError as exc:
            log.warning("session cache unavailable (%s); reading PostgreSQL", type(exc).__name__)
            cached = await self._read(session_id)
        if cached == ENDED:
            return None
        self._open.put(session_id, int(cached))
        return int(cached)

    def forget(self) -> None:
        """Drop this process's copies (after any write: a logout, a password change)."""
        self._open.forget()

    async def ended(self, session_ids: Iterable[str]) -> None:
        """Call after committing the revocation of these sessions."""
        session_ids = list(session_ids)
        for session_id in session_ids:
            self._open.drop(session_id)
        keys = [self._key(s) for s in session_ids]
        if not keys:
            return
        try:
            async with self.client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.set(key, ENDED, px=self.ttl_ms)
                await pipe.execute()
        except RedisError as exc:  # the cache may say "open" for up to its TTL: delete is not possible either
            log.error("could not mark %d ended sessions in Redis (%s)", len(keys), type(exc).__name__)

    async def _read(self, session_id: str) -> bytes:
        async with self.sessions() as db:
            row = (
                await db.execute(
                    select(AuthSession.user_id, AuthSession.revoked_at).where(AuthSession.id == session_id)
                )
            ).first()
        return ENDED if row is None or row.revoked_at is not None else str(row.user_id).encode()

    def _key(self, session_id: str) -> str:
        return f"{self.namespace}:{session_id}"
