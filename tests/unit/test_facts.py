"""scoring/facts.py: every upsert is idempotent and keyed the way OpenF1 versions its documents, so
a repeated, re-versioned or reordered message leaves the facts as they should be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scoring.facts import (
    PIT_LANE_DEFAULT,
    PIT_PASS_SLACK,
    Classification,
    Entrant,
    SessionFacts,
    SessionKind,
    lap_before,
)

T0 = datetime(2099, 5, 3, 14, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def facts() -> SessionFacts:
    f = SessionFacts(session_key=1)
    f.describe(10, "Race", T0, T0 + timedelta(hours=2))
    for number in (1, 2, 3):
        f.add_entrant(Entrant(number, f"C{number:02}", "Team"))
    return f


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Qualifying", SessionKind.QUALIFYING),
        ("Sprint Qualifying", SessionKind.SPRINT_QUALIFYING),
        ("Sprint", SessionKind.SPRINT),
        ("Race", SessionKind.RACE),
        ("Practice 1", SessionKind.OTHER),
        ("Sprint Shootout", SessionKind.OTHER),
        ("race", SessionKind.OTHER),
        ("", SessionKind.OTHER),
    ],
)
def test_session_kind_from_its_name(name: str, kind: SessionKind) -> None:
    assert SessionKind.from_name(name) is kind


def test_describe_sets_meeting_kind_and_dates() -> None:
    f = SessionFacts(session_key=1)
    f.describe(10, "Sprint", T0, None)
    assert (f.meeting_key, f.kind, f.name, f.date_start, f.date_end) == (
        10,
        SessionKind.SPRINT,
        "Sprint",
        T0,
        None,
    )


def test_a_grid_slot_is_replaced_and_the_pit_lane_flag_follows_the_latest() -> None:
    f = facts()
    f.set_grid(1, 20, pit_lane_start=True)
    assert (f.grid[1], f.pit_lane_start) == (20, {1})
    f.set_grid(1, 19, pit_lane_start=False)
    assert (f.grid[1], f.pit_lane_start) == (19, set())


def test_the_newest_position_by_event_time_wins_whatever_the_arrival_order() -> None:
    f = facts()
    f.set_position(1, at(20), 3)
    f.set_position(1, at(10), 5)  # older, arriving late
    assert f.running_position[1] == (at(20), 3)
    f.set_position(1, at(30), 2)
    assert f.running_position[1] == (at(30), 2)


def test_an_overtake_repeated_with_the_same_identity_counts_once() -> None:
    f = facts()
    f.add_overtake("k1", 1, 2, at(5))
    f.add_overtake("k1", 1, 2, at(5))
    f.add_overtake("k2", 1, 3, at(6))
    f.add_overtake("k3", 2, None, at(7))  # the car passed unknown: still an overtake of car 2
    assert f.overtake_counts() == {1: 2, 2: 1}


def test_a_pass_of_a_car_in_the_pit_lane_is_the_stops_doing_and_does_not_count() -> None:
    f = facts()
    f.add_pit_stop("stop", 2, 2.4, at(100), lane_duration=20.0)
    # The lane span is [entry - slack, entry + lane time + slack] = [95 s, 125 s].
    slack = PIT_PASS_SLACK.total_seconds()
    f.add_overtake("before", 1, 2, at(100 - slack - 1))
    f.add_overtake("entry", 1, 2, at(100 - slack))
    f.add_overtake("in-lane", 1, 2, at(110))
    f.add_overtake("exit", 1, 2, at(120 + slack))
    f.add_overtake("after", 1, 2, at(120 + slack + 1))
    f.add_overtake("other-car", 1, 3, at(110))
    assert f.overtake_counts() == {1: 3}  # before, after, other-car


def test_a_stop_without_a_lane_time_spans_the_default_lane_time() -> None:
    f = facts()
    f.add_pit_stop("stop", 2, None, at(100))
    end = 100 + PIT_LANE_DEFAULT.total_seconds() + PIT_PASS_SLACK.total_seconds()
    f.add_overtake("last-in", 1, 2, at(end))
    f.add_overtake("first-out", 1, 2, at(end + 1))
    assert f.overtake_counts() == {1: 1}


def test_a_re_versioned_pit_stop_moves_its_lane_span() -> None:
    f = facts()
    f.add_pit_stop("stop", 2, 2.4, at(100), lane_duration=20.0)
    f.add_pit_stop("stop", 2, 2.4, at(500), lane_duration=20.0)  # same document, corrected time
    f.add_overtake("at-old-time", 1, 2, at(110))
    f.add_overtake("at-new-time", 1, 2, at(510))
    assert f.overtake_counts() == {1: 1}
    assert f.pit_stops == {"stop": (2, 2.4)}


def test_the_best_lap_is_the_fastest_timed_lap_and_untimed_laps_are_ignored() -> None:
    f = facts()
    f.add_lap(1, 1, None, at(0))
    f.add_lap(1, 2, 92.0, at(90))
    f.add_lap(1, 3, 91.0, at(182))
    f.add_lap(1, 4, 93.0, at(273))
    assert f.best_lap[1] == (91.0, at(182))
    assert 2 not in f.best_lap


def test_a_re_versioned_lap_rescans_its_cars_best() -> None:
    f = facts()
    f.add_lap(1, 2, 92.0, at(90))
    f.add_lap(1, 3, 91.0, at(182))
    f.add_lap(1, 3, 95.0, at(182))  # lap 3 corrected: slower
    assert f.best_lap[1] == (92.0, at(90))
    f.add_lap(1, 2, None, at(90))  # lap 2 lost its time
    assert f.best_lap[1] == (95.0, at(182))
    f.add_lap(1, 3, None, at(182))
    assert 1 not in f.best_lap


def test_the_same_lap_again_changes_nothing() -> None:
    f = facts()
    f.add_lap(1, 2, 92.0, at(90))
    before = (dict(f.laps), dict(f.best_lap))
    f.add_lap(1, 2, 92.0, at(90))
    assert (f.laps, f.best_lap) == before


@pytest.mark.parametrize(
    ("a", "b", "a_first"),
    [
        ((90.0, at(0)), (91.0, at(0)), True),
        ((91.0, at(0)), (90.0, at(10)), False),
        ((90.0, at(0)), (90.0, at(10)), True),  # equal times: the earlier lap
        ((90.0, at(10)), (90.0, at(0)), False),
        ((90.0, at(0)), (90.0, None), True),  # a lap with no start counts as later
        ((90.0, None), (90.0, at(0)), False),
        ((90.0, None), (90.0, None), False),
        ((90.0, at(0)), (90.0, at(0)), False),  # not before itself
    ],
)
def test_lap_before(
    a: tuple[float, datetime | None], b: tuple[float, datetime | None], a_first: bool
) -> None:
    assert lap_before(a, b) is a_first


def test_a_later_result_version_corrects_an_earlier_one_whatever_the_order() -> None:
    f = facts()
    p3, dsq = Classification(position=3), Classification(position=None, dsq=True)
    f.set_result(1, (at(200), 0), dsq)
    f.set_result(1, (at(100), 0), p3)  # the older version, late
    assert f.classification()[1] == dsq
    f.set_result(1, (at(200), 5), p3)  # same arrival, higher message id: newer
    assert f.classification()[1] == p3


def test_a_session_is_final_once_every_entrant_has_a_result() -> None:
    f = facts()
    assert not f.is_classified
    f.set_result(1, (at(0), 0), Classification(position=1))
    f.set_result(2, (at(0), 0), Classification(position=2))
    assert not f.is_classified
    f.set_result(9, (at(0), 0), Classification(position=3))  # not an entrant
    assert not f.is_classified
    f.set_result(3, (at(0), 0), Classification(position=None, dnf=True))
    assert f.is_classified


def test_a_session_without_entrants_or_results_is_not_final() -> None:
    assert not SessionFacts(session_key=1).is_classified


def test_driver_of_the_day_and_chequered_flag() -> None:
    f = facts()
    f.set_driver_of_the_day(2)
    f.set_driver_of_the_day(3)  # a correction replaces it
    f.mark_chequered()
    f.mark_chequered()
    assert (f.driver_of_the_day, f.chequered) == (3, True)
