"""Single-use tickets for live streams: EventSource cannot send an Authorization header, so a client that
holds an access token trades it for a ticket that the stream URL carries.

A ticket is 256 random bits, stored in Redis under its SHA-256 (Redis never holds a usable ticket) with
the user id and a short TTL, and redeemed with GETDEL: expired, reused and forged tickets all find nothing.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

import redis.asyncio as redis_async

TICKET_BYTES = 32
_TICKET = re.compile(r"^[A-Za-z0-9_-]{16,128}$")  # what token_urlsafe makes; anything else is not a ticket


class TicketBook:
    def __init__(self, client: redis_async.Redis, namespace: str, ttl: timedelta) -> None:
        self.client = client
        self.namespace = namespace
        self.ttl = ttl

    async def issue(self, user_id: int) -> str:
        ticket = secrets.token_urlsafe(TICKET_BYTES)
        await self.client.set(self._key(ticket), str(user_id), px=int(self.ttl.total_seconds() * 1000))
        return ticket

    async def redeem(self, ticket: str) -> int | None:
        """The user id the ticket was issued to, once; None for an unknown, expired or used ticket."""
        if not _TICKET.match(ticket):
            return None
        raw = await self.client.getdel(self._key(ticket))
        return None if raw is None else int(raw)

    async def holder(self, ticket: str) -> int | None:
        """The user id of a valid ticket, without using it up."""
        if not _TICKET.match(ticket):
            return None
        raw = await self.client.get(self._key(ticket))
        return None if raw is None else int(raw)

    def _key(self, ticket: str) -> str:
        return f"{self.namespace}:{hashlib.sha256(ticket.encode()).hexdigest()}"
