"""A session's live running order in Redis, and the window time of a meeting's live version.

The engine writes each session's running order (scoring/order.py, with the session's driver
points) in the same MULTI/EXEC as the meeting's points and version, so a reader that takes the
document and the version together sees one window (store/live_read.py: `running_order`, `as_of`);
nothing here scores.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from redis.client import Pipeline

from scoring.order import Place
from scoring.points import SessionPoints
from scoring.weekend import WeekendUpdate
from store import live_keys as keys

encode = msgspec.json.Encoder().encode


def order_document(
    points: SessionPoints, name: str, order: tuple[Place, ...], window_time: datetime | None
) -> dict[str, Any]:
    """The running order as the API serves it (less the page and the version): each car's place,
    who it is, and its points in the session so far (provisional until it is classified)."""
    return {
        "session_key": points.session_key,
        "meeting_key": points.meeting_key,
        "session_name": name,
        "final": points.final,
        "window_time": window_time.isoformat() if window_time else None,
        "items": [
            {
                "position": place.position,
                "driver": {
                    "number": place.driver_number,
                    "code": place.code,
                    "name": place.name,
                    "constructor": place.constructor,
                },
                "points": points.drivers[place.code].total if place.code in points.drivers else 0,
                "provisional": not place.classified,
            }
            for place in order
        ],
    }


def queue_running_order(
    pipe: Pipeline,
    points: SessionPoints,
    name: str,
    order: tuple[Place, ...],
    window_time: datetime | None,
) -> None:
    """One session's running order, into the meeting's write (a session with no cars yet has none)."""
    if order:
        document = order_document(points, name, order, window_time)
        pipe.set(keys.session_order(points.session_key), encode(document))


def weekend_window_time(weekend: WeekendUpdate) -> datetime | None:
    """The weekend's newest session clock: a late window of an earlier session does not turn it back."""
    return max((s.window_end for s in weekend.sessions.values() if s.window_end is not None), default=None)


def queue_window_time(pipe: Pipeline, key: str, window_time: datetime | None) -> None:
    """The `window_time` of the version being written (the meeting's, or the one the team totals are
    of, at `key`): the newest session clock its state includes."""
    if window_time is not None:
        pipe.set(key, window_time.isoformat())
