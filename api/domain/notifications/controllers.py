"""Routes of the notifications inbox: list, unread count, mark read (one or all)."""

from __future__ import annotations

from typing import Annotated, Any

from advanced_alchemy.service.pagination import OffsetPagination
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.accounts.guards import CurrentUser
from api.domain.notifications.schemas import MarkedOut, NotificationOut, UnreadOut
from api.domain.notifications.services import Inbox
from api.errors import responses
from api.lib.pagination import DEFAULT_PAGE, page_of
from api.lib.params import INT8_MAX, PageLimit, PageOffset
from store.inbox_push import announce_inbox_async
from store.live_read import AsyncLiveReader

Req = Request[CurrentUser, Any, Any]
NotificationId = Annotated[
    int, Parameter(ge=1, le=INT8_MAX, description="a notification's id (from the list)")
]
UnreadOnly = Annotated[bool, Parameter(description="only the notifications not read yet")]


def provide_inbox(db_session: NamedDependency[AsyncSession]) -> Inbox:
    return Inbox(db_session)


class NotificationController(Controller):
    path = "/api/notifications"
    tags = ["notifications"]
    dependencies = {"inbox": Provide(provide_inbox, sync_to_thread=False)}

    @get("/", operation_id="listNotifications", summary="Your notifications", responses=responses(400, 401))
    async def notifications(
        self,
        request: Req,
        inbox: NamedDependency[Inbox],
        unread: UnreadOnly = False,
        offset: PageOffset = 0,
        limit: PageLimit = DEFAULT_PAGE,
    ) -> OffsetPagination[NotificationOut]:
        """Your notifications, newest first, one page at a time (final results, lock reminders). New ones
        also come on GET /api/live/notifications and over MQTT on f1/notifications/<your id>."""
        found, total = await inbox.page(request.user.id, unread, offset, limit)
        return page_of(found, total, offset, limit)

    @get(
        "/unread",
        operation_id="countUnreadNotifications",
        summary="How many are unread",
        responses=responses(401),
    )
    async def unread(self, request: Req, inbox: NamedDependency[Inbox]) -> UnreadOut:
        """The number of your notifications not read yet (for a badge)."""
        return UnreadOut(await inbox.unread(request.user.id))

    @post(
        "/{notification_id:int}/read",
        operation_id="markNotificationRead",
        summary="Mark a notification read",
        status_code=HTTP_204_NO_CONTENT,
        responses=responses(400, 401, 404),
    )
    async def mark(
        self,
        notification_id: NotificationId,
        request: Req,
        inbox: NamedDependency[Inbox],
        live: NamedDependency[AsyncLiveReader],
    ) -> None:
        """Mark one of your notifications read (again: no change)."""
        await inbox.mark(request.user.id, notification_id)
        await _announce(inbox, live, request.user.id)

    @post(
        "/read-all",
        operation_id="markAllNotificationsRead",
        summary="Mark every notification read",
        status_code=HTTP_200_OK,
        responses=responses(401),
    )
    async def mark_all(
        self, request: Req, inbox: NamedDependency[Inbox], live: NamedDependency[AsyncLiveReader]
    ) -> MarkedOut:
        """Mark all your notifications read; says how many were unread."""
        marked = await inbox.mark_all(request.user.id)
        await _announce(inbox, live, request.user.id)
        return MarkedOut(marked)


async def _announce(inbox: Inbox, live: AsyncLiveReader, user_id: int) -> None:
    """Committed first, then announced: the player's open inbox streams re-read the new count at once."""
    await inbox.session.commit()
    await announce_inbox_async(live.client, [user_id])
