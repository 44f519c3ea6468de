"""Routes of the running order: a session's live table of cars with provisional points, as a read and as a
server-sent event stream (the same ticket auth, event ids and resume as the other live streams)."""

from __future__ import annotations

from functools import partial
from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import ServerSentEvent
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.live.callers import stream_caller
from api.domain.live.controllers import EVENT_STREAM, STREAM_SECURITY, LivePush, _stream_spec
from api.domain.live.events import live_events, meeting_changes
from api.domain.running_order.schemas import RunningOrderOut
from api.domain.running_order.services import running_order, running_order_or_404
from api.errors import ErrorCode, NotFound, responses
from api.lib.params import MAX_PAGE, PageLimit, PageOffset, SessionKey
from store.live_read import AsyncLiveReader
from store.models import RaceSession

RUNNING_ORDER_EVENT = "running_order"


class RunningOrderController(Controller):
    path = "/api"
    tags = ["live"]

    @get(
        "/sessions/{session_key:int}/running-order",
        operation_id="getRunningOrder",
        summary="A session's running order with provisional points",
        exclude_from_auth=True,
        security=[{}],
        responses=responses(400, 404, 429),
    )
    async def read(
        self,
        session_key: SessionKey,
        live: NamedDependency[AsyncLiveReader],
        offset: PageOffset = 0,
        limit: PageLimit = MAX_PAGE,
    ) -> RunningOrderOut:
        """Where each car is in the session now, first place first, with each driver's points in the
        session so far: provisional (as if the session ended in this order) until the classification
        lands, then final. `as_of` says which live state it is (the version, and the session clock its
        window closed at). 404 `not_started` until the engine has scored a window of the session."""
        return await running_order_or_404(live, session_key, offset, limit)

    @get(
        "/live/sessions/{session_key:int}/running-order",
        operation_id="streamRunningOrder",
        summary="Stream a session's running order",
        exclude_from_auth=True,
        security=STREAM_SECURITY,
        media_type=EVENT_STREAM,
        responses=_stream_spec(
            RUNNING_ORDER_EVENT,
            "body of GET /api/sessions/{session_key}/running-order (every car)",
            RunningOrderOut,
        ),
    )
    async def stream(
        self,
        session_key: SessionKey,
        request: Request[Any, Any, Any],
        db_session: NamedDependency[AsyncSession],
        push: NamedDependency[LivePush],
    ) -> ServerSentEvent:
        """A session's running order, every car, pushed on every change of the meeting's live state (a
        session of the calendar, or one the engine has scored). Authenticate with `?ticket=` or a bearer
        token."""
        await stream_caller(request, push.tickets, push.issuer, push.gate)
        meeting_key = await _meeting_of(db_session, push.reads.live, session_key)
        read = partial(running_order, push.reads.live, session_key, 0, MAX_PAGE)
        return ServerSentEvent(
            live_events(
                meeting_changes(push.versions, meeting_key, push.pace.keepalive_s),
                RUNNING_ORDER_EVENT,
                read,
                push.pace,
                request.headers.get("last-event-id"),
            )
        )


async def _meeting_of(session: AsyncSession, live: AsyncLiveReader, session_key: int) -> int:
    """The weekend whose updates the stream follows: the calendar's, else the engine's document's."""
    query = select(RaceSession.meeting_key).where(RaceSession.session_key == session_key)
    meeting = await session.scalar(query)
    if meeting is not None:
        return int(meeting)
    document = await live.running_order(session_key)
    if document is not None and document.document.get("meeting_key") is not None:
        return int(document.document["meeting_key"])
    raise NotFound(
        f"no session {session_key}: GET /api/meetings lists the weekends and their sessions",
        code=ErrorCode.NOT_FOUND,
    )
