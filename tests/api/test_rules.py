"""The pure rules behind the API: transfers, lock windows, session states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from api.domain.calendar.states import meeting_state, session_state
from api.domain.teams.picks import Picks, check_picks
from api.errors import Invalid
from scoring.rules import load_ruleset
from scoring.team_rules import PastWeek, free_after, settle
from store.models import SessionState
from store.weekends import Weekend

BASE = Picks(("A", "B", "C", "D", "E"), ("X", "Y"), "A")


def picks(*drivers: str, constructors: tuple[str, str] = ("X", "Y")) -> Picks:
    return Picks(drivers, constructors, drivers[0])


@pytest.mark.parametrize(
    ("free", "used", "next_free"),
    [(2, 0, 3), (2, 1, 3), (2, 2, 2), (2, 5, 2), (3, 0, 3), (3, 1, 3), (3, 2, 3), (3, 3, 2), (0, 0, 2)],
)
def test_two_free_a_week_one_carried_three_at_most(free: int, used: int, next_free: int) -> None:
    assert free_after(PastWeek(free, used)) == next_free


def test_settle_counts_changes_against_the_last_locked_roster() -> None:
    assert settle(None, BASE, None, None).penalty == 0  # the first roster is free
    swapped = picks("A", "B", "C", "D", "F")
    assert settle(BASE, swapped, None, None) == settle(BASE, swapped, PastWeek(0, 0), None)
    four = picks("A", "F", "G", "H", "I", constructors=("X", "Z"))
    assert (
        settle(BASE, four, PastWeek(2, 1), None).transfers,
        settle(BASE, four, PastWeek(2, 1), None).penalty,
    ) == (
        5,
        20,
    )
    assert settle(BASE, four, PastWeek(2, 1), "wildcard").penalty == 0
    assert settle(BASE, four, PastWeek(2, 1), "limitless").penalty == 0
    assert settle(BASE, four, PastWeek(2, 1), "extra_drs").penalty == 20


def test_budget_counts_at_this_weeks_prices() -> None:
    rules = load_ruleset().team
    prices = {("driver", d): Decimal("15.0") for d in "ABCDEF"} | {
        ("constructor", c): Decimal("12.5") for c in "XY"
    }
    assert check_picks(list("ABCDE"), ["X", "Y"], "A", prices, rules).drivers == tuple("ABCDE")
    prices[("driver", "E")] = Decimal("15.1")
    with pytest.raises(Invalid, match=r"costs 100.1 but the budget is 100.0: take 0.1 off"):
        check_picks(list("ABCDE"), ["X", "Y"], "A", prices, rules)
    assert check_picks(list("ABCDE"), ["X", "Y"], "A", prices, rules, budget_applies=False)


def test_lock_window_from_first_scored_session_until_the_race_is_final() -> None:
    now = datetime.now(UTC)
    coming = Weekend(1, 2025, now + timedelta(hours=1), now + timedelta(days=1), False, None)
    assert not coming.locked(now)
    assert coming.locked(now + timedelta(hours=2))
    assert coming.lock_due(now + timedelta(hours=2))
    written = Weekend(1, 2025, now + timedelta(hours=1), None, False, now)
    assert written.locked(now)
    assert not written.lock_due(now + timedelta(hours=2))
    assert not Weekend(1, 2025, now - timedelta(days=2), None, True, now).locked(now)


def test_session_and_weekend_states() -> None:
    s = SessionState
    assert session_state(None, None) is s.UPCOMING
    assert session_state(s.UPCOMING, "live") is s.LIVE
    assert session_state(s.UPCOMING, "final") is s.PROVISIONAL  # classified live, not yet in Postgres
    assert session_state(s.FINAL, "final") is s.FINAL
    assert session_state(s.FINAL, None) is s.FINAL
    assert meeting_state([]) is s.UPCOMING
    assert meeting_state([s.FINAL, s.UPCOMING]) is s.LIVE  # between Qualifying and the Race
    assert meeting_state([s.FINAL, s.PROVISIONAL]) is s.PROVISIONAL
    assert meeting_state([s.FINAL, s.FINAL]) is s.FINAL
