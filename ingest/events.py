"""Typed OpenF1 documents, one struct per topic of the input contract (FEEDS.md).

Field names and types are OpenF1's; unknown fields are ignored; `_key`/`_id` are kept so
that re-versions of one document can be upserted.
"""

from __future__ import annotations

from datetime import datetime

import msgspec


class OpenF1(msgspec.Struct, frozen=True, kw_only=True):
    session_key: int
    doc_key: str | None = msgspec.field(default=None, name="_key")
    doc_id: int | None = msgspec.field(default=None, name="_id")


class SessionInfo(OpenF1, frozen=True, kw_only=True):
    meeting_key: int
    session_name: str
    session_type: str | None = None
    date_start: datetime | None = None
    date_end: datetime | None = None
    year: int | None = None
    circuit_short_name: str | None = None


class DriverInfo(OpenF1, frozen=True, kw_only=True):
    driver_number: int
    name_acronym: str
    team_name: str
    full_name: str | None = None


class GridSlot(OpenF1, frozen=True, kw_only=True):
    driver_number: int
    position: int
    pit_lane_start: bool | None = False


class Position(OpenF1, frozen=True, kw_only=True):
    driver_number: int
    date: datetime
    position: int


class Lap(OpenF1, frozen=True, kw_only=True):
    driver_number: int
    lap_number: int
    date_start: datetime | None = None
    lap_duration: float | None = None
    is_pit_out_lap: bool | None = False


class Overtake(OpenF1, frozen=True, kw_only=True):
    overtaking_driver_number: int
    overtaken_driver_number: int | None = None
    date: datetime
    position: int | None = None


class PitStop(OpenF1, frozen=True, kw_only=True):
    driver_number: int
    lap_number: int | None = None
    date: datetime
    lane_duration: float | None = None
    stop_duration: float | None = None


class RaceControl(OpenF1, frozen=True, kw_only=True):
    date: datetime
    category: str | None = None
    flag: str | None = None
    message: str | None = None
    driver_number: int | None = None


class SessionResult(OpenF1, frozen=True, kw_only=True):
    driver_number: int
    position: int | None = None
    number_of_laps: int | None = None
    dnf: bool | None = False
    dns: bool | None = False
    dsq: bool | None = False
    duration: float | list[float | None] | None = None


class DriverOfTheDay(OpenF1, frozen=True, kw_only=True):
    meeting_key: int | None = None
    driver_number: int
    date: datetime | None = None


Event = (
    SessionInfo
    | DriverInfo
    | GridSlot
    | Position
    | Lap
    | Overtake
    | PitStop
    | RaceControl
    | SessionResult
    | DriverOfTheDay
)

TOPIC_TYPES: dict[str, type[OpenF1]] = {
    "sessions": SessionInfo,
    "drivers": DriverInfo,
    "starting_grid": GridSlot,
    "position": Position,
    "laps": Lap,
    "overtakes": Overtake,
    "pit": PitStop,
    "race_control": RaceControl,
    "session_result": SessionResult,
    "driver_of_the_day": DriverOfTheDay,
}


def event_time(event: OpenF1, arrived: datetime) -> datetime:
    """Event time is the payload's own `date` (`date_start` for laps and sessions), else arrival."""
    if isinstance(event, (Position, Overtake, PitStop, RaceControl, DriverOfTheDay)):
        return event.date or arrived
    if isinstance(event, (Lap, SessionInfo)):
        return event.date_start or arrived
    return arrived
