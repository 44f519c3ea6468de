"""SCORING.md's drivers table, row by row, against scoring/points.py.

Every expected figure is read off the table (../shared/SCORING.md, the default rule set), never
computed by the code under test: one case per row, and per position for the position rows. The
subject is car 1 ("AAA"); a rival (car 3) holds a 91.0 s lap so that "fastest lap" means beating it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from scoring.facts import SessionKind
from tests.unit.sessions import START, Car, classify, driver, score, session

Q, S, R = SessionKind.QUALIFYING, SessionKind.SPRINT, SessionKind.RACE
RIVAL = Car(position=20, grid=20, lap=91.0)
FAST = 90.0  # beats the rival's lap
SLOW = 95.0

QUALIFYING_POSITIONS = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]  # "classified P1..P10"
SPRINT_POSITIONS = [8, 7, 6, 5, 4, 3, 2, 1]  # "P1..P8"
RACE_POSITIONS = [25, 18, 15, 12, 10, 8, 6, 4, 2, 1]  # "P1..P10"

ROWS = [
    # -- Qualifying: classified P1..P10 | 10, 9, ..., 1 (P11+ 0) --------------------------------
    *(
        pytest.param(Q, Car(position=p), points, id=f"qualifying-P{p}")
        for p, points in enumerate(QUALIFYING_POSITIONS, start=1)
    ),
    pytest.param(Q, Car(position=11), 0, id="qualifying-P11"),
    pytest.param(Q, Car(position=15), 0, id="qualifying-P15"),
    pytest.param(Q, Car(position=20), 0, id="qualifying-P20"),
    # Qualifying | no time set, or disqualified | -5
    pytest.param(Q, Car(position=None), -5, id="qualifying-no-time"),
    pytest.param(Q, Car(position=None, dns=True), -5, id="qualifying-no-time-dns"),
    pytest.param(Q, Car(position=None, dsq=True), -5, id="qualifying-disqualified"),
    pytest.param(Q, Car(position=3, dsq=True), -5, id="qualifying-disqualified-with-a-position"),
    # Nothing else scores in Qualifying: no overtakes, fastest lap or Driver of the Day items.
    pytest.param(
        Q, Car(position=10, overtakes=3, lap=FAST, driver_of_the_day=True), 1, id="qualifying-only-position"
    ),
    # -- Sprint: P1..P8 | 8, 7, ..., 1 (started where they finished: no places) ---------------
    *(
        pytest.param(S, Car(position=p, grid=p), points, id=f"sprint-P{p}")
        for p, points in enumerate(SPRINT_POSITIONS, start=1)
    ),
    pytest.param(S, Car(position=9, grid=9), 0, id="sprint-P9"),
    # Sprint | each place gained / lost against the sprint grid | +1 / -1
    pytest.param(S, Car(position=4, grid=10), 5 + 6, id="sprint-gained-6"),
    pytest.param(S, Car(position=5, grid=2), 4 - 3, id="sprint-lost-3"),
    pytest.param(S, Car(position=12, grid=20), 0 + 8, id="sprint-gained-8-outside-points"),
    pytest.param(S, Car(position=20, grid=1), 0 - 19, id="sprint-lost-19"),
    # ... not for DNF, DNS, DSQ: those score -20 whatever their grid
    pytest.param(S, Car(position=None, dnf=True, grid=20), -20, id="sprint-dnf-no-places"),
    pytest.param(S, Car(position=None, dns=True, grid=20), -20, id="sprint-dns-no-places"),
    pytest.param(S, Car(position=3, dsq=True, grid=20), -20, id="sprint-dsq-no-places"),
    # Sprint | each overtake | +1
    pytest.param(S, Car(position=8, grid=8, overtakes=3), 1 + 3, id="sprint-3-overtakes"),
    pytest.param(
        S, Car(position=None, dnf=True, grid=8, overtakes=2), -20 + 2, id="sprint-dnf-keeps-overtakes"
    ),
    # Sprint | fastest lap | +5
    pytest.param(S, Car(position=8, grid=8, lap=FAST), 1 + 5, id="sprint-fastest-lap"),
    pytest.param(S, Car(position=8, grid=8, lap=SLOW), 1, id="sprint-slower-lap"),
    # Sprint | DNF, not classified, DNS, or disqualified | -20
    pytest.param(S, Car(position=None, dnf=True), -20, id="sprint-dnf"),
    pytest.param(S, Car(position=None), -20, id="sprint-not-classified"),
    pytest.param(S, Car(position=None, dns=True), -20, id="sprint-dns"),
    pytest.param(S, Car(position=1, dsq=True), -20, id="sprint-disqualified"),
    # A disqualified car cannot hold the fastest lap.
    pytest.param(S, Car(position=1, dsq=True, lap=FAST), -20, id="sprint-disqualified-no-fastest-lap"),
    # Driver of the Day is a Race item only.
    pytest.param(S, Car(position=8, grid=8, driver_of_the_day=True), 1, id="sprint-no-driver-of-the-day"),
    # -- Race: P1..P10 | 25, 18, ..., 1 ---------------------------------------------------------
    *(
        pytest.param(R, Car(position=p, grid=p), points, id=f"race-P{p}")
        for p, points in enumerate(RACE_POSITIONS, start=1)
    ),
    pytest.param(R, Car(position=11, grid=11), 0, id="race-P11"),
    pytest.param(R, Car(position=20, grid=20), 0, id="race-P20"),
    # Race | each place gained / lost against the starting grid | +1 / -1
    pytest.param(R, Car(position=1, grid=10), 25 + 9, id="race-gained-9"),
    pytest.param(R, Car(position=10, grid=1), 1 - 9, id="race-lost-9"),
    pytest.param(R, Car(position=15, grid=20), 0 + 5, id="race-gained-5-outside-points"),
    pytest.param(R, Car(position=5), 10, id="race-no-grid-slot-no-places"),
    pytest.param(R, Car(position=None, dnf=True, grid=20), -20, id="race-dnf-no-places"),
    pytest.param(R, Car(position=None, dns=True, grid=20), -20, id="race-dns-no-places"),
    pytest.param(R, Car(position=2, dsq=True, grid=20), -20, id="race-dsq-no-places"),
    # Race | each overtake | +1
    pytest.param(R, Car(position=10, grid=10, overtakes=4), 1 + 4, id="race-4-overtakes"),
    # Race | fastest lap | +10
    pytest.param(R, Car(position=10, grid=10, lap=FAST), 1 + 10, id="race-fastest-lap"),
    pytest.param(R, Car(position=10, grid=10, lap=SLOW), 1, id="race-slower-lap"),
    pytest.param(R, Car(position=None, dnf=True, lap=FAST), -20 + 10, id="race-dnf-keeps-fastest-lap"),
    # Race | Driver of the Day | +10
    pytest.param(R, Car(position=10, grid=10, driver_of_the_day=True), 1 + 10, id="race-driver-of-the-day"),
    # Race | DNF, not classified, or DNS | -20
    pytest.param(R, Car(position=None, dnf=True), -20, id="race-dnf"),
    pytest.param(R, Car(position=None), -20, id="race-not-classified"),
    pytest.param(R, Car(position=None, dns=True), -20, id="race-dns"),
    # Race | disqualified | -20
    pytest.param(R, Car(position=1, dsq=True), -20, id="race-disqualified"),
    pytest.param(R, Car(position=1, dsq=True, lap=FAST), -20, id="race-disqualified-no-fastest-lap"),
    # Everything at once: P2 from P6, 3 passes, fastest lap, Driver of the Day.
    pytest.param(
        R,
        Car(position=2, grid=6, overtakes=3, lap=FAST, driver_of_the_day=True),
        18 + 4 + 3 + 10 + 10,
        id="race-every-item",
    ),
    # -- Live: provisional, as if the session ended in the current running order ---------------
    pytest.param(R, Car(result=False, running=1, grid=3), 25 + 2, id="race-provisional-P1-from-P3"),
    pytest.param(S, Car(result=False, running=8, grid=4), 1 - 4, id="sprint-provisional-P8-from-P4"),
    pytest.param(R, Car(result=False, grid=3), 0, id="race-no-position-yet"),
]


@pytest.mark.parametrize(("kind", "car", "expected"), ROWS)
def test_each_row_of_the_drivers_table(kind: SessionKind, car: Car, expected: int) -> None:
    points = score(session(kind, {1: car, 3: RIVAL}))
    assert driver(points).total == expected, driver(points).breakdown


ITEMS = [
    pytest.param(Q, Car(position=1), {"position": 10}, id="qualifying-position"),
    pytest.param(Q, Car(position=None), {"no_time": -5}, id="qualifying-no-time"),
    pytest.param(Q, Car(position=None, dsq=True), {"disqualified": -5}, id="qualifying-disqualified"),
    pytest.param(
        R,
        Car(position=2, grid=6, overtakes=3, lap=FAST, driver_of_the_day=True),
        {"position": 18, "places": 4, "overtakes": 3, "fastest_lap": 10, "driver_of_the_day": 10},
        id="race-every-item",
    ),
    pytest.param(R, Car(position=None, dnf=True, grid=3), {"not_classified": -20}, id="race-dnf"),
    pytest.param(R, Car(position=3, dsq=True, grid=3), {"disqualified": -20}, id="race-disqualified"),
    pytest.param(S, Car(position=3, grid=1), {"position": 6, "places": -2}, id="sprint-lost-places"),
    pytest.param(R, Car(position=11, grid=11), {}, id="race-nothing-no-zero-items"),
]


@pytest.mark.parametrize(("kind", "car", "breakdown"), ITEMS)
def test_points_are_itemised_by_rule(kind: SessionKind, car: Car, breakdown: dict[str, int]) -> None:
    assert driver(score(session(kind, {1: car, 3: RIVAL}))).breakdown == breakdown


def test_the_fastest_lap_is_the_lowest_completed_lap_time_and_goes_to_one_car_only() -> None:
    points = score(
        session(R, {1: Car(position=11, grid=11, lap=90.5), 3: RIVAL, 2: Car(position=12, grid=12, lap=90.4)})
    )
    assert points.drivers["AAB"].breakdown == {"fastest_lap": 10}
    assert "fastest_lap" not in points.drivers["AAA"].breakdown
    assert "fastest_lap" not in points.drivers["BBA"].breakdown


def test_on_equal_lap_times_the_earlier_lap_holds_the_fastest_lap() -> None:
    facts = session(R, {1: Car(position=11, grid=11), 3: Car(position=12, grid=12)})
    early = facts.date_start
    assert early is not None

    facts.add_lap(3, 10, 90.0, early + timedelta(minutes=10))
    facts.add_lap(1, 20, 90.0, early + timedelta(minutes=20))
    points = score(facts)
    assert points.drivers["BBA"].breakdown == {"fastest_lap": 10}
    assert points.drivers["AAA"].total == 0


def test_a_disqualified_car_hands_the_fastest_lap_to_the_next_fastest() -> None:
    points = score(session(R, {1: Car(position=1, dsq=True, lap=FAST), 3: RIVAL}))
    assert points.drivers["BBA"].breakdown == {"fastest_lap": 10}


def test_sprint_qualifying_scores_nothing_by_itself() -> None:
    car = Car(position=1, grid=5, overtakes=2, lap=FAST, driver_of_the_day=True)
    points = score(session(SessionKind.SPRINT_QUALIFYING, {1: car, 3: RIVAL}))
    assert points.drivers == {}
    assert {team: p.total for team, p in points.constructors.items()} == {"Alpha": 0, "Bravo": 0}


def test_a_session_of_another_kind_scores_nothing() -> None:
    points = score(session(SessionKind.OTHER, {1: Car(position=1, grid=3), 3: RIVAL}))
    assert points.drivers == {}
    assert all(p.total == 0 for p in points.constructors.values())


def test_points_are_final_once_every_car_is_classified_and_provisional_before() -> None:
    facts = session(R, {1: Car(position=1, grid=1), 3: Car(position=2, grid=2)})
    assert score(facts).final is False  # cars 2 and 4 have no line yet

    classify(facts, 2, 3)
    assert score(facts).final is False
    classify(facts, 4, None, dnf=True)
    assert score(facts).final is True


def test_a_later_classification_of_the_same_car_corrects_its_points() -> None:

    facts = session(R, {1: Car(position=1, grid=1), 3: RIVAL})
    assert driver(score(facts)).total == 25
    classify(facts, 1, None, dsq=True, at=START + timedelta(hours=5))  # a stewards' decision
    assert driver(score(facts)).total == -20
    classify(facts, 1, 1, at=START + timedelta(hours=1))  # an older version arriving late changes nothing
    assert driver(score(facts)).total == -20


def test_a_classification_overrides_the_running_order() -> None:
    facts = session(R, {1: Car(result=False, running=1, grid=1), 3: RIVAL})
    assert driver(score(facts)).total == 25

    classify(facts, 1, 4)
    assert driver(score(facts)).breakdown == {"position": 12, "places": -3}
