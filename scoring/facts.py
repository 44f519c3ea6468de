"""What is known about one session so far: the facts scoring reads, updated idempotently.

Every setter is an upsert keyed the way OpenF1 versions its documents, so a repeated or
re-versioned message leaves the facts unchanged. Pure data, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

PIT_PASS_SLACK = timedelta(seconds=5)  # around a car's time in the pit lane, a pass of it is the stop's
PIT_LANE_DEFAULT = timedelta(seconds=30)  # a stop's time in the pit lane when the feed has none


class SessionKind(StrEnum):
    QUALIFYING = "Qualifying"
    SPRINT_QUALIFYING = "Sprint Qualifying"
    SPRINT = "Sprint"
    RACE = "Race"
    OTHER = "Other"

    @classmethod
    def from_name(cls, session_name: str) -> SessionKind:
        try:
            return cls(session_name)
        except ValueError:
            return cls.OTHER


@dataclass(frozen=True, slots=True)
class Entrant:
    driver_number: int
    acronym: str
    team_name: str
    full_name: str = ""


@dataclass(frozen=True, slots=True)
class Classification:
    """One car's line of the official classification (any field may be unknown)."""

    position: int | None
    dnf: bool = False
    dns: bool = False
    dsq: bool = False
    number_of_laps: int | None = None


@dataclass(slots=True)
class SessionFacts:
    session_key: int
    meeting_key: int | None = None
    kind: SessionKind = SessionKind.OTHER
    name: str = ""
    date_start: datetime | None = None
    date_end: datetime | None = None
    entrants: dict[int, Entrant] = field(default_factory=dict)
    grid: dict[int, int] = field(default_factory=dict)
    pit_lane_start: set[int] = field(default_factory=set)
    running_position: dict[int, tuple[datetime, int]] = field(default_factory=dict)
    overtakes: dict[object, tuple[int, int | None, datetime]] = field(default_factory=dict)
    laps: dict[tuple[int, int], tuple[float | None, datetime | None]] = field(default_factory=dict)
    best_lap: dict[int, tuple[float, datetime | None]] = field(default_factory=dict)
    pit_stops: dict[object, tuple[int, float | None]] = field(default_factory=dict)
    pit_lanes: dict[int, dict[object, tuple[datetime, datetime]]] = field(default_factory=dict)
    results: dict[int, tuple[tuple[datetime, int], Classification]] = field(default_factory=dict)
    driver_of_the_day: int | None = None
    chequered: bool = False

    # -- upserts -------------------------------------------------------------
    def describe(
        self,
        meeting_key: int,
        session_name: str,
        date_start: datetime | None,
        date_end: datetime | None,
    ) -> None:
        self.meeting_key = meeting_key
        self.name = session_name
        self.kind = SessionKind.from_name(session_name)
        self.date_start = date_start
        self.date_end = date_end

    def add_entrant(self, entrant: Entrant) -> None:
        self.entrants[entrant.driver_number] = entrant

    def set_grid(self, driver_number: int, position: int, pit_lane_start: bool) -> None:
        self.grid[driver_number] = position
        if pit_lane_start:
            self.pit_lane_start.add(driver_number)
        else:
            self.pit_lane_start.discard(driver_number)

    def set_position(self, driver_number: int, date: datetime, position: int) -> None:
        """The newest position by event time wins, whatever the arrival order."""
        current = self.running_position.get(driver_number)
        if current is None or date >= current[0]:
            self.running_position[driver_number] = (date, position)

    def add_overtake(
        self, identity: object, overtaking_driver: int, overtaken_driver: int | None, date: datetime
    ) -> None:
        self.overtakes[identity] = (overtaking_driver, overtaken_driver, date)

    def add_lap(
        self,
        driver_number: int,
        lap_number: int,
        lap_duration: float | None,
        date_start: datetime | None,
    ) -> None:
        key = (driver_number, lap_number)
        replaced = self.laps.get(key)
        self.laps[key] = (lap_duration, date_start)
        if replaced is not None and replaced != (lap_duration, date_start):
            self._recompute_best_lap(driver_number)  # a re-versioned lap: rare, so rescan this car
        elif _is_timed(lap_duration):
            assert lap_duration is not None
            best = self.best_lap.get(driver_number)
            if best is None or lap_before((lap_duration, date_start), best):
                self.best_lap[driver_number] = (lap_duration, date_start)

    def _recompute_best_lap(self, driver_number: int) -> None:
        self.best_lap.pop(driver_number, None)
        for (number, _), (duration, started) in self.laps.items():
            if number == driver_number and _is_timed(duration):
                assert duration is not None
                best = self.best_lap.get(number)
                if best is None or lap_before((duration, started), best):
                    self.best_lap[number] = (duration, started)

    def add_pit_stop(
        self,
        identity: object,
        driver_number: int,
        stop_duration: float | None,
        date: datetime | None = None,
        lane_duration: float | None = None,
    ) -> None:
        previous = self.pit_stops.get(identity)
        if previous is not None:
            self.pit_lanes.get(previous[0], {}).pop(identity, None)
        self.pit_stops[identity] = (driver_number, stop_duration)
        if date is not None:
            timed = lane_duration is not None and lane_duration > 0
            lane = timedelta(seconds=lane_duration or 0) if timed else PIT_LANE_DEFAULT
            span = (date - PIT_PASS_SLACK, date + lane + PIT_PASS_SLACK)
            self.pit_lanes.setdefault(driver_number, {})[identity] = span

    def set_result(self, driver_number: int, version: tuple[datetime, int], result: Classification) -> None:
        """A later version (arrival time, then message id) corrects an earlier one."""
        current = self.results.get(driver_number)
        if current is None or version >= current[0]:
            self.results[driver_number] = (version, result)

    def set_driver_of_the_day(self, driver_number: int) -> None:
        self.driver_of_the_day = driver_number

    def mark_chequered(self) -> None:
        self.chequered = True

    # -- derived -------------------------------------------------------------
    @property
    def is_classified(self) -> bool:
        """Final once the classification has landed for every car of the session: a burst of results
        split over two windows must not make the first half final (and notify owners of it)."""
        return bool(self.results) and all(number in self.results for number in self.entrants)

    def classification(self) -> dict[int, Classification]:
        return {number: result for number, (_, result) in self.results.items()}

    def overtake_counts(self) -> dict[int, int]:
        """On-track overtakes per car. OpenF1 also reports the places a car loses in the pits as
        overtakes: a pass of a car while it is in the pit lane (entry to entry plus lane time, a few
        seconds either side) is the stop's doing, and does not count."""
        counts: dict[int, int] = {}
        for overtaking, overtaken, date in self.overtakes.values():
            if overtaken is not None and self._in_pit_lane(overtaken, date):
                continue
            counts[overtaking] = counts.get(overtaking, 0) + 1
        return counts

    def _in_pit_lane(self, driver_number: int, moment: datetime) -> bool:
        return any(start <= moment <= end for start, end in self.pit_lanes.get(driver_number, {}).values())


def _is_timed(duration: float | None) -> bool:
    return duration is not None and duration > 0


def lap_before(a: tuple[float, datetime | None], b: tuple[float, datetime | None]) -> bool:
    """The faster lap; on equal times the earlier one (a lap with no start time counts as later)."""
    if a[0] != b[0]:
        return a[0] < b[0]
    if a[1] is None or b[1] is None:
        return a[1] is not None
    return a[1] < b[1]
