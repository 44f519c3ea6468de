"""Map a season read from the source onto our rows: keys, names, and who drives for whom.

Keys follow the recorded feeds (data/feeds/README.md) so that synced rows and the rows the flow
writes are the same rows: meeting_key = season * 100 + round, session_key = meeting_key * 10 +
1 (Sprint Qualifying / Shootout), 2 (Sprint), 3 (Qualifying), 4 (Race). Only scored sessions are
kept; practice only moves a meeting's start.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from store.calendar import MeetingRow, SessionRow
from store.sync import ConstructorRow, DriverRow, SeasonRows
from tasks.jolpica import Driver, Race, SeasonSource, Slot
from tasks.team_names import team_name

SCORED_SLOTS = (
    ("sprint_qualifying", 1, "Sprint Qualifying"),
    ("sprint_shootout", 1, "Sprint Shootout"),
    ("sprint", 2, "Sprint"),
    ("qualifying", 3, "Qualifying"),
)
RACE_SLOT, RACE_NAME = 4, "Race"
PRACTICE_SLOTS = ("first_practice", "second_practice", "third_practice")


def meeting_key(season: int, round_: int) -> int:
    return season * 100 + round_


def session_key(meeting: int, slot: int) -> int:
    return meeting * 10 + slot


def season_rows(source: SeasonSource) -> SeasonRows:
    meetings: list[MeetingRow] = []
    sessions: list[SessionRow] = []
    for race in source.races:
        meeting = meeting_key(int(race.season), int(race.round))
        scored = _scored_sessions(race, meeting)
        sessions.extend(scored)
        starts = [s.date_start for s in scored]
        starts += [_when(slot) for name in PRACTICE_SLOTS if (slot := getattr(race, name)) is not None]
        known = [start for start in starts if start is not None]
        location = race.circuit.location
        meetings.append(
            MeetingRow(
                meeting_key=meeting,
                year=int(race.season),
                name=race.race_name,
                circuit=(location.locality if location else None) or race.circuit.circuit_name or None,
                country=location.country if location else None,
                date_start=min(known) if known else _midnight(race.date),
            )
        )
    constructors = [
        ConstructorRow(c.constructor_id, team_name(c.constructor_id, source.season, c.name))
        for c in source.constructors
    ]
    teams = current_teams(source)
    numbers = {r.driver.driver_id: r.number for r in source.last_results if r.number}
    drivers = [
        DriverRow(
            ergast_id=d.driver_id,
            acronym=acronym(d),
            full_name=f"{d.given_name} {d.family_name}",
            number=_int(numbers.get(d.driver_id) or d.permanent_number),
            constructor_ergast_id=teams.get(d.driver_id),
        )
        for d in source.drivers
    ]
    return SeasonRows(meetings, sessions, constructors, drivers)


def current_teams(source: SeasonSource) -> dict[str, str]:
    """Driver id -> constructor id now: the latest classification decides for drivers who changed
    team during the season; otherwise the one team a driver raced for. Ambiguous ones are left out."""
    latest = {r.driver.driver_id: r.constructor.constructor_id for r in source.last_results}
    candidates: dict[str, set[str]] = {}
    for constructor, drivers in source.lineups.items():
        for driver in drivers:
            candidates.setdefault(driver, set()).add(constructor)
    teams = {d: next(iter(c)) for d, c in candidates.items() if len(c) == 1}
    teams.update(latest)
    return teams


def acronym(driver: Driver) -> str:
    return (driver.code or driver.family_name.replace(" ", "")[:3]).upper()


def _scored_sessions(race: Race, meeting: int) -> list[SessionRow]:
    sessions = [
        SessionRow(session_key(meeting, slot), meeting, name, _when(value))
        for attr, slot, name in SCORED_SLOTS
        if (value := getattr(race, attr)) is not None
    ]
    race_start = _when(Slot(race.date, race.time)) if race.date else None
    sessions.append(SessionRow(session_key(meeting, RACE_SLOT), meeting, RACE_NAME, race_start))
    return sessions


def _when(slot: Slot) -> datetime | None:
    """A session's start in UTC; None when the source has no time for it (old seasons)."""
    if not slot.time:
        return None
    clock = time.fromisoformat(slot.time.removesuffix("Z"))
    return datetime.combine(date.fromisoformat(slot.date), clock, tzinfo=UTC)


def _midnight(day: str) -> datetime | None:
    return datetime.combine(date.fromisoformat(day), time(), tzinfo=UTC) if day else None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None
