"""Lock weekends as their first scored session starts, in the API process (every few seconds)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.domain.calendar.services import to_weekend, weekends_query
from api.domain.teams.lock import LockResult, lock_rosters

log = logging.getLogger(__name__)
INTERVAL_S = 10.0


async def lock_due_weekends(session: AsyncSession, now: datetime | None = None) -> list[LockResult]:
    now = now or datetime.now(UTC)
    due = [w for w in map(to_weekend, await session.execute(weekends_query())) if w.lock_due(now)]
    return [await lock_rosters(session, w.meeting_key, now) for w in due]


async def run_locker(sessions: async_sessionmaker[AsyncSession], interval_s: float = INTERVAL_S) -> None:
    while True:
        try:
            async with sessions() as session, session.begin():
                for result in await lock_due_weekends(session):
                    log.info("locked %d rosters for meeting %d", result.rosters, result.meeting_key)
        except asyncio.CancelledError:
            raise
        except Exception:  # a database outage must not end the loop
            log.exception("locking due weekends failed; retrying")
        await asyncio.sleep(interval_s)
