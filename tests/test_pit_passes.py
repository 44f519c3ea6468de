"""Overtakes that are a pit stop's doing (OpenF1 reports them as overtakes) do not count, live or
replayed: the rule lives in the session's facts (scoring/facts.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scoring.facts import PIT_LANE_DEFAULT, PIT_PASS_SLACK, SessionFacts

ENTRY = datetime(2025, 4, 13, 15, 30, tzinfo=UTC)


def facts_with_a_stop(lane_s: float | None) -> SessionFacts:
    facts = SessionFacts(session_key=1)
    facts.add_pit_stop("stop", 4, 2.4, ENTRY, lane_s)
    return facts


def test_a_pass_of_a_car_in_the_pit_lane_does_not_count() -> None:
    facts = facts_with_a_stop(22.0)
    lane = timedelta(seconds=22)
    moments = {
        "before the slack": ENTRY - PIT_PASS_SLACK - timedelta(seconds=1),
        "entering": ENTRY - PIT_PASS_SLACK,
        "in the lane": ENTRY + timedelta(seconds=10),
        "leaving": ENTRY + lane + PIT_PASS_SLACK,
        "after": ENTRY + lane + PIT_PASS_SLACK + timedelta(seconds=1),
    }
    for name, moment in moments.items():
        facts.add_overtake(name, 1, 4, moment)
    facts.add_overtake("car 4 passes in the lane", 4, 1, ENTRY + timedelta(seconds=10))
    assert facts.overtake_counts() == {1: 2, 4: 1}


def test_a_stop_without_a_lane_time_takes_the_default_and_a_new_version_moves_it() -> None:
    facts = facts_with_a_stop(None)
    facts.add_overtake("pass", 1, 4, ENTRY + PIT_LANE_DEFAULT)
    assert facts.overtake_counts() == {}
    facts.add_pit_stop("stop", 7, 2.4, ENTRY, None)  # the stop was car 7's, not car 4's
    assert facts.overtake_counts() == {1: 1}
    assert facts.pit_lanes[4] == {}
