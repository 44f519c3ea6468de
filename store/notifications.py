"""Reading a user's notifications, for the API: newest first, paged by id, and marking them read.

Rows are written by the Celery tasks (tasks/notify.py); the API only reads them and sets `read_at`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import Notification


@dataclass(frozen=True, slots=True)
class NotificationView:
    id: int
    kind: str  # results_final, lock_reminder
    session_key: int
    payload: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


async def list_notifications(
    session: AsyncSession,
    user_id: int,
    *,
    limit: int = 50,
    before_id: int | None = None,
    unread_only: bool = False,
) -> list[NotificationView]:
    """The user's notifications, newest first; pass the last id seen as `before_id` for the next page."""
    query = select(Notification).where(Notification.user_id == user_id)
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    rows = await session.scalars(query.order_by(Notification.id.desc()).limit(max(1, min(limit, 200))))
    return [
        NotificationView(n.id, n.kind, n.session_key, n.payload, n.created_at, n.read_at) for n in rows.all()
    ]


async def count_unread(session: AsyncSession, user_id: int) -> int:
    query = select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    return int(await session.scalar(query) or 0)


async def mark_read(session: AsyncSession, user_id: int, ids: Sequence[int]) -> int:
    """Mark some of the user's notifications read (others' ids are ignored); the caller commits."""
    result = await session.execute(
        update(Notification)
        .where(
            Notification.user_id == user_id, Notification.id.in_(list(ids)), Notification.read_at.is_(None)
        )
        .values(read_at=datetime.now(UTC))
    )
    return int(getattr(result, "rowcount", 0) or 0)
