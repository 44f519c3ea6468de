"""SCORING.md's constructors table, row by row, against scoring/points.py.

A constructor scores both drivers' qualifying, sprint and race points (without Driver of the Day)
plus the team items of the table. The subject is "Alpha" (cars 1 and 2); "Bravo" (cars 3 and 4)
is the rest of the field. Every expected figure is the drivers' points plus the team items, each
read off the table and written out in the case.
"""

from __future__ import annotations

import pytest

from scoring.facts import SessionKind
from tests.unit.sessions import Car, constructor, score, session

Q, S, R = SessionKind.QUALIFYING, SessionKind.SPRINT, SessionKind.RACE
# Bravo far back, out in Q1 (P16+), both with a time.
BRAVO_Q = {3: Car(position=19), 4: Car(position=20)}

QUALIFYING = [
    # neither car reaches Q2 / one reaches Q2 / both reach Q2 | -1 / +1 / +3 (Q2: classified P11-P15)
    pytest.param(Car(position=16), Car(position=17), 0 + 0 - 1, id="neither-reaches-Q2"),
    pytest.param(Car(position=11), Car(position=16), 0 + 0 + 1, id="one-reaches-Q2"),
    pytest.param(Car(position=15), Car(position=18), 0 + 0 + 1, id="P15-reaches-Q2"),
    pytest.param(Car(position=11), Car(position=15), 0 + 0 + 3, id="both-reach-Q2"),
    # one car reaches Q3 / both reach Q3 (instead of the Q2 bonus) | +5 / +10 (Q3: P1-P10)
    pytest.param(Car(position=10), Car(position=16), 1 + 0 + 5, id="one-reaches-Q3-other-out-in-Q1"),
    pytest.param(Car(position=1), Car(position=12), 10 + 0 + 5, id="one-reaches-Q3-other-Q2"),
    pytest.param(Car(position=1), Car(position=2), 10 + 9 + 10, id="both-reach-Q3"),
    pytest.param(Car(position=9), Car(position=10), 2 + 1 + 10, id="P9-P10-both-reach-Q3"),
    # each disqualified car | -5 (on top of the driver's -5); a disqualified car reaches nothing
    pytest.param(Car(position=None, dsq=True), Car(position=16), -5 - 5 + 0 - 1, id="one-dsq-other-Q1"),
    pytest.param(Car(position=None, dsq=True), Car(position=5), -5 - 5 + 6 + 5, id="one-dsq-other-Q3"),
    pytest.param(Car(position=3, dsq=True), Car(position=16), -5 - 5 + 0 - 1, id="dsq-with-a-position-no-Q3"),
    pytest.param(
        Car(position=None, dsq=True), Car(position=None, dsq=True), -5 - 5 - 5 - 5 - 1, id="both-dsq"
    ),
    # no time set: the driver's -5, no team item, and it reaches nothing
    pytest.param(Car(position=None), Car(position=16), -5 + 0 - 1, id="no-time-other-Q1"),
    pytest.param(Car(position=None), Car(position=12), -5 + 0 + 1, id="no-time-other-Q2"),
]


@pytest.mark.parametrize(("first", "second", "expected"), QUALIFYING)
def test_each_qualifying_row_of_the_constructors_table(first: Car, second: Car, expected: int) -> None:
    points = score(session(Q, {1: first, 2: second, **BRAVO_Q}))
    assert constructor(points).total == expected, constructor(points).breakdown


def test_qualifying_items_are_named() -> None:
    points = score(session(Q, {1: Car(position=None, dsq=True), 2: Car(position=4), **BRAVO_Q}))
    assert constructor(points).breakdown == {
        "disqualified": -5,
        "position": 7,
        "qualifying_progress": 5,
        "team_disqualified": -5,
    }
    assert constructor(points, "Bravo").breakdown == {"qualifying_progress": -1}


def test_a_team_with_no_classified_car_yet_has_no_progress_item() -> None:
    points = score(session(Q, {1: Car(result=False), 2: Car(result=False), **BRAVO_Q}))
    assert constructor(points).breakdown == {}


SPRINT = [
    pytest.param(Car(position=1, grid=1), Car(position=2, grid=2), 8 + 7, id="P1-P2"),
    pytest.param(
        Car(position=3, grid=6, overtakes=2), Car(position=9, grid=9), (6 + 3 + 2) + 0, id="places-overtakes"
    ),
    pytest.param(Car(position=8, grid=8, lap=90.0), Car(position=9, grid=9), (1 + 5) + 0, id="fastest-lap"),
    # No team item for a disqualified car in the Sprint (the table has none): the driver's -20 only.
    pytest.param(Car(position=1, dsq=True, grid=1), Car(position=2, grid=2), -20 + 7, id="one-dsq"),
    pytest.param(Car(position=None, dnf=True, grid=1), Car(position=2, grid=2), -20 + 7, id="one-dnf"),
]


@pytest.mark.parametrize(("first", "second", "expected"), SPRINT)
def test_each_sprint_row_of_the_constructors_table(first: Car, second: Car, expected: int) -> None:
    bravo = {3: Car(position=19, grid=19, lap=91.0), 4: Car(position=20, grid=20)}
    points = score(session(S, {1: first, 2: second, **bravo}))
    assert constructor(points).total == expected, constructor(points).breakdown


BRAVO_R = {3: Car(position=19, grid=19, lap=91.0), 4: Car(position=20, grid=20)}

RACE = [
    # both drivers' race points, without Driver of the Day
    pytest.param(
        Car(position=1, grid=1, driver_of_the_day=True), Car(position=2, grid=2), 25 + 18, id="no-dotd"
    ),
    pytest.param(
        Car(position=3, grid=5, overtakes=2, lap=90.0),
        Car(position=11, grid=11),
        (15 + 2 + 2 + 10) + 0,
        id="places-overtakes-fastest-lap",
    ),
    # Race: each disqualified car | -10 (on top of the driver's -20)
    pytest.param(Car(position=1, dsq=True, grid=1), Car(position=10, grid=10), -20 - 10 + 1, id="one-dsq"),
    pytest.param(
        Car(position=1, dsq=True, grid=1),
        Car(position=2, dsq=True, grid=2),
        -20 - 10 - 20 - 10,
        id="both-dsq",
    ),
    # a car that did not finish is no disqualification: the driver's -20 only
    pytest.param(Car(position=None, dnf=True, grid=1), Car(position=10, grid=10), -20 + 1, id="one-dnf"),
]


@pytest.mark.parametrize(("first", "second", "expected"), RACE)
def test_each_race_row_of_the_constructors_table(first: Car, second: Car, expected: int) -> None:
    points = score(session(R, {1: first, 2: second, **BRAVO_R}))
    assert constructor(points).total == expected, constructor(points).breakdown


# Race: team's fastest stationary pit stop >= 3.00 s / 2.50-2.99 / 2.20-2.49 / 2.00-2.19 / < 2.00
#       | 0 / +2 / +5 / +10 / +20; fastest pit stop of the race +10; under 1.80 s +15.
# Alpha's cars finish P11 and P12 from P11 and P12 (no driver points); Bravo's best stop is 1.85 s.
BRAVO_STOP = 1.85
PIT_STOPS = [
    pytest.param((3.50,), 0, 20 + 10, id="3.50s-nothing"),
    pytest.param((3.00,), 0, 20 + 10, id="3.00s-nothing"),
    pytest.param((2.99,), 2, 20 + 10, id="2.99s-band-2"),
    pytest.param((2.50,), 2, 20 + 10, id="2.50s-band-2"),
    pytest.param((2.49,), 5, 20 + 10, id="2.49s-band-5"),
    pytest.param((2.20,), 5, 20 + 10, id="2.20s-band-5"),
    pytest.param((2.19,), 10, 20 + 10, id="2.19s-band-10"),
    pytest.param((2.00,), 10, 20 + 10, id="2.00s-band-10"),
    pytest.param((1.99,), 20, 20 + 10, id="1.99s-band-20"),
    pytest.param((1.80,), 20 + 10, 20, id="1.80s-fastest-of-the-race-not-a-record"),
    pytest.param((1.79,), 20 + 10 + 15, 20, id="1.79s-world-record"),
    pytest.param((2.60, 2.10), 10, 20 + 10, id="the-teams-fastest-stop-counts"),
    pytest.param((None,), 0, 20 + 10, id="no-stationary-time"),
    pytest.param((), 0, 20 + 10, id="no-stop"),
]


@pytest.mark.parametrize(("stops", "alpha", "bravo"), PIT_STOPS)
def test_each_pit_stop_row_of_the_constructors_table(
    stops: tuple[float | None, ...], alpha: int, bravo: int
) -> None:
    first = Car(position=11, grid=11, stops=stops[:1])
    second = Car(position=12, grid=12, stops=stops[1:])
    cars = {
        1: first,
        2: second,
        3: Car(position=13, grid=13, stops=(BRAVO_STOP,)),
        4: Car(position=14, grid=14),
    }
    points = score(session(R, cars))
    assert constructor(points).total == alpha, constructor(points).breakdown
    assert constructor(points, "Bravo").total == bravo, constructor(points, "Bravo").breakdown


def test_pit_stop_items_are_named() -> None:
    cars = {1: Car(position=11, grid=11, stops=(1.75, 2.4)), 3: Car(position=13, grid=13, stops=(2.3,))}
    points = score(session(R, cars))
    assert constructor(points).breakdown == {
        "pit_stop": 20,
        "fastest_pit_stop": 10,
        "world_record_pit_stop": 15,
    }
    assert constructor(points, "Bravo").breakdown == {"pit_stop": 5}


@pytest.mark.parametrize("kind", [Q, S])
def test_pit_stops_score_in_the_race_only(kind: SessionKind) -> None:
    cars = {1: Car(position=11, grid=11, stops=(1.7,)), 2: Car(position=12, grid=12)}
    items = constructor(score(session(kind, cars))).breakdown
    assert not {"pit_stop", "fastest_pit_stop", "world_record_pit_stop"} & items.keys(), items


def test_a_constructor_is_the_sum_of_its_drivers_items_bar_driver_of_the_day() -> None:
    cars = {
        1: Car(position=2, grid=6, overtakes=3, lap=90.0, driver_of_the_day=True),
        2: Car(position=None, dnf=True, grid=3, overtakes=1),
        **BRAVO_R,
    }
    points = score(session(R, cars))
    assert constructor(points).breakdown == {
        "position": 18,
        "places": 4,
        "overtakes": 3 + 1,
        "fastest_lap": 10,
        "not_classified": -20,
    }
