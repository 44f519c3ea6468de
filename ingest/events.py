"""Typed OpenF1 documents, one struct per topic of the input contract (FEEDS.md).

Field names and types are OpenF1's; unknown fields are ignored; `_key`/`_id` are kept so
that re-versions of one document can be upserted. Every number has a range (msgspec checks it
while decoding): a value outside it is a ValidationError naming the field, so the decoder rejects
the message as `invalid` instead of scoring it (a position of -5 or 2^63+5, car 0, lap -1, a
negative stop). The ranges are wide enough for any real weekend since 1950.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

MAX_CARS = 30  # positions on the grid, in the running order and in a classification
MAX_LAPS = 200  # laps of one session (the longest Grand Prix had 200, Indianapolis 1950-1960)
MAX_SECONDS = 6 * 3600.0  # any duration: a lap, a pit stop, a whole race with its suspensions
MAX_KEY = 2**31 - 1  # session and meeting keys are PostgreSQL integers

Key = Annotated[int, msgspec.Meta(ge=1, le=MAX_KEY)]
CarNumber = Annotated[int, msgspec.Meta(ge=1, le=99)]
Place = Annotated[int, msgspec.Meta(ge=1, le=MAX_CARS)]
LapNumber = Annotated[int, msgspec.Meta(ge=1, le=MAX_LAPS)]
LapCount = Annotated[int, msgspec.Meta(ge=0, le=MAX_LAPS)]
Seconds = Annotated[float, msgspec.Meta(gt=0, le=MAX_SECONDS)]
Year = Annotated[int, msgspec.Meta(ge=1950, le=2100)]
DocId = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]


class OpenF1(msgspec.Struct, frozen=True, kw_only=True):
    session_key: Key
    doc_key: str | None = msgspec.field(default=None, name="_key")
    doc_id: DocId | None = msgspec.field(default=None, name="_id")


class SessionInfo(OpenF1, frozen=True, kw_only=True):
    meeting_key: Key
    session_name: str
    session_type: str | None = None
    date_start: datetime | None = None
    date_end: datetime | None = None
    year: Year | None = None
    circuit_short_name: str | None = None


class DriverInfo(OpenF1, frozen=True, kw_only=True):
    driver_number: CarNumber
    name_acronym: str
    team_name: str
    full_name: str | None = None


class GridSlot(OpenF1, frozen=True, kw_only=True):
    driver_number: CarNumber
    position: Place
    pit_lane_start: bool | None = False


class Position(OpenF1, frozen=True, kw_only=True):
    driver_number: CarNumber
    date: datetime
    position: Place


class Lap(OpenF1, frozen=True, kw_only=True):
    driver_number: CarNumber
    lap_number: LapNumber
    date_start: datetime | None = None
    lap_duration: Seconds | None = None
    is_pit_out_lap: bool | None = False


class Overtake(OpenF1, frozen=True, kw_only=True):
    overtaking_driver_number: CarNumber
    overtaken_driver_number: CarNumber | None = None
    date: datetime
    position: Place | None = None

    def __post_init__(self) -> None:
        if self.overtaken_driver_number == self.overtaking_driver_number:
            raise ValueError(
                f"overtaken_driver_number: car {self.overtaking_driver_number} cannot overtake itself"
            )


class PitStop(OpenF1, frozen=True, kw_only=True):
    driver_number: CarNumber
    lap_number: LapNumber | None = None
    date: datetime
    lane_duration: Seconds | None = None
    stop_duration: Seconds | None = None


class RaceControl(OpenF1, frozen=True, kw_only=True):
    date: datetime
    category: str | None = None
    flag: str | None = None
    message: str | None = None
    driver_number: CarNumber | None = None


class SessionResult(OpenF1, frozen=True, kw_only=True):
    driver_number: CarNumber
    position: Place | None = None
    number_of_laps: LapCount | None = None
    dnf: bool | None = False
    dns: bool | None = False
    dsq: bool | None = False
    duration: Seconds | Annotated[list[Seconds | None], msgspec.Meta(max_length=3)] | None = None


class DriverOfTheDay(OpenF1, frozen=True, kw_only=True):
    meeting_key: Key | None = None
    driver_number: CarNumber
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
