"""League tops and team totals for the f1/scoring topics: computed in bulk, published when changed."""

from __future__ import annotations

import numpy as np

from dataflows.mqtt_bulk import encode as bulk_encode
from dataflows.mqtt_documents import PublishedTeams, encode, league_documents, league_tops, team_document
from scoring.outcomes import TeamScores
from scoring.teams import TeamBook, competition_ranks, league_standings

DRIVERS = ["driver:A", "driver:B", "driver:C", "driver:D", "driver:E"]
CONSTRUCTORS = ["constructor:X", "constructor:Y"]
ONES = [1] * 7


def _scores(points: dict[str, int]) -> TeamScores:
    rosters = [
        (10, [*DRIVERS, *CONSTRUCTORS], ONES),
        (11, [*DRIVERS, *CONSTRUCTORS], [2, 1, 1, 1, 1, 1, 1]),
        (12, [*DRIVERS, *CONSTRUCTORS], [1, 2, 1, 1, 1, 1, 1]),
        (13, ["driver:A", "driver:B", "driver:C", "driver:D", "driver:F", *CONSTRUCTORS], ONES),
    ]
    book = TeamBook.from_rosters(rosters, [(7, 10), (7, 11), (7, 12), (8, 13), (8, 10), (9, 12)])
    totals = book.totals(points)
    return TeamScores(book, totals, competition_ranks(totals), league_standings(book, totals))


def test_league_tops_are_the_first_n_of_each_league_best_first() -> None:
    scores = _scores({"driver:A": 10, "driver:B": 5, "driver:C": 5})
    tops = league_tops(scores, 2)
    assert tops.leagues.tolist() == [7, 8, 9]
    assert tops.sizes.tolist() == [3, 2, 1]
    assert tops.document(0, 1, 2) == {
        "meeting_key": 1,
        "session_key": 2,
        "league_id": 7,
        "teams": 3,
        "top": [{"rank": 1, "team_id": 11, "points": 30}, {"rank": 2, "team_id": 12, "points": 25}],
    }
    assert tops.document(1, 1, 2)["top"] == [  # a tie shares the rank, the lower team id first
        {"rank": 1, "team_id": 10, "points": 20},
        {"rank": 1, "team_id": 13, "points": 20},
    ]
    assert tops.document(2, 1, 2)["top"] == [{"rank": 1, "team_id": 12, "points": 25}]
    # A round reads the arrays once for every league: the same documents, the same bytes.
    round_ = list(league_documents(tops, np.array([0, 2]), 1, 2))
    assert round_ == [tops.document(0, 1, 2), tops.document(2, 1, 2)]
    assert [bulk_encode(d) for d in round_] == [encode(d) for d in round_]


def test_only_leagues_whose_top_changed_are_sent_again() -> None:
    before = league_tops(_scores({"driver:A": 10, "driver:F": 1}), 2)
    after = league_tops(_scores({"driver:A": 10, "driver:F": 2}), 2)  # only team 13 (league 8) moves
    assert before.changed_since(None).tolist() == [True, True, True]
    assert after.changed_since(before).tolist() == [False, True, False]
    assert after.changed_since(after).tolist() == [False, False, False]
    # What was published, league by league: a league not sent yet stays changed until it is.
    published = after.unpublished()
    assert after.changed_since(published).tolist() == [True, True, True]
    published.mark(np.array([0, 2]), before)
    assert after.changed_since(published).tolist() == [False, True, False]
    published.mark(np.array([1]), after)
    assert after.changed_since(published).tolist() == [False, False, False]


def test_team_totals_are_sent_when_they_or_their_ranks_change() -> None:
    first = _scores({"driver:A": 10})
    second = _scores({"driver:A": 10, "driver:B": 1})
    published = PublishedTeams.nothing(4)
    assert published.changed(first).tolist() == [0, 1, 2, 3]
    published.mark(np.arange(4), first)
    assert published.changed(second).tolist() == [0, 1, 2, 3]
    published.mark(np.arange(4), second)
    third = _scores({"driver:A": 10, "driver:B": 1, "driver:F": 3})
    # Only team 3 scores (11 -> 14), passing teams 0 and 2, whose points stay but whose ranks drop.
    assert np.array_equal(third.totals, [11, 21, 12, 14])
    assert published.changed(third).tolist() == [0, 2, 3]
    assert published.changed(second).size == 0
    published.mark(np.array([3]), third)  # a capped round sent team 3 only: 0 and 2 still wait
    assert published.changed(third).tolist() == [0, 2]
    assert team_document(second, 2, 1, 2) == {
        "meeting_key": 1,
        "session_key": 2,
        "team_id": 12,
        "points": 12,
        "rank": int(second.ranks[2]),
    }
    assert np.array_equal(second.totals, [11, 21, 12, 11])
