"""The team rules, once for one team (scoring.team_rules: what the API explains a score with) and once
in bulk (scoring.teams.TeamBook: what the flow ranks with), must give every team the same points:
random rosters, chips, Final Fixes, transfer penalties and weekend points, both ways."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.chips import Chip
from scoring.rules import load_ruleset
from scoring.team_rules import FinalFix, Picks, pick_scores, team_points
from scoring.teams import TeamBook, constructor_asset, driver_asset, pick_weights

RULES = load_ruleset().team
DRIVERS = [f"D{i}" for i in range(9)]
CONSTRUCTORS = [f"C{i}" for i in range(4)]
# One chip a week; Wildcard and Limitless change nothing in the weekend's arithmetic.
CHIPS = [
    None,
    Chip.EXTRA_DRS,
    Chip.AUTOPILOT,
    Chip.NO_NEGATIVE,
    Chip.FINAL_FIX,
    Chip.WILDCARD,
    Chip.LIMITLESS,
]


@st.composite
def teams(draw: st.DrawFn) -> tuple[Picks, str | None, Chip | None, FinalFix | None, int]:
    order = draw(st.permutations(DRIVERS))
    drivers, spare = tuple(order[:5]), order[5]
    constructors = tuple(draw(st.permutations(CONSTRUCTORS))[:2])
    boost = draw(st.sampled_from(drivers))
    chip = draw(st.sampled_from(CHIPS))
    extra = draw(st.sampled_from([d for d in drivers if d != boost])) if chip is Chip.EXTRA_DRS else None
    fix = FinalFix(draw(st.sampled_from(drivers)), spare) if chip is Chip.FINAL_FIX else None
    if fix is not None:  # the roster from the Race on: the new driver in the old one's place
        drivers = tuple(fix.into if d == fix.out else d for d in drivers)
        boost = fix.into if boost == fix.out else boost
    penalty = draw(st.sampled_from([0, 10, 30]))
    return Picks(drivers, constructors, boost), extra, chip, fix, penalty


def weekend_points(draw: st.DrawFn) -> tuple[dict[str, dict[str, int]], ...]:
    """(all items, positive items only, before the Race) per asset, consistent with each other."""
    points = {
        "drivers": {d: draw(st.integers(-30, 60)) for d in DRIVERS},
        "constructors": {c: draw(st.integers(-30, 90)) for c in CONSTRUCTORS},
    }
    positive = {k: {n: max(p, 0) + draw(st.integers(0, 20)) for n, p in v.items()} for k, v in points.items()}
    before = {k: {n: draw(st.integers(-10, 25)) for n in v} for k, v in points.items()}
    return points, positive, before


def by_asset(points: dict[str, dict[str, int]]) -> dict[str, int]:
    out = {driver_asset(n): p for n, p in points.get("drivers", {}).items()}
    return out | {constructor_asset(n): p for n, p in points.get("constructors", {}).items()}


@settings(max_examples=100, deadline=None)
@given(st.lists(teams(), min_size=1, max_size=12), st.data())
def test_every_team_scores_the_same_alone_and_in_bulk(rows: list, data: st.DataObject) -> None:
    points, positive, before = data.draw(st.composite(weekend_points)())
    rosters, weeks, fixes = [], {}, {}
    for team_id, (picks, extra, chip, fix, penalty) in enumerate(rows, start=1):
        weights = pick_weights(
            np.array([d == picks.boost_driver for d in picks.drivers]),
            np.array([d == extra for d in picks.drivers]),
            RULES.boost_multiplier,
            RULES.extra_drs_multiplier,
        )
        names = [driver_asset(d) for d in picks.drivers] + [constructor_asset(c) for c in picks.constructors]
        rosters.append((team_id, names, [*weights.tolist(), 1, 1]))
        weeks[team_id] = (penalty, chip)
        if fix is not None:
            fixes[team_id] = (driver_asset(fix.out), driver_asset(fix.into))
    book = TeamBook.from_rosters(
        rosters, weeks=weeks, boost_multiplier=RULES.boost_multiplier, final_fixes=fixes
    )
    totals = book.totals(by_asset(points), by_asset(positive), before_race=by_asset(before))

    for slot, (picks, extra, chip, fix, penalty) in enumerate(rows):
        scores = pick_scores(picks, extra, chip, fix, points, positive, before, RULES)
        assert int(totals[slot]) == team_points(scores) - penalty, (picks, extra, chip, fix, scores)
