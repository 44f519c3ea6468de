"""Vectorised team totals, ranks and league standings against one-team-at-a-time oracles."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.teams import TeamBook, competition_ranks, league_standings

ASSETS = [f"driver:D{i}" for i in range(8)] + [f"constructor:C{i}" for i in range(4)]


@st.composite
def books(draw: st.DrawFn) -> tuple[TeamBook, dict[str, int]]:
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
    points = {a: draw(st.integers(-40, 80)) for a in ASSETS}
    return TeamBook.from_rosters(rosters, memberships), points


@settings(max_examples=150, deadline=None)
@given(books())
def test_totals_ranks_and_standings_match_one_team_at_a_time(case: tuple[TeamBook, dict[str, int]]) -> None:
    book, points = case
    totals = book.totals(points)
    for slot in range(book.size):
        expected = sum(
            points[book.assets[a]] * int(w) for a, w in zip(book.picks[slot], book.weights[slot], strict=True)
        )
        assert totals[slot] == expected
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


def test_ranks_of_an_empty_book() -> None:
    assert competition_ranks(np.zeros(0, dtype=np.int32)).size == 0
