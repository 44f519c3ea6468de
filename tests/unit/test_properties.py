"""Hypothesis properties of the pure rules, where a property says more than a table: points add up
over events and sessions, a constructor is its drivers plus its own items, No Negative never goes
below zero, the boost and Extra DRS multiply exactly, ranks and standings agree with a sort."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from scoring.chips import Chip
from scoring.facts import SessionFacts, SessionKind
from scoring.teams import TeamBook, competition_ranks, league_standings
from tests.unit.sessions import START, Car, driver, score, session

KINDS = st.sampled_from([SessionKind.QUALIFYING, SessionKind.SPRINT, SessionKind.RACE])


@st.composite
def cars(draw: st.DrawFn) -> Car:
    status = draw(st.sampled_from(["classified", "dnf", "dns", "dsq", "none", "running"]))
    position = draw(st.integers(1, 20))
    return Car(
        position=position if status in ("classified", "dsq") else None,
        result=status != "running",
        running=position if status == "running" else None,
        grid=draw(st.none() | st.integers(1, 20)),
        dnf=status == "dnf",
        dns=status == "dns",
        dsq=status == "dsq",
        overtakes=draw(st.integers(0, 5)),
        lap=draw(st.none() | st.floats(80.0, 100.0)),
        driver_of_the_day=draw(st.booleans()),
        stops=draw(st.lists(st.none() | st.floats(1.5, 4.0), max_size=2)),
    )


def no_dotd(car: Car) -> Car:
    return replace(car, driver_of_the_day=False)


# One Driver of the Day at most (car 1, if any), as in a real session.
FIELDS = st.fixed_dictionaries(
    {1: cars(), 2: cars().map(no_dotd), 3: cars().map(no_dotd), 4: cars().map(no_dotd)}
)
TEAM_ITEMS = {
    "qualifying_progress",
    "team_disqualified",
    "pit_stop",
    "fastest_pit_stop",
    "world_record_pit_stop",
}


@settings(max_examples=25, deadline=None)
@given(kind=KINDS, field=FIELDS)
@example(  # Alpha's two cars gain and lose two places: its `places` cancel and are not listed as 0
    kind=SessionKind.RACE,
    field={1: Car(position=3, grid=5), 2: Car(position=5, grid=3), 3: Car(position=1), 4: Car(position=2)},
)
def test_a_constructor_is_its_drivers_items_bar_driver_of_the_day_plus_its_own(
    kind: SessionKind, field: dict[int, Car]
) -> None:
    points = score(session(kind, field))
    for team, numbers in (("Alpha", ("AAA", "AAB")), ("Bravo", ("BBA", "BBB"))):
        own = points.constructors[team].breakdown
        from_drivers: dict[str, int] = {}
        for name in numbers:
            for item, value in points.drivers[name].breakdown.items():
                if item != "driver_of_the_day":
                    from_drivers[item] = from_drivers.get(item, 0) + value
        assert {k: v for k, v in own.items() if k not in TEAM_ITEMS} == {
            k: v for k, v in from_drivers.items() if v
        }


@settings(max_examples=25, deadline=None)
@given(kind=st.sampled_from([SessionKind.SPRINT, SessionKind.RACE]), field=FIELDS, extra=st.integers(1, 6))
def test_each_overtake_adds_one_point_to_its_driver_and_constructor_and_nothing_else(
    kind: SessionKind, field: dict[int, Car], extra: int
) -> None:
    before = score(session(kind, field))
    facts = session(kind, field)
    for n in range(extra):
        facts.add_overtake(("more", n), 1, 3, START + timedelta(hours=1, seconds=n))
    after = score(facts)
    assert driver(after).total - driver(before).total == extra
    assert after.constructors["Alpha"].total - before.constructors["Alpha"].total == extra
    assert {k: v.total for k, v in after.drivers.items() if k != "AAA"} == {
        k: v.total for k, v in before.drivers.items() if k != "AAA"
    }
    assert after.constructors["Bravo"].total == before.constructors["Bravo"].total


@settings(max_examples=20, deadline=None)
@given(kind=KINDS, field=FIELDS)
def test_a_session_scores_the_same_whatever_order_its_facts_arrive_in(
    kind: SessionKind, field: dict[int, Car]
) -> None:
    forward = score(session(kind, field))
    backward = score(session(kind, dict(reversed(list(field.items())))))
    assert {k: v.breakdown for k, v in forward.drivers.items()} == {
        k: v.breakdown for k, v in backward.drivers.items()
    }
    assert {k: v.breakdown for k, v in forward.constructors.items()} == {
        k: v.breakdown for k, v in backward.constructors.items()
    }


@settings(max_examples=20, deadline=None)
@given(
    kind=st.sampled_from([SessionKind.SPRINT, SessionKind.RACE]),
    grid=st.integers(1, 20),
    better=st.integers(1, 19),
)
def test_finishing_higher_from_the_same_grid_slot_never_scores_less(
    kind: SessionKind, grid: int, better: int
) -> None:
    higher = driver(score(session(kind, {1: Car(position=better, grid=grid)}))).total
    lower = driver(score(session(kind, {1: Car(position=better + 1, grid=grid)}))).total
    assert higher >= lower + 1  # at least the place gained


@settings(max_examples=20, deadline=None)
@given(
    laps=st.lists(
        st.tuples(
            st.integers(1, 3), st.integers(1, 30), st.none() | st.floats(80.0, 100.0), st.integers(0, 3600)
        ),
        max_size=40,
    ),
    seed=st.randoms(use_true_random=False),
)
def test_best_laps_do_not_depend_on_arrival_order(
    laps: list[tuple[int, int, float | None, int]], seed
) -> None:  # type: ignore[no-untyped-def]
    def best(order: list[tuple[int, int, float | None, int]]) -> dict[int, tuple[float, object]]:
        f = SessionFacts(session_key=1)
        latest: dict[tuple[int, int], tuple[float | None, int]] = {}
        for number, lap, duration, second in order:
            latest[(number, lap)] = (duration, second)
        for (number, lap), (duration, second) in latest.items():  # one version per lap, any order
            f.add_lap(number, lap, duration, START + timedelta(seconds=second))
        return dict(f.best_lap)

    unique = list({(n, lap): (n, lap, d, s) for n, lap, d, s in laps}.values())
    shuffled = list(unique)
    seed.shuffle(shuffled)
    assert best(unique) == best(shuffled)


ASSETS = [f"driver:D{i}" for i in range(7)] + [f"constructor:C{i}" for i in range(3)]
points_st = st.fixed_dictionaries({a: st.integers(-40, 60) for a in ASSETS})


@st.composite
def rosters(draw: st.DrawFn) -> tuple[str, ...]:
    drivers = draw(st.permutations(ASSETS[:7]))[:5]
    constructors = draw(st.permutations(ASSETS[7:]))[:2]
    return (*drivers, *constructors)


def total(
    roster: tuple[str, ...], weights: tuple[int, ...], points: dict[str, int], chip: Chip | None = None
) -> int:
    book = TeamBook.from_rosters([(1, roster, weights)], weeks={1: (0, chip)})
    return int(book.totals(points)[0])


PLAIN = (1, 1, 1, 1, 1, 1, 1)


@settings(max_examples=25, deadline=None)
@given(roster=rosters(), points=points_st, on=st.integers(0, 4))
def test_the_boost_doubles_exactly_its_drivers_points(
    roster: tuple[str, ...], points: dict[str, int], on: int
) -> None:
    boosted = tuple(2 if i == on else 1 for i in range(7))
    assert total(roster, boosted, points) - total(roster, PLAIN, points) == points[roster[on]]


@settings(max_examples=25, deadline=None)
@given(roster=rosters(), points=points_st, on=st.integers(0, 4), extra=st.integers(0, 4))
def test_extra_drs_triples_exactly_its_drivers_points(
    roster: tuple[str, ...], points: dict[str, int], on: int, extra: int
) -> None:
    if extra == on:
        extra = (on + 1) % 5
    boosted = tuple(2 if i == on else 1 for i in range(7))
    both = tuple(3 if i == extra else w for i, w in enumerate(boosted))
    assert total(roster, both, points) - total(roster, boosted, points) == 2 * points[roster[extra]]


@settings(max_examples=25, deadline=None)
@given(roster=rosters(), points=points_st, on=st.integers(0, 4))
def test_no_negative_never_goes_below_zero_nor_below_the_team_without_it(
    roster: tuple[str, ...], points: dict[str, int], on: int
) -> None:
    weights = tuple(2 if i == on else 1 for i in range(7))
    kept = total(roster, weights, points, Chip.NO_NEGATIVE)
    assert kept >= 0
    assert kept >= total(roster, weights, points)
    assert kept == sum(max(points[a], 0) * w for a, w in zip(roster, weights, strict=True))


@settings(max_examples=25, deadline=None)
@given(roster=rosters(), points=points_st, on=st.integers(0, 4))
def test_autopilot_is_the_best_choice_of_boost(
    roster: tuple[str, ...], points: dict[str, int], on: int
) -> None:
    weights = tuple(2 if i == on else 1 for i in range(7))
    choices = [total(roster, tuple(2 if i == k else 1 for i in range(7)), points) for k in range(5)]
    assert total(roster, weights, points, Chip.AUTOPILOT) == max(choices)


@settings(max_examples=25, deadline=None)
@given(totals=st.lists(st.integers(-500, 500), max_size=60))
def test_a_rank_is_one_plus_the_teams_strictly_ahead(totals: list[int]) -> None:
    ranks = competition_ranks(np.array(totals, dtype=np.int32)).tolist()
    assert ranks == [1 + sum(other > mine for other in totals) for mine in totals]


@settings(max_examples=20, deadline=None)
@given(
    totals=st.lists(st.integers(-50, 50), min_size=1, max_size=30),
    leagues=st.lists(st.sets(st.integers(0, 29), max_size=30), min_size=1, max_size=5),
    everyone=st.booleans(),
)
def test_league_standings_equal_sorting_each_league_by_points_then_team_id(
    totals: list[int], leagues: list[set[int]], everyone: bool
) -> None:
    teams = list(range(100, 100 + len(totals)))
    members = [{teams[i] for i in league if i < len(teams)} for league in leagues]
    if everyone:
        members.append(set(teams))
    memberships = [(league_id, team) for league_id, league in enumerate(members) for team in league]
    book = TeamBook.from_rosters([(t, tuple(ASSETS[:5] + ASSETS[7:9]), PLAIN) for t in teams], memberships)
    points = dict(zip(teams, totals, strict=True))
    standings = league_standings(book, np.array(totals, dtype=np.int32))
    got = book.team_ids[standings.order].tolist()
    leagues_sorted = sorted((league_id, team) for league_id, team in memberships)
    expected: list[tuple[int, int]] = []
    for league_id in sorted({lid for lid, _ in leagues_sorted}):
        league = sorted((t for lid, t in leagues_sorted if lid == league_id), key=lambda t: (-points[t], t))
        expected += [(t, 1 + sum(points[o] > points[t] for o in league)) for t in league]
    assert list(zip(got, standings.ranks.tolist(), strict=True)) == expected
    assert standings.points is not None
    assert standings.points.tolist() == [points[t] for t in got]
