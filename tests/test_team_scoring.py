"""Vectorised team totals, ranks and league standings against one-team-at-a-time oracles."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.chips import Chip
from scoring.teams import TeamBook, competition_ranks, league_standings, prepare_standings, stable_order

AUTOPILOT, NO_NEGATIVE = Chip.AUTOPILOT, Chip.NO_NEGATIVE

ASSETS = [f"driver:D{i}" for i in range(8)] + [f"constructor:C{i}" for i in range(4)]


Roster = tuple[int, list[str], list[int]]
Case = tuple[TeamBook, dict[str, int], dict[str, int], dict[int, tuple[int, str | None]], dict[int, Roster]]
CHIPS = [None, None, AUTOPILOT, NO_NEGATIVE]


@st.composite
def books(draw: st.DrawFn) -> Case:
    n = draw(st.integers(1, 40))
    rosters = []
    for team in range(n):
        drivers = draw(st.permutations(range(8)))[:5]
        constructors = draw(st.permutations(range(4)))[:2]
        boost = draw(st.integers(0, 4))
        picks = [ASSETS[d] for d in drivers] + [ASSETS[8 + c] for c in constructors]
        weights = [2 if i == boost else 1 for i in range(5)] + [1, 1]
        rosters.append((1000 + team * 7, picks, weights))
    leagues = draw(st.lists(st.tuples(st.integers(1, 4), st.integers(0, n - 1)), max_size=3 * n, unique=True))
    memberships = [(league, 1000 + slot * 7) for league, slot in leagues]
    if draw(st.booleans()):  # a league of every team, as the global one
        memberships += [(9, 1000 + slot * 7) for slot in range(n)]
    points = {a: draw(st.integers(-40, 80)) for a in ASSETS}
    # An asset's positive items add up to at least its total, and to at least 0.
    positive = {a: max(p, 0) + draw(st.integers(0, 30)) for a, p in points.items()}
    weeks = {
        1000 + team * 7: (draw(st.sampled_from([0, 10, 20])), draw(st.sampled_from(CHIPS)))
        for team in range(n)
    }
    book = TeamBook.from_rosters(rosters, memberships, weeks)
    return book, points, positive, weeks, {row[0]: row for row in rosters}


def one_team(book: TeamBook, slot: int, case: Case) -> int:
    """A team's total the slow way, from its roster as picked."""
    _, points, positive, weeks, rosters = case
    team_id = int(book.team_ids[slot])
    _, names, weights = rosters[team_id]
    penalty, chip = weeks[team_id]
    counted = positive if chip == NO_NEGATIVE else points
    if chip == AUTOPILOT:  # the boost leaves the chosen driver for the best-scoring one
        weights = [1 if w == 2 else w for w in weights]
    total = sum(counted[name] * weight for name, weight in zip(names, weights, strict=True))
    if chip == AUTOPILOT:
        total += max(points[name] for name in names[:5])
    return total - penalty


@settings(max_examples=150, deadline=None)
@given(books())
def test_totals_ranks_and_standings_match_one_team_at_a_time(case: Case) -> None:
    book, points, positive, _, _ = case
    totals = book.totals(points, positive)
    for slot in range(book.size):
        assert totals[slot] == one_team(book, slot, case)
    ranks = competition_ranks(totals)
    for slot in range(book.size):
        assert ranks[slot] == 1 + sum(1 for t in totals if t > totals[slot])

    standings = league_standings(book, totals)
    leagues, starts, counts = book.league_segments()
    for league, start, count in zip(leagues, starts, counts, strict=True):
        members = [int(s) for s in book.member_slot[book.member_league == league]]
        order = standings.order[start : start + count].tolist()
        assert sorted(order) == sorted(members)
        # best first, ties by team id (slot order)
        assert order == sorted(members, key=lambda s: (-int(totals[s]), s))
        for slot, rank in zip(order, standings.ranks[start : start + count].tolist(), strict=True):
            assert rank == 1 + sum(1 for m in members if totals[m] > totals[slot])


def expected_standings(book: TeamBook, totals: np.ndarray) -> tuple[list[int], list[int], list[int]]:
    """Each league's members by points, then team id, one league at a time: order, ranks, points."""
    order, ranks, points = [], [], []
    _, starts, counts = book.league_segments()
    for start, count in zip(starts, counts, strict=True):
        members = sorted(book.member_slot[start : start + count].tolist(), key=lambda s: (-totals[s], s))
        order += members
        ranks += [1 + sum(totals[m] > totals[s] for m in members) for s in members]
        points += [int(totals[s]) for s in members]
    return order, ranks, points


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 60),
    st.integers(1, 12),
    st.booleans(),
    st.integers(0, 2**32 - 1),
    st.sampled_from([5, 400, 100_000]),
)
def test_standings_when_every_team_is_in_exactly_one_other_league(
    teams: int, leagues: int, everyone: bool, seed: int, spread: int
) -> None:
    """The plan's gather path (each team in one league besides the global one, as the bench's
    books), with ties, and gaps too wide for a 16-bit sort of the points."""
    rng = np.random.default_rng(seed)
    ids = [int(t) for t in rng.choice(10_000, teams, replace=False)]
    memberships = [(int(rng.integers(1, leagues + 1)), t) for t in ids]
    if everyone:  # the global league: its id puts it among the others
        memberships += [(leagues // 2 + 1, t) for t in ids if (leagues // 2 + 1, t) not in memberships]
    book = TeamBook.from_rosters([(t, ASSETS[:5] + ASSETS[8:10], [1] * 7) for t in ids], memberships)
    totals = rng.integers(-spread, spread, book.size).astype(np.int32)
    standings = league_standings(book, totals)
    assert standings.points is not None
    got = (standings.order.tolist(), standings.ranks.tolist(), standings.points.tolist())
    assert got == expected_standings(book, totals)


@settings(max_examples=100, deadline=None)
@given(books(), st.sampled_from([0, 12, 20]))
def test_standings_from_keys_too_wide_to_pack_are_the_same(case: Case, key_bits: int) -> None:
    """The radix path, taken where (league, gap, place) or (gap, slot) do not fit in `key_bits`."""
    book, points, positive, _, _ = case
    totals = book.totals(points, positive)
    standings = league_standings(book, totals, key_bits=key_bits)
    assert standings.points is not None
    got = (standings.order.tolist(), standings.ranks.tolist(), standings.points.tolist())
    assert got == expected_standings(book, totals)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 2**20), max_size=300), st.sampled_from([4, 8, 16]))
def test_stable_order_is_numpys_stable_argsort(keys: list[int], digit_bits: int) -> None:
    """Several digits (a league index above 16 bits: 10M teams in leagues of 5-50), ties kept in order."""
    array = np.array(keys, dtype=np.uint32)
    assert stable_order(array, digit_bits).tolist() == np.argsort(array, kind="stable").tolist()


def test_a_patched_book_keeps_the_standings_plan_of_its_leagues() -> None:
    """Final Fixes patched in share the leagues' arrays: their plan is not worked out again."""
    picks = ASSETS[:5] + ASSETS[8:10]
    book = TeamBook.from_rosters(
        [(t, picks, [1] * 7) for t in range(1, 9)],
        [(1, t) for t in range(1, 5)] + [(2, t) for t in range(1, 9)],
    )
    prepare_standings(book)
    patched = replace(book, weights=book.weights * 2)
    prepare_standings(patched, like=book)
    assert patched.__dict__["_league_plan"] is book.__dict__["_league_plan"]
    other = TeamBook.from_rosters([(t, picks, [1] * 7) for t in range(1, 9)], [(3, t) for t in range(1, 9)])
    prepare_standings(other, like=book)
    assert other.__dict__["_league_plan"] is not book.__dict__["_league_plan"]
    totals = patched.totals({name: i for i, name in enumerate(ASSETS)})
    standings = league_standings(patched, totals)
    assert standings.points is not None
    got = (standings.order.tolist(), standings.ranks.tolist(), standings.points.tolist())
    assert got == expected_standings(patched, totals)


def test_ranks_of_an_empty_book() -> None:
    assert competition_ranks(np.zeros(0, dtype=np.int32)).size == 0


def test_chips_and_penalties_in_a_teams_total() -> None:
    drivers = ["driver:A", "driver:B", "driver:C", "driver:D", "driver:E"]
    picks = [*drivers, "constructor:X", "constructor:Y"]
    boosted = [2, 1, 1, 1, 1, 1, 1]  # the boost on A
    book = TeamBook.from_rosters(
        [(1, picks, boosted), (2, picks, boosted), (3, picks, boosted), (4, picks, boosted)],
        weeks={2: (0, AUTOPILOT), 3: (0, NO_NEGATIVE), 4: (10, None)},
    )
    points = {"driver:A": 5, "driver:B": 30, "driver:C": -8, "driver:D": 0, "driver:E": 2}
    points |= {"constructor:X": 10, "constructor:Y": -4}
    positive = {"driver:A": 5, "driver:B": 33, "driver:C": 2, "driver:D": 0, "driver:E": 2}
    positive |= {"constructor:X": 12, "constructor:Y": 0}
    plain = 2 * 5 + 30 - 8 + 0 + 2 + 10 - 4
    assert book.totals(points, positive).tolist() == [
        plain,
        plain - 5 + 30,  # Autopilot: the boost moves from A (5) to B (30)
        2 * 5 + 33 + 2 + 0 + 2 + 12 + 0,  # No Negative: positive items only
        plain - 10,  # ten points of transfer penalty
    ]
    assert book.totals(points, positive, with_penalty=False)[3] == plain


def test_a_final_fix_team_counts_the_driver_it_replaced_before_the_race() -> None:
    before = ["driver:A", "driver:B", "driver:C", "driver:D", "driver:E", "constructor:X", "constructor:Y"]
    after = ["driver:F", *before[1:]]  # A out, F in, the boost moving with the seat
    boosted = [2, 1, 1, 1, 1, 1, 1]
    book = TeamBook.from_rosters(
        [(1, before, boosted), (2, after, boosted)], final_fixes={2: ("driver:A", "driver:F")}
    )
    qualifying = {"driver:A": 10, "driver:F": 1}
    race = {"driver:A": 3, "driver:F": 25}
    weekend = {name: qualifying.get(name, 0) + race.get(name, 0) for name in ("driver:A", "driver:F")}
    totals = book.totals(weekend, before_race=qualifying)
    assert totals.tolist() == [2 * 13, 2 * 10 + 2 * 25]  # team 2: A boosted in Qualifying, F in the Race
    assert book.totals(qualifying, before_race=qualifying).tolist() == [20, 20]  # its Qualifying alone
    assert book.totals(race, before_race={}).tolist() == [6, 50]  # its Race alone


def test_autopilot_scoring_one_session_boosts_the_weekends_best_driver() -> None:
    picks = ["driver:A", "driver:B", "driver:C", "driver:D", "driver:E", "constructor:X", "constructor:Y"]
    book = TeamBook.from_rosters([(1, picks, [2, 1, 1, 1, 1, 1, 1])], weeks={1: (0, AUTOPILOT)})
    race = {"driver:A": 18, "driver:B": 16}  # B leads the weekend on its Qualifying, A wins the Race
    weekend = {"driver:A": 23, "driver:B": 24}
    assert book.totals(race).tolist() == [18 + 16 + 18]  # the Race alone: A would be best
    assert book.totals(race, boost_from=weekend).tolist() == [18 + 16 + 16]  # but the weekend's is B
