"""dataflows/session_state.py (pure: no Bytewax run): events that come before their session or car
wait for it, within bounds, and are rejected with a reason once past waiting; events dated far
outside their session, floods of new keys and sessions the engine may not hold are refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dataflows import session_state
from dataflows.config import flow_config
from dataflows.session_state import SessionState
from gridscore.base.settings import Settings
from ingest.decode import Message, Rejected, decode_payload

KEY, MEETING = 2099014, 209901
START = datetime(2099, 5, 3, 14, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # wall time, when waiting began
_offsets = iter(range(10**9))
ENGINE = flow_config(Settings())  # the engine's lateness bound and date slack: the settings' defaults


def session(
    lateness: timedelta = ENGINE.lateness, date_slack: timedelta = ENGINE.limits.date_slack
) -> SessionState:
    return SessionState(KEY, lateness, date_slack)


def msg(collection: str, at: datetime = START, **payload: Any) -> Message:
    result = decode_payload(
        f"v1/{collection}", json.dumps({"session_key": KEY} | payload).encode(), at, next(_offsets)
    )
    assert isinstance(result, Message), result
    return result


def announce(at: datetime = START) -> Message:
    return msg(
        "sessions",
        at,
        meeting_key=MEETING,
        session_name="Race",
        date_start=START.isoformat(),
        date_end=(START + timedelta(hours=2)).isoformat(),
    )


def car(number: int, at: datetime = START) -> Message:
    return msg("drivers", at, driver_number=number, name_acronym=f"C{number:02}", team_name="Team")


def position(number: int, seconds: float, place: int) -> Message:
    at = START + timedelta(seconds=seconds)
    return msg("position", at, driver_number=number, date=at.isoformat(), position=place)


def test_in_order_events_apply() -> None:
    state = session()
    assert state.apply([announce(), car(1), position(1, 60, 3)], NOW) == []
    assert state.described
    assert state.facts.running_position[1] == (START + timedelta(seconds=60), 3)


def test_events_before_their_session_wait_for_it_in_a_later_batch() -> None:
    state = session()
    assert state.apply([car(1), position(1, 1, 3)], NOW) == []
    assert len(state.pending) == 2
    assert not state.described
    assert state.apply([announce()], NOW) == []
    assert state.pending == []
    assert 1 in state.facts.entrants
    assert state.facts.running_position[1][1] == 3


def test_a_cars_events_wait_for_its_driver_message() -> None:
    state = session()
    state.apply([announce(), position(7, 1, 2)], NOW)
    assert len(state.pending) == 1
    state.apply([car(7)], NOW)
    assert state.pending == []
    assert state.facts.running_position[7][1] == 2


def test_what_still_waits_past_the_lateness_bound_is_rejected_naming_the_car() -> None:
    state = session(lateness=timedelta(seconds=2))
    state.apply([announce(), car(1), position(9, 1, 2)], NOW)
    assert len(state.pending) == 1
    # Event time must move past its own by more than 2 s and arrival by more than 3 x 2 s.
    assert state.apply([position(1, 3, 1)], NOW) == []
    assert len(state.pending) == 1
    [rejected] = state.apply([position(1, 10, 1)], NOW)
    assert rejected.reason == f"unknown_driver: car 9 is not in session {KEY}"
    assert state.pending == []


def test_expire_rejects_what_waited_its_time_to_live_of_wall_time() -> None:
    state = session()
    state.apply([position(1, 1, 3)], NOW)
    state.apply([position(2, 2, 4)], NOW + timedelta(seconds=30))
    assert state.next_expiry(timedelta(minutes=1)) == NOW + timedelta(minutes=1)
    assert state.expire(NOW + timedelta(seconds=59), timedelta(minutes=1)) == []
    [expired] = state.expire(NOW + timedelta(minutes=1), timedelta(minutes=1))
    assert expired.reason == f"unknown_session: no v1/sessions for {KEY} (waited 0:01:00)"
    assert len(state.pending) == 1
    assert state.next_expiry(timedelta(minutes=1)) == NOW + timedelta(seconds=90)


def test_drain_rejects_everything_still_waiting_when_input_ends() -> None:
    state = session()
    state.apply([announce(), position(1, 1, 3), position(2, 1, 4)], NOW)
    rejected = state.drain()
    assert sorted(r.reason for r in rejected) == [
        f"unknown_driver: car 1 is not in session {KEY}",
        f"unknown_driver: car 2 is not in session {KEY}",
    ]
    assert state.pending == []
    assert state.next_expiry(timedelta(seconds=1)) is None


def test_waiting_room_is_bounded() -> None:
    state = session()
    [refused] = state.apply([position(1, 1, 3)], NOW, room=0)
    assert refused.reason.endswith("(and the most messages that may wait already wait)")
    assert refused.category == "unknown_session"


def test_the_pending_cap_holds_whatever_room_is_offered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(session_state, "MAX_PENDING", 2)
    state = session(lateness=timedelta(seconds=2))  # none of the three is past a 2 s bound: only the cap
    rejected = state.apply([position(1, n, 3) for n in range(3)], NOW, room=10)
    assert [r.reason for r in rejected] == [
        f"unknown_session: no v1/sessions for {KEY} (and 2 events already wait)"
    ]


def test_a_session_the_engine_may_not_hold_is_refused_with_the_admit_reason() -> None:
    state = session()
    [refused] = state.apply(
        [announce()], NOW, admit=lambda session, meeting: f"over_capacity: {session} {meeting}"
    )
    assert refused.reason == f"over_capacity: {KEY} {MEETING}"
    assert not state.described


def test_an_event_dated_far_outside_its_session_is_invalid() -> None:
    state = session(date_slack=timedelta(hours=1))
    inside = START + timedelta(hours=2, minutes=59)  # end + 59 min
    outside = START + timedelta(hours=3, seconds=1)
    ok = msg("position", inside, driver_number=1, date=inside.isoformat(), position=1)
    late = msg("position", outside, driver_number=1, date=outside.isoformat(), position=1)
    early = msg("position", START, driver_number=1, date=(START - timedelta(hours=2)).isoformat(), position=1)
    rejected = state.apply([announce(), car(1), ok, late, early], NOW)
    assert [r.category for r in rejected] == ["invalid", "invalid"]
    assert all("outside session" in r.reason for r in rejected)
    assert state.facts.running_position[1] == (inside, 1)


def test_overtakes_beyond_the_cap_are_refused_but_known_ones_still_update(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(session_state, "MAX_OVERTAKES", 2)
    state = session()
    state.apply([announce(), car(1), car(2)], NOW)

    def overtake(key: str, seconds: float) -> Message:
        at = START + timedelta(seconds=seconds)
        return msg(
            "overtakes",
            at,
            _key=key,
            overtaking_driver_number=1,
            overtaken_driver_number=2,
            date=at.isoformat(),
        )

    rejected = state.apply([overtake("a", 1), overtake("b", 2), overtake("c", 3), overtake("a", 4)], NOW)
    assert [r.reason for r in rejected] == ["over_capacity: 2 overtakes already held for the session"]
    assert set(state.facts.overtakes) == {"a", "b"}
    assert state.facts.overtakes["a"][2] == START + timedelta(seconds=4)  # re-versioned by its _key


def test_results_flags_and_driver_of_the_day_reach_the_facts() -> None:
    state = session()
    end = START + timedelta(hours=2)
    state.apply(
        [
            announce(),
            car(1),
            msg("race_control", end, date=end.isoformat(), flag="chequered"),
            msg("session_result", end, driver_number=1, position=None, dsq=True, _id=3),
            msg("session_result", end - timedelta(minutes=1), driver_number=1, position=1, _id=9),
            msg("driver_of_the_day", end, driver_number=1, date=end.isoformat()),
        ],
        NOW,
    )
    assert state.facts.chequered
    assert state.facts.driver_of_the_day == 1
    result = state.facts.classification()[1]
    assert (result.position, result.dsq) == (None, True)  # the later arrival wins
    assert state.facts.is_classified


def test_the_apply_order_is_event_time_whatever_the_batch_order() -> None:
    state = session()
    state.apply([position(1, 20, 2), car(1), position(1, 10, 5), announce()], NOW)
    assert state.facts.running_position[1] == (START + timedelta(seconds=20), 2)
    assert state.high_water == START + timedelta(seconds=20)


def test_rejections_keep_the_message() -> None:
    state = session()
    message = position(1, 1, 3)
    state.apply([message], NOW)
    [rejected] = state.drain()
    assert isinstance(rejected, Rejected)
    assert (rejected.topic, rejected.offset, rejected.at) == (message.topic, message.offset, message.at)
    assert json.loads(rejected.raw)["driver_number"] == 1
