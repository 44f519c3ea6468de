"""Bodies of the notifications inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class NotificationOut(msgspec.Struct):
    id: int
    kind: str  # results_final (a session's results are final), lock_reminder (a weekend locks soon)
    session_key: int
    payload: dict[str, Any]  # what the e-mail and the MQTT message say: team, points, rank...
    created_at: datetime
    read_at: datetime | None


class UnreadOut(msgspec.Struct):
    unread: int


class InboxOut(msgspec.Struct):
    """A live stream's event: the unread count and the newest notification."""

    unread: int
    latest: NotificationOut | None


class MarkedOut(msgspec.Struct):
    marked: int  # notifications marked read by this request
