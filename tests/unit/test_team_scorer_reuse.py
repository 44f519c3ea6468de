"""dataflows/scoring_steps.py TeamScorer: a window that moved no asset's points (a running order
that changed, say) reuses the meeting's last team numbers instead of scoring a million teams again;
any change of points or of the book scores afresh."""

from __future__ import annotations

import dataclasses

from dataflows.scoring_steps import TeamScorer
from scoring.teams import TeamBook
from scoring.weekend import WeekendUpdate
from tests.unit.test_weekend_and_live_layout import BOOK, QUALI, RACE, ROSTER, weekend


def scorer_of(book: TeamBook) -> TeamScorer:
    return TeamScorer(lambda meeting: book)


def test_a_window_that_moved_no_points_reuses_the_last_team_numbers() -> None:
    scorer = scorer_of(BOOK)
    first = scorer(weekend(RACE))
    assert first.teams is not None
    totals = first.teams.totals.tolist()
    order_only = scorer(weekend(QUALI))  # another session moved, the weekend's points did not
    assert order_only.teams is first.teams
    assert order_only.teams.totals.tolist() == totals


def test_changed_points_are_scored_afresh() -> None:
    scorer = scorer_of(BOOK)
    before = scorer(weekend(RACE))
    assert before.teams is not None
    race = weekend(RACE)
    moved: WeekendUpdate = dataclasses.replace(race, drivers={**race.drivers, "AAA": race.drivers["AAA"] + 5})
    after = scorer(moved)
    assert after.teams is not None
    assert after.teams is not before.teams
    # Both teams hold AAA: team 1 boosts it (x2), team 2 plays Autopilot (the boost on its best).
    assert after.teams.totals.tolist() == [t + 10 for t in before.teams.totals.tolist()]


def test_a_new_book_is_scored_afresh() -> None:
    books = {"book": BOOK}
    scorer = TeamScorer(lambda meeting: books["book"])
    before = scorer(weekend(RACE))
    books["book"] = TeamBook.from_rosters([(1, ROSTER, (2, 1, 1, 1, 1, 1, 1))])
    after = scorer(weekend(RACE))
    assert after.teams is not None
    assert before.teams is not None
    assert after.teams is not before.teams
    assert after.teams.totals.tolist() == before.teams.totals.tolist()[:1]
