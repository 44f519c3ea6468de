"""SCORING.md's team rules: boost x2, Extra DRS x3, Autopilot, No Negative, Final Fix, Wildcard,
Limitless and the transfer penalty, one team per rule, each expected total written out from the
rule's words; checked in bulk (scoring/teams.py's TeamBook, every team in one book: what the engine
ranks with) and for one team (scoring/team_rules.py: what the API explains a score with)."""

from __future__ import annotations

import numpy as np
import pytest

from scoring.chips import Chip, chip_of
from scoring.rules import load_ruleset
from scoring.team_rules import (
    FinalFix,
    Picks,
    autopilot_driver,
    budget_applies,
    extra_drs_driver,
    final_fix_picks,
    pick_scores,
    reverts_after_lock,
    team_points,
)
from scoring.teams import (
    TeamBook,
    competition_ranks,
    constructor_asset,
    driver_asset,
    league_standings,
    pick_weights,
)

A, B, C, D, E, F = (driver_asset(x) for x in ("AAA", "BBB", "CCC", "DDD", "EEE", "FFF"))
X, Y, Z = (constructor_asset(x) for x in ("Xray", "Yankee", "Zulu"))
# The weekend's points of each asset; `POSITIVE` its positive items only (C scored +3 and -8,
# Y +2 and -10); `BEFORE_RACE` the part scored before the Race (Qualifying).
POINTS = {A: 10, B: 20, C: -5, D: 3, E: 0, F: 7, X: 15, Y: -8, Z: 4}
POSITIVE = {A: 10, B: 20, C: 3, D: 3, E: 4, F: 7, X: 15, Y: 2, Z: 4}
BEFORE_RACE = {A: 4, B: 9, C: 3, D: 1, E: 4, F: 6, X: 10, Y: 2, Z: 1}
ROSTER = (A, B, C, D, E, X, Y)
PLAIN = (1, 1, 1, 1, 1, 1, 1)


def boost(on: int, extra_drs: int | None = None) -> tuple[int, ...]:
    """Weights of ROSTER with the x2 boost on pick `on` (and Extra DRS's x3 on `extra_drs`)."""
    return tuple(2 if i == on else 3 if i == extra_drs else 1 for i in range(7))


# team id -> (roster, weights, (transfer penalty, chip), Final Fix (out, in), expected total)
TEAMS: dict[
    int, tuple[tuple[str, ...], tuple[int, ...], tuple[int, str | None], tuple[str, str] | None, int]
] = {
    # One driver carries the DRS Boost: his weekend points count twice.
    1: (ROSTER, boost(0), (0, None), None, 2 * 10 + 20 - 5 + 3 + 0 + 15 - 8),
    2: (ROSTER, boost(1), (0, None), None, 10 + 2 * 20 - 5 + 3 + 0 + 15 - 8),
    3: (ROSTER, boost(2), (0, None), None, 10 + 20 + 2 * -5 + 3 + 0 + 15 - 8),  # negative points double too
    4: (ROSTER, PLAIN, (0, None), None, 10 + 20 - 5 + 3 + 0 + 15 - 8),
    # Extra DRS: one driver x3 on top of the x2 boost on another.
    5: (ROSTER, boost(1, extra_drs=0), (0, None), None, 3 * 10 + 2 * 20 - 5 + 3 + 0 + 15 - 8),
    6: (ROSTER, boost(1, extra_drs=2), (0, None), None, 10 + 2 * 20 + 3 * -5 + 3 + 0 + 15 - 8),
    # Transfers: each extra one costs -10 (the penalty comes off the weekend's total).
    7: (ROSTER, boost(0), (10, None), None, 2 * 10 + 20 - 5 + 3 + 0 + 15 - 8 - 10),
    8: (ROSTER, boost(0), (30, None), None, 2 * 10 + 20 - 5 + 3 + 0 + 15 - 8 - 30),
    # Autopilot: the x2 boost goes to the team's highest-scoring driver (B) after the fact.
    9: (ROSTER, boost(0), (0, Chip.AUTOPILOT), None, 10 + 2 * 20 - 5 + 3 + 0 + 15 - 8),
    10: (ROSTER, boost(2), (0, Chip.AUTOPILOT), None, 10 + 2 * 20 - 5 + 3 + 0 + 15 - 8),
    11: (ROSTER, boost(0), (10, Chip.AUTOPILOT), None, 10 + 2 * 20 - 5 + 3 + 0 + 15 - 8 - 10),
    # No Negative: every negative item counts 0 (C counts its +3, Y its +2); penalties stay.
    12: (ROSTER, boost(0), (0, Chip.NO_NEGATIVE), None, 2 * 10 + 20 + 3 + 3 + 4 + 15 + 2),
    13: (ROSTER, boost(2), (0, Chip.NO_NEGATIVE), None, 10 + 20 + 2 * 3 + 3 + 4 + 15 + 2),
    14: (ROSTER, boost(0), (10, Chip.NO_NEGATIVE), None, 2 * 10 + 20 + 3 + 3 + 4 + 15 + 2 - 10),
    # Final Fix: E replaced F between Qualifying and the Race: F's points before the Race (6), E's from
    # the Race on (0 - 4); with the boost on that slot, both count twice.
    15: (ROSTER, boost(0), (0, None), (F, E), 2 * 10 + 20 - 5 + 3 + (6 + (0 - 4)) + 15 - 8),
    16: (ROSTER, boost(4), (0, None), (F, E), 10 + 20 - 5 + 3 + 2 * (6 + (0 - 4)) + 15 - 8),
    # Wildcard and Limitless are rosters: the team counts the roster it holds, nothing more.
    17: ((A, B, F, D, E, X, Z), boost(2), (0, Chip.WILDCARD), None, 10 + 20 + 2 * 7 + 3 + 0 + 15 + 4),
    18: ((A, B, F, D, E, Z, X), boost(0), (0, Chip.LIMITLESS), None, 2 * 10 + 20 + 7 + 3 + 0 + 4 + 15),
}

BOOK = TeamBook.from_rosters(
    [(team, roster, weights) for team, (roster, weights, _, _, _) in TEAMS.items()],
    weeks={team: week for team, (_, _, week, _, _) in TEAMS.items()},
    final_fixes={team: fix for team, (_, _, _, fix, _) in TEAMS.items() if fix is not None},
)


@pytest.mark.parametrize("team", sorted(TEAMS))
def test_each_team_rule(team: int) -> None:
    totals = BOOK.totals(POINTS, positive=POSITIVE, before_race=BEFORE_RACE)
    slot = int(np.searchsorted(BOOK.team_ids, team))
    assert int(totals[slot]) == TEAMS[team][-1]


def test_a_single_sessions_points_leave_the_weeks_transfer_penalty_out() -> None:
    with_penalty = BOOK.totals(POINTS, positive=POSITIVE, before_race=BEFORE_RACE)
    without = BOOK.totals(POINTS, positive=POSITIVE, before_race=BEFORE_RACE, with_penalty=False)
    penalties = {team: week[0] for team, (_, _, week, _, _) in TEAMS.items()}
    assert dict(zip(BOOK.team_ids.tolist(), (without - with_penalty).tolist(), strict=True)) == penalties


def test_no_negative_without_positive_items_counts_each_assets_total_when_positive() -> None:
    book = TeamBook.from_rosters([(1, ROSTER, boost(2))], weeks={1: (0, Chip.NO_NEGATIVE)})
    assert book.totals(POINTS).tolist() == [10 + 20 + 2 * 0 + 3 + 0 + 15 + 0]


def test_autopilot_scoring_one_session_boosts_the_weekends_best_driver() -> None:
    """Scoring one session, an Autopilot team's boost goes to its best driver of the weekend
    (`boost_from`), not of that session: here B (20 over the weekend), though A won the session."""
    book = TeamBook.from_rosters([(1, ROSTER, boost(2))], weeks={1: (0, Chip.AUTOPILOT)})
    session = {A: 8, B: 1, C: 0, D: 0, E: 0, X: 0, Y: 0}
    assert book.totals(session, boost_from=POINTS, with_penalty=False).tolist() == [8 + 2 * 1]
    assert book.totals(session, with_penalty=False).tolist() == [2 * 8 + 1]  # the session's own best


def test_a_final_fix_counts_nothing_extra_without_points_before_the_race() -> None:
    book = TeamBook.from_rosters([(1, ROSTER, boost(0))], final_fixes={1: (F, E)})
    assert book.totals(POINTS).tolist() == [2 * 10 + 20 - 5 + 3 + 0 + 15 - 8]


def test_an_asset_with_no_points_scores_zero() -> None:
    book = TeamBook.from_rosters([(1, ROSTER, boost(0))])
    assert book.totals({A: 5}).tolist() == [2 * 5]
    assert book.asset_vector({A: 5, "driver:ZZZ": 9}).tolist() == [5 if n == A else 0 for n in book.assets]


@pytest.mark.parametrize(
    ("totals", "ranks"),
    [
        ([10, 20, 20, 5], [3, 1, 1, 4]),  # ties share a rank, the next rank skips
        ([7], [1]),
        ([-3, -3, -3], [1, 1, 1]),
        ([0, -10, 10], [2, 3, 1]),
        ([], []),
    ],
)
def test_competition_ranks(totals: list[int], ranks: list[int]) -> None:
    assert competition_ranks(np.array(totals, dtype=np.int32)).tolist() == ranks


def test_league_standings_order_each_league_best_first_ties_by_team_id() -> None:
    teams = [(team, ROSTER, PLAIN) for team in (11, 12, 13, 14)]
    memberships = [(1, 11), (1, 12), (1, 13), (1, 14), (2, 14), (2, 12), (3, 13)]  # league 1 holds every team
    book = TeamBook.from_rosters(teams, memberships)
    totals = np.array([30, 50, 30, 10], dtype=np.int32)  # teams 11..14
    standings = league_standings(book, totals)
    ids = book.team_ids[standings.order].tolist()
    leagues, starts, counts = book.league_segments()
    by_league = {
        int(league): list(zip(ids[s : s + n], standings.ranks[s : s + n].tolist(), strict=True))
        for league, s, n in zip(leagues, starts, counts, strict=True)
    }
    assert by_league == {
        1: [(12, 1), (11, 2), (13, 2), (14, 4)],
        2: [(12, 1), (14, 2)],
        3: [(13, 1)],
    }


# -- The same rules for one team (scoring/team_rules.py: what the API explains a score with) -------
def bare(asset: str) -> str:
    return asset.split(":", 1)[1]


WEEKEND = {
    "drivers": {bare(a): p for a, p in POINTS.items() if a.startswith("driver:")},
    "constructors": {bare(a): p for a, p in POINTS.items() if a.startswith("constructor:")},
}
POSITIVE_BY_NAME = {
    k: {n: POSITIVE[driver_asset(n) if k == "drivers" else constructor_asset(n)] for n in v}
    for k, v in WEEKEND.items()
}
BEFORE_BY_NAME = {
    k: {n: BEFORE_RACE[driver_asset(n) if k == "drivers" else constructor_asset(n)] for n in v}
    for k, v in WEEKEND.items()
}


def one_team(team: int) -> tuple[Picks, str | None, Chip | None, FinalFix | None, int]:
    roster, weights, (penalty, chip), fix, _ = TEAMS[team]
    drivers = tuple(bare(a) for a in roster[:5])
    boosted = next(d for d, w in zip(drivers, weights, strict=False) if w == 2)
    extra = next((d for d, w in zip(drivers, weights, strict=False) if w == 3), None)
    final_fix = FinalFix(bare(fix[0]), bare(fix[1])) if fix is not None else None
    return (
        Picks(drivers, tuple(bare(a) for a in roster[5:]), boosted),
        extra,
        chip_of(chip),
        final_fix,
        penalty,
    )


@pytest.mark.parametrize("team", sorted(t for t in TEAMS if 2 in TEAMS[t][1]))  # every team with a boost
def test_each_team_rule_for_one_team(team: int) -> None:
    picks, extra, chip, fix, penalty = one_team(team)
    scores = pick_scores(
        picks, extra, chip, fix, WEEKEND, POSITIVE_BY_NAME, BEFORE_BY_NAME, load_ruleset().team
    )
    assert team_points(scores) - penalty == TEAMS[team][-1]


def test_a_final_fix_teams_picks_show_both_drivers_of_the_swapped_place() -> None:
    picks, extra, chip, fix, _ = one_team(16)  # boost on E, who replaced F before the Race
    scores = pick_scores(
        picks, extra, chip, fix, WEEKEND, POSITIVE_BY_NAME, BEFORE_BY_NAME, load_ruleset().team
    )
    assert [(s.name, s.points, s.multiplier, s.total, s.note) for s in scores] == [
        ("AAA", 10, 1, 10, None),
        ("BBB", 20, 1, 20, None),
        ("CCC", -5, 1, -5, None),
        ("DDD", 3, 1, 3, None),
        ("EEE", 0 - 4, 2, -8, "from the Race"),
        ("FFF", 6, 2, 12, "before the Race"),
        ("Xray", 15, 1, 15, None),
        ("Yankee", -8, 1, -8, None),
    ]


def test_an_autopilot_teams_picks_show_the_boost_on_its_best_driver() -> None:
    picks, extra, chip, fix, _ = one_team(10)  # boost chosen on C, Autopilot moves it to B
    scores = pick_scores(
        picks, extra, chip, fix, WEEKEND, POSITIVE_BY_NAME, BEFORE_BY_NAME, load_ruleset().team
    )
    assert {s.name: s.multiplier for s in scores} == {
        n: 2 if n == "BBB" else 1 for n in [s.name for s in scores]
    }


PICKS = Picks(("AAA", "BBB", "CCC", "DDD", "EEE"), ("Xray", "Yankee"), "AAA")


@pytest.mark.parametrize(
    ("chosen", "counts_on"),
    [("BBB", "BBB"), ("AAA", None), ("FFF", None), (None, None), (7, None)],
    ids=["another-driver", "the-boosted-one", "not-in-the-team", "none", "not-a-name"],
)
def test_extra_drs_counts_on_another_driver_of_the_team_only(chosen: object, counts_on: str | None) -> None:
    assert extra_drs_driver(chosen, PICKS) == counts_on


def test_autopilot_picks_the_best_driver_and_the_first_of_a_tie() -> None:
    assert autopilot_driver(PICKS.drivers, {"CCC": 9, "DDD": 4}) == "CCC"
    assert autopilot_driver(PICKS.drivers, {"BBB": 9, "EEE": 9}) == "BBB"
    assert autopilot_driver(PICKS.drivers, {}) == "AAA"  # nobody scored: the first
    assert autopilot_driver(PICKS.drivers, dict.fromkeys(PICKS.drivers, -5) | {"DDD": -1}) == "DDD"


def test_a_final_fix_carries_the_boost_and_extra_drs_of_the_place() -> None:
    assert final_fix_picks(PICKS, "BBB", FinalFix("AAA", "FFF")) == (
        Picks(("FFF", "BBB", "CCC", "DDD", "EEE"), ("Xray", "Yankee"), "FFF"),
        "BBB",
    )
    assert final_fix_picks(PICKS, "BBB", FinalFix("BBB", "FFF")) == (
        Picks(("AAA", "FFF", "CCC", "DDD", "EEE"), ("Xray", "Yankee"), "AAA"),
        "FFF",
    )


@pytest.mark.parametrize(
    ("chip", "budget", "reverts"),
    [
        (None, True, False),
        (Chip.WILDCARD, True, False),  # unlimited free transfers within budget
        (Chip.LIMITLESS, False, True),  # no budget cap, for one week; the team then reverts
        (Chip.EXTRA_DRS, True, False),
        (Chip.AUTOPILOT, True, False),
        (Chip.NO_NEGATIVE, True, False),
        (Chip.FINAL_FIX, True, False),
    ],
)
def test_which_chips_lift_the_budget_and_revert(chip: Chip | None, budget: bool, reverts: bool) -> None:
    assert (budget_applies(chip), reverts_after_lock(chip)) == (budget, reverts)


def test_the_six_chips_of_scoring_md_and_their_stored_names() -> None:
    assert {c.value for c in Chip} == {
        "wildcard",
        "limitless",
        "extra_drs",
        "autopilot",
        "no_negative",
        "final_fix",
    }
    assert chip_of("autopilot") is Chip.AUTOPILOT
    assert chip_of(None) is None
    assert chip_of("") is None
    with pytest.raises(ValueError, match="turbo"):
        chip_of("turbo")


def test_pick_weights_in_bulk() -> None:
    boosted = np.array([[True, False, False], [False, False, False]])
    extra = np.array([[False, True, False], [False, False, True]])
    assert pick_weights(boosted, extra, 2, 3).tolist() == [[2, 3, 1], [1, 1, 3]]
