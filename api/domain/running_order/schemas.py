"""Bodies of the running order: a session's live table of cars, one page of it, with the state it is of."""

from __future__ import annotations

import msgspec

from api.domain.standings.schemas import AsOfOut


class DriverOut(msgspec.Struct):
    number: int  # the car number
    code: str  # the three-letter acronym: the driver's asset name in the game (GET /api/assets)
    name: str  # full name, as the timing feed gives it ("" when it gives none)
    constructor: str  # the team's name: the constructor's asset name in the game


class RunningPlaceOut(msgspec.Struct):
    position: int | None  # None: no position yet, or classified without one (DNF, DNS, DSQ)
    driver: DriverOut
    points: int  # the driver's points in this session so far
    provisional: bool  # true until the official classification gives this car its place and points


class RunningOrderOut(msgspec.Struct):
    """One page of the session's running order, first place first."""

    session_key: int
    meeting_key: int | None
    session_name: str
    items: list[RunningPlaceOut]
    total: int  # cars in the session
    limit: int
    offset: int
    as_of: AsOfOut  # the live version and the session clock this order stands at
    final: bool  # the session is classified: positions and points are final
