"""Request and response bodies of the calendar domain: meetings, sessions, assets and prices."""

from __future__ import annotations

from datetime import datetime

import msgspec


class SessionOut(msgspec.Struct):
    session_key: int
    name: str
    date_start: datetime | None
    date_end: datetime | None
    state: str  # upcoming, live, provisional or final


class MeetingOut(msgspec.Struct):
    meeting_key: int
    name: str | None
    year: int | None
    circuit: str | None
    country: str | None
    date_start: datetime | None
    state: str  # upcoming, live, provisional or final
    lock_at: datetime | None  # rosters lock when the first scored session starts
    locked: bool
    sessions: list[SessionOut]


class AssetOut(msgspec.Struct):
    kind: str  # driver or constructor
    name: str  # a driver's acronym or a constructor's name: what rosters list
    price: float
    full_name: str | None = None  # "Max Verstappen"; a constructor's name
    number: int | None = None  # a driver's car number (constructors have none)
    constructor: str | None = None  # a driver's team
    colour: str | None = None  # the team's colour, hex RGB without '#' (OpenF1's team_colour)
    image_url: str | None = None  # where a headshot or logo goes; null until an image source is set


class AssetsOut(msgspec.Struct):
    meeting_key: int
    budget: float
    drivers: list[AssetOut]
    constructors: list[AssetOut]


class SeasonOut(msgspec.Struct):
    year: int
    meetings: int  # weekends in the calendar for this season
    first_date: datetime | None  # start of its first weekend
    last_date: datetime | None  # start of its last weekend
