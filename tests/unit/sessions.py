"""Session facts built by hand for table tests: a few cars, each with what a SCORING.md row reads.

Scoring reads facts, not messages, so these tests set the facts directly (scoring/facts.py's
upserts) and ask scoring/points.py for the points.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from scoring.facts import Classification, Entrant, SessionFacts, SessionKind
from scoring.points import AssetPoints, SessionPoints, score_session
from scoring.rules import load_ruleset

MEETING = 209905
SESSION = 2099054
START = datetime(2099, 5, 3, 14, 0, tzinfo=UTC)
# Two teams of two cars: the subject (car 1, "AAA" of "Alpha") and the others around it.
CARS: dict[int, tuple[str, str]] = {
    1: ("AAA", "Alpha"),
    2: ("AAB", "Alpha"),
    3: ("BBA", "Bravo"),
    4: ("BBB", "Bravo"),
}


@dataclass(frozen=True)
class Car:
    """What one car did in a session, as far as the rules read it."""

    position: int | None = None  # classified position (None with `result`: not classified)
    result: bool = True  # whether its line of the classification has landed
    grid: int | None = None
    dnf: bool = False
    dns: bool = False
    dsq: bool = False
    overtakes: int = 0  # on-track passes it made (of car 4, never in the pits)
    lap: float | None = None  # its best completed lap, seconds
    driver_of_the_day: bool = False
    running: int | None = None  # live running position (before any classification)
    stops: Sequence[float | None] = ()  # stationary pit-stop times


def session(
    kind: SessionKind, cars: Mapping[int, Car], entrants: Mapping[int, tuple[str, str]] = CARS
) -> SessionFacts:
    """Facts of one session of `kind` in which each car of `cars` did what its Car says."""
    facts = SessionFacts(session_key=SESSION)
    facts.describe(MEETING, kind.value, START, START + timedelta(hours=2))
    for number, (acronym, team) in entrants.items():
        facts.add_entrant(Entrant(number, acronym, team))
    moment = START + timedelta(minutes=1)
    for number, car in cars.items():
        if car.grid is not None:
            facts.set_grid(number, car.grid, pit_lane_start=False)
        if car.running is not None:
            facts.set_position(number, moment, car.running)
        for n in range(car.overtakes):
            facts.add_overtake(("pass", number, n), number, 4, moment + timedelta(seconds=n))
        if car.lap is not None:
            facts.add_lap(number, 5, car.lap, moment + timedelta(seconds=number))  # no two start together
        for n, stop in enumerate(car.stops):
            facts.add_pit_stop(
                ("stop", number, n), number, stop, moment + timedelta(minutes=10 * n + 10), 22.0
            )
        if car.driver_of_the_day:
            facts.set_driver_of_the_day(number)
        if car.result:
            classify(facts, number, car.position, dnf=car.dnf, dns=car.dns, dsq=car.dsq)
    return facts


def classify(
    facts: SessionFacts,
    number: int,
    position: int | None,
    *,
    dnf: bool = False,
    dns: bool = False,
    dsq: bool = False,
    at: datetime = START + timedelta(hours=2),
    version: int = 0,
) -> None:
    facts.set_result(number, (at, version), Classification(position=position, dnf=dnf, dns=dns, dsq=dsq))


def score(facts: SessionFacts) -> SessionPoints:
    return score_session(facts, load_ruleset())


def driver(points: SessionPoints, acronym: str = "AAA") -> AssetPoints:
    return points.drivers[acronym]


def constructor(points: SessionPoints, team: str = "Alpha") -> AssetPoints:
    return points.constructors[team]
