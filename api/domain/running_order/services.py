"""The running order read: the engine's document from Redis (store/live_read.py), paged. Never scores."""

from __future__ import annotations

from datetime import datetime

import msgspec

from api.domain.running_order.schemas import RunningOrderOut, RunningPlaceOut
from api.domain.standings.schemas import AsOfOut
from api.errors import ErrorCode, NotFound
from store.live_read import AsyncLiveReader

_places = msgspec.convert  # the document's items are already in the body's shape


async def running_order(
    reader: AsyncLiveReader, session_key: int, offset: int, limit: int
) -> RunningOrderOut | None:
    """One page of the session's running order; None while the engine has written none."""
    live = await reader.running_order(session_key)
    if live is None:
        return None
    document = live.document
    items = _places(document["items"], list[RunningPlaceOut])
    window = document.get("window_time")
    return RunningOrderOut(
        session_key=session_key,
        meeting_key=document.get("meeting_key"),
        session_name=str(document.get("session_name") or ""),
        items=items[offset : offset + limit],
        total=len(items),
        limit=limit,
        offset=offset,
        as_of=AsOfOut(live.version, None if window is None else datetime.fromisoformat(window)),
        final=bool(document.get("final")),
    )


async def running_order_or_404(
    reader: AsyncLiveReader, session_key: int, offset: int, limit: int
) -> RunningOrderOut:
    found = await running_order(reader, session_key, offset, limit)
    if found is None:
        raise NotFound(
            f"no running order for session {session_key} yet: it comes with the session's first scored"
            " window (GET /api/meetings lists the sessions)",
            code=ErrorCode.NOT_STARTED,
        )
    return found
