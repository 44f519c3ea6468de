"""SCORING.md's roster and transfer rules, pure: 5 drivers and 2 constructors within 100.0, the boost
on one of the drivers; 2 free transfers a week, 1 unused carried over (at most 3 banked), -10 for
each extra one; Wildcard and Limitless make every transfer free, Limitless lifts the budget."""

from __future__ import annotations

from decimal import Decimal

import pytest

from api.domain.teams.picks import check_picks, roster_cost
from api.errors import ErrorCode, Invalid
from scoring.chips import Chip
from scoring.rules import load_ruleset
from scoring.team_rules import PastWeek, Picks, WeekTransfers, free_after, settle, transfers_made

DRIVERS = ("AAA", "BBB", "CCC", "DDD", "EEE")
BENCH = ("FFF", "GGG", "HHH", "III", "JJJ", "KKK")
BASE = Picks(DRIVERS, ("Xray", "Yankee"), "AAA")


def swapped(n: int, boost: str = "AAA") -> Picks:
    """BASE with its last `n` drivers replaced (n up to 5), then its constructors (n 6 and 7)."""
    drivers = DRIVERS[: 5 - min(n, 5)] + BENCH[: min(n, 5)]
    constructors = ("Xray", "Yankee")[: 2 - max(n - 5, 0)] + ("Zulu", "Whisky")[: max(n - 5, 0)]
    return Picks(drivers, constructors, boost if boost in drivers else drivers[0])


SETTLE = [
    # (base roster, last week, chip, changes made, free this week, penalty)
    pytest.param(None, None, None, 0, 0, 0, id="first-roster-is-free"),
    pytest.param(BASE, None, None, 0, 2, 0, id="no-change"),
    pytest.param(BASE, None, None, 1, 2, 0, id="1-of-2-free"),
    pytest.param(BASE, None, None, 2, 2, 0, id="2-of-2-free"),
    pytest.param(BASE, None, None, 3, 2, 10, id="1-extra"),
    pytest.param(BASE, None, None, 5, 2, 30, id="3-extra"),
    pytest.param(BASE, None, None, 7, 2, 50, id="whole-team"),
    # 1 unused carries over ...
    pytest.param(BASE, PastWeek(2, 0), None, 3, 3, 0, id="2-unused-1-carried"),
    pytest.param(BASE, PastWeek(2, 1), None, 3, 3, 0, id="1-unused-carried"),
    pytest.param(BASE, PastWeek(2, 1), None, 4, 3, 10, id="carried-then-1-extra"),
    pytest.param(BASE, PastWeek(2, 2), None, 3, 2, 10, id="none-unused"),
    pytest.param(BASE, PastWeek(2, 6), None, 2, 2, 0, id="extras-last-week-take-nothing-away"),
    # ... at most 3 banked
    pytest.param(BASE, PastWeek(3, 0), None, 4, 3, 10, id="at-most-3-banked"),
    # Wildcard / Limitless: unlimited free transfers
    pytest.param(BASE, None, Chip.WILDCARD, 7, 2, 0, id="wildcard"),
    pytest.param(BASE, None, Chip.LIMITLESS, 7, 2, 0, id="limitless"),
    pytest.param(BASE, None, Chip.EXTRA_DRS, 3, 2, 10, id="other-chips-pay"),
    pytest.param(BASE, None, Chip.NO_NEGATIVE, 3, 2, 10, id="no-negative-pays"),
]


@pytest.mark.parametrize(("base", "last", "chip", "made", "free", "penalty"), SETTLE)
def test_each_transfer_rule(
    base: Picks | None, last: PastWeek | None, chip: Chip | None, made: int, free: int, penalty: int
) -> None:
    assert settle(base, swapped(made), last, chip) == WeekTransfers(made, free, penalty)


@pytest.mark.parametrize(
    ("week", "free"),
    [(PastWeek(2, 0), 3), (PastWeek(2, 1), 3), (PastWeek(2, 2), 2), (PastWeek(3, 0), 3), (PastWeek(3, 3), 2)],
)
def test_free_transfers_after_a_week(week: PastWeek, free: int) -> None:
    assert free_after(week) == free


def test_moving_the_boost_or_reordering_is_no_transfer() -> None:
    reordered = Picks(tuple(reversed(DRIVERS)), ("Yankee", "Xray"), "EEE")
    assert transfers_made(BASE, reordered) == 0
    assert transfers_made(BASE, swapped(6)) == 6  # five drivers and a constructor


PRICES = {("driver", d): Decimal("14.0") for d in DRIVERS + BENCH} | {
    ("constructor", c): Decimal("15.0") for c in ("Xray", "Yankee", "Zulu")
}
TEAM = load_ruleset().team


def test_a_legal_roster_is_accepted_and_costs_its_prices() -> None:
    picks = check_picks(DRIVERS, ("Xray", "Yankee"), "CCC", PRICES, TEAM)
    assert picks == Picks(DRIVERS, ("Xray", "Yankee"), "CCC")
    assert roster_cost(picks, PRICES) == Decimal("100.0")  # 5 x 14.0 + 2 x 15.0: exactly the budget


ILLEGAL = [
    pytest.param(
        DRIVERS[:4], ("Xray", "Yankee"), "AAA", "pick 5 different drivers (you sent 4", id="4-drivers"
    ),
    pytest.param((*DRIVERS, "FFF"), ("Xray", "Yankee"), "AAA", "pick 5 different drivers", id="6-drivers"),
    pytest.param(
        (*DRIVERS[:4], "AAA"), ("Xray", "Yankee"), "AAA", "you sent 4 different", id="a-driver-twice"
    ),
    pytest.param(DRIVERS, ("Xray",), "AAA", "pick 2 different constructors", id="1-constructor"),
    pytest.param(DRIVERS, ("Xray", "Xray"), "AAA", "pick 2 different constructors", id="a-constructor-twice"),
    pytest.param(DRIVERS, ("Xray", "Nope"), "AAA", "not on sale this week: Nope", id="unknown-constructor"),
    pytest.param(
        (*DRIVERS[:4], "ZZZ"), ("Xray", "Yankee"), "AAA", "not on sale this week: ZZZ", id="unknown-driver"
    ),
    pytest.param(
        DRIVERS, ("Xray", "Yankee"), "FFF", "the boosted driver FFF must be one of your drivers", id="boost"
    ),
]


@pytest.mark.parametrize(("drivers", "constructors", "boost", "words"), ILLEGAL)
def test_each_illegal_roster_is_refused_saying_what_to_change(
    drivers: tuple[str, ...], constructors: tuple[str, ...], boost: str, words: str
) -> None:
    with pytest.raises(Invalid) as refused:
        check_picks(drivers, constructors, boost, PRICES, TEAM)
    assert words in str(refused.value.detail)
    assert refused.value.code is ErrorCode.ROSTER_INVALID
    assert refused.value.extra["problems"]  # type: ignore[index]


def test_over_the_budget_is_refused_with_the_amount_to_take_off_unless_limitless() -> None:
    prices = PRICES | {("driver", "AAA"): Decimal("14.5")}
    with pytest.raises(Invalid, match=r"costs 100\.5 but the budget is 100\.0: take 0\.5 off"):
        check_picks(DRIVERS, ("Xray", "Yankee"), "AAA", prices, TEAM)
    assert (
        check_picks(DRIVERS, ("Xray", "Yankee"), "AAA", prices, TEAM, budget_applies=False).drivers == DRIVERS
    )


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(Invalid) as refused:
        check_picks(DRIVERS[:4], ("Xray", "Nope"), "FFF", PRICES, TEAM)
    assert len(refused.value.extra["problems"]) == 3  # type: ignore[index]
