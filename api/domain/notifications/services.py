"""The inbox: a player's notifications (written by the Celery fan-out), newest first, read or not."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.notifications.schemas import InboxOut, NotificationOut
from api.errors import NotFound
from api.lib.pagination import count_of
from store.models import Notification


def notification_out(row: Notification) -> NotificationOut:
    return NotificationOut(row.id, row.kind, row.session_key, row.payload, row.created_at, row.read_at)


class Inbox:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def page(
        self, user_id: int, unread_only: bool, offset: int, limit: int
    ) -> tuple[list[NotificationOut], int]:
        query = select(Notification).where(Notification.user_id == user_id)
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        rows = await self.session.scalars(query.order_by(Notification.id.desc()).offset(offset).limit(limit))
        return [notification_out(r) for r in rows], await count_of(self.session, query)

    async def unread(self, user_id: int) -> int:
        query = select(func.count()).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        return int(await self.session.scalar(query) or 0)

    async def mark(self, user_id: int, notification_id: int) -> None:
        row = await self.session.get(Notification, notification_id)
        if row is None or row.user_id != user_id:
            raise NotFound(f"you have no notification {notification_id}")
        row.read_at = row.read_at or datetime.now(UTC)
        await self.session.flush()

    async def mark_all(self, user_id: int) -> int:
        marked = await self.session.execute(
            update(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
            .values(read_at=datetime.now(UTC))
        )
        return int(marked.rowcount or 0)  # type: ignore[attr-defined]

    async def state(self, user_id: int) -> InboxOut:
        latest = await self.session.scalar(
            select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id.desc())
            .limit(1)
        )
        return InboxOut(await self.unread(user_id), None if latest is None else notification_out(latest))
