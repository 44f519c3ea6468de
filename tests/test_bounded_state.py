"""Bounded flow state (issue 12, finding 2): what input controls cannot grow the engine for ever.

The real flow (`build_flow`) on the live clock, in this process, fed by a source that stays open
after its messages, as MQTT does: nothing but the flow's own clock can make waiting messages
expire. Its Bytewax recovery snapshots show whether a key's state was really let go.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
from bytewax.inputs import DynamicSource, StatelessSourcePartition
from bytewax.recovery import RecoveryConfig, init_db_dir
from bytewax.testing import TestingSink, TestingSource, run_main
from prometheus_client import REGISTRY

from dataflows.config import ClockMode, FlowConfig, flow_config
from dataflows.flow import FlowOutputs, build_flow
from dataflows.session_state import MAX_OVERTAKES, MAX_PIT_STOPS
from dataflows.state_limits import StateLimits
from gridscore.base.settings import Settings
from ingest.decode import Rejected
from ingest.recorded import RawLine
from scoring.outcomes import ScoredWindow
from scoring.rules import load_ruleset

RULES = load_ruleset("f1fantasy-2025")
SETTINGS = Settings()
GAUGES = (
    "gridscore_state_sessions",
    "gridscore_state_unannounced_sessions",
    "gridscore_state_meetings",
    "gridscore_state_waiting_messages",
)


def line(topic: str, payload: dict[str, object], at: datetime, offset: int) -> RawLine:
    data = msgspec.json.encode({"topic": f"v1/{topic}", "at": at.isoformat(), "payload": payload})
    return RawLine("test", offset, data)


def gauges() -> dict[str, float]:
    return {name: REGISTRY.get_sample_value(name) or 0.0 for name in GAUGES}


class _OpenPartition(StatelessSourcePartition[RawLine]):
    """Hands out its batches, then stays open (empty batches) until `done()` or the deadline."""

    def __init__(self, batches: list[list[RawLine]], done: Callable[[], bool], deadline: float) -> None:
        self.batches = list(reversed(batches))
        self.done = done
        self.deadline = deadline

    def next_batch(self) -> list[RawLine]:
        if self.batches:
            return self.batches.pop()
        if self.done() or time.monotonic() > self.deadline:
            raise StopIteration
        return []

    def next_awake(self) -> datetime | None:
        return None if self.batches else datetime.now(UTC) + timedelta(milliseconds=50)


class OpenSource(DynamicSource[RawLine]):
    def __init__(self, batches: list[list[RawLine]], done: Callable[[], bool], timeout_s: float) -> None:
        self.batches, self.done, self.timeout_s = batches, done, timeout_s

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _OpenPartition:
        return _OpenPartition(self.batches, self.done, time.monotonic() + self.timeout_s)


def limits(**changes: Any) -> StateLimits:
    """The settings' state limits, with `changes`."""
    return replace(StateLimits.from_settings(SETTINGS), **changes)


def live_config(**changes: Any) -> FlowConfig:
    return replace(
        flow_config(SETTINGS, ClockMode.LIVE),
        window=timedelta(milliseconds=50),
        lateness=timedelta(milliseconds=100),
        limits=limits(**changes),
    )


def held_keys(recovery: Path, step: str) -> tuple[int, int]:
    """(keys ever snapshotted, keys whose latest snapshot still holds state) of a step."""
    rows: dict[str, tuple[int, bytes | None]] = {}
    for db in recovery.glob("*.sqlite3"):
        with sqlite3.connect(db) as conn:
            for step_id, key, epoch, ser in conn.execute(
                "SELECT step_id, state_key, snap_epoch, ser_change FROM snaps"
            ):
                if step in step_id.split(".") and (key not in rows or epoch >= rows[key][0]):
                    rows[key] = (epoch, ser)
    return len(rows), sum(1 for _, ser in rows.values() if ser is not None)


def test_messages_for_sessions_never_announced_expire_and_their_state_is_let_go(tmp_path: Path) -> None:
    """Finding 2 with the real flow: 20,000 messages, each for a new session key that is never
    announced and never hears from again. Each is rejected `unknown_session` once it has waited
    its time to live (1 s here) of wall time, though no later event of its session comes; then
    the state holds nothing (gauges at zero while the flow still runs), and the recovery snapshots
    hold no state for any of those keys in the session step (live, there are no event-time windows
    before it to hold any)."""
    count, ttl = 20_000, timedelta(seconds=1)
    now = datetime.now(UTC)
    items = [
        line(
            "position",
            {"session_key": 900_000 + i, "meeting_key": 1, "driver_number": 1, "date": now, "position": 1},
            now,
            i,
        )
        for i in range(count)
    ]
    rejected: list[Rejected] = []
    seen: dict[str, float] = {}

    def done() -> bool:
        if len(rejected) < count:
            return False
        seen.update(gauges())  # what the state holds while the flow still runs
        return True

    flow = build_flow(
        OpenSource([items[i : i + 1000] for i in range(0, count, 1000)], done, timeout_s=60),
        FlowOutputs(rejected=TestingSink(rejected)),
        live_config(pending_ttl=ttl, max_waiting=count),
    )
    recovery = tmp_path / "recovery"
    recovery.mkdir()
    init_db_dir(recovery, 1)
    started = time.monotonic()
    run_main(flow, epoch_interval=timedelta(milliseconds=200), recovery_config=RecoveryConfig(str(recovery)))
    elapsed = time.monotonic() - started

    assert len(rejected) == count, f"{len(rejected)} of {count} rejected after {elapsed:.1f} s"
    assert Counter(r.category for r in rejected) == {"unknown_session": count}
    assert sorted(r.offset for r in rejected) == list(range(count))
    assert all(f"waited {ttl}" in r.reason for r in rejected)
    assert seen == dict.fromkeys(GAUGES, 0.0)
    keys, holding = held_keys(recovery, "session_points")
    assert keys >= count, f"session_points: only {keys} keys were ever snapshotted"
    assert holding == 0, f"session_points: {holding} keys still hold state"
    assert held_keys(recovery, "coalesce_bursts") == (0, 0), "live, no event-time window holds anything"


def _session(key: int, meeting: int, start: datetime, offset: int) -> RawLine:
    payload = {
        "session_key": key,
        "meeting_key": meeting,
        "session_name": "Race",
        "date_start": start,
        "date_end": start + timedelta(hours=2),
    }
    return line("sessions", payload, start, offset)


def _driver(key: int, number: int, at: datetime, offset: int) -> RawLine:
    payload = {
        "session_key": key,
        "driver_number": number,
        "name_acronym": f"D{number:02d}",
        "team_name": "T",
    }
    return line("drivers", payload, at, offset)


def _position(key: int, number: int, date: datetime, at: datetime, offset: int) -> RawLine:
    payload = {"session_key": key, "driver_number": number, "date": date, "position": 1}
    return line("position", payload, at, offset)


def replay(items: list[RawLine], bounds: StateLimits) -> tuple[list[ScoredWindow], list[Rejected]]:
    windows: list[ScoredWindow] = []
    rejected: list[Rejected] = []
    flow = build_flow(
        TestingSource(items),
        FlowOutputs(live=TestingSink(windows), rejected=TestingSink(rejected)),
        replace(flow_config(SETTINGS), limits=bounds),
    )
    run_main(flow)
    return windows, rejected


def test_sessions_and_meetings_beyond_their_caps_are_rejected_with_a_reason() -> None:
    """At most 2 sessions and 2 meetings held: a third session of a held meeting and a session of a
    third meeting are refused `over_capacity` (saying which cap); their other messages wait for
    an announcement that was refused and end `unknown_session` when the feed ends; the sessions
    held are scored."""
    start = datetime(2025, 4, 13, 15, tzinfo=UTC)
    items = [
        _session(101, 1, start, 0),
        _session(102, 2, start, 1),
        _session(103, 1, start, 2),  # a third session: over the session cap
        _session(104, 3, start, 3),  # a third meeting (and session)
        _position(103, 1, start, start, 4),
        _driver(101, 1, start, 5),
        _position(101, 1, start, start, 6),
    ]
    windows, rejected = replay(items, limits(max_sessions=2, max_meetings=2))
    reasons = {r.offset: r.reason for r in rejected}
    assert set(reasons) == {2, 3, 4}
    assert reasons[2].startswith("over_capacity: 2 sessions already held (GRIDSCORE_MAX_SESSIONS)")
    assert reasons[3].startswith("over_capacity: 2 sessions already held")
    assert reasons[4].startswith("unknown_session: no v1/sessions for 103")
    assert {w.weekend.meeting_key for w in windows} == {1, 2}

    windows, rejected = replay(items[1:2] + items[3:4], limits(max_meetings=1))
    assert [r.reason.split(";")[0] for r in rejected] == [
        "over_capacity: 1 meetings already held (GRIDSCORE_MAX_MEETINGS)"
    ]


def test_waiting_messages_beyond_the_cap_are_rejected_at_once() -> None:
    """At most 100 messages wait over every session: of 150 for unannounced sessions, the first
    100 wait (and end `unknown_session` with the feed), the next 50 are refused when they come,
    saying that the most that may wait already wait."""
    at = datetime(2025, 4, 13, 15, tzinfo=UTC)
    items = [_position(200 + i, 1, at, at, i) for i in range(150)]
    _, rejected = replay(items, limits(max_waiting=100))
    assert len(rejected) == 150
    assert all(r.category == "unknown_session" for r in rejected)
    capped = {r.offset for r in rejected if "the most messages that may wait already wait" in r.reason}
    assert len(capped) == 50


def test_dates_far_from_their_session_are_invalid() -> None:
    """A session announced for 15:00-17:00: positions dated within a day of it are used, ones a day
    and a minute before its start or after its end are rejected `invalid`, naming the session."""
    start = datetime(2025, 4, 13, 15, tzinfo=UTC)
    slack = timedelta(hours=24)
    dates = {
        3: start - slack + timedelta(minutes=1),
        4: start + timedelta(hours=2) + slack - timedelta(minutes=1),
        5: start - slack - timedelta(minutes=1),
        6: start + timedelta(hours=2) + slack + timedelta(minutes=1),
        7: datetime(2099, 1, 1, tzinfo=UTC),
    }
    items = [_session(301, 1, start, 0), _driver(301, 1, start, 1), _driver(301, 2, start, 2)]
    items += [_position(301, 1 + offset % 2, date, start, offset) for offset, date in dates.items()]
    windows, rejected = replay(items, limits(date_slack=slack))
    assert {r.offset for r in rejected} == {5, 6, 7}
    assert all(r.category == "invalid" and "outside session 301" in r.reason for r in rejected)
    assert windows
    assert windows[-1].weekend.meeting_key == 1


def test_an_idle_session_and_its_weekend_are_let_go(tmp_path: Path) -> None:
    """On the live clock, a session without input for its idle time (1 s here) is let go, and with
    it its meeting: the gauges go back to zero and the recovery snapshots hold no state for the
    session or its weekend. Its points were emitted before."""
    now = datetime.now(UTC)
    items = [_session(401, 41, now, 0), _driver(401, 1, now, 1), _position(401, 1, now, now, 2)]
    windows: list[ScoredWindow] = []
    held: list[dict[str, float]] = []

    def done() -> bool:
        state = gauges()
        if windows and not held:
            held.append(state)
        return bool(windows) and state == dict.fromkeys(GAUGES, 0.0)

    flow = build_flow(
        OpenSource([items], done, timeout_s=30),
        FlowOutputs(live=TestingSink(windows)),
        live_config(session_idle=timedelta(seconds=1)),
    )
    recovery = tmp_path / "recovery"
    recovery.mkdir()
    init_db_dir(recovery, 1)
    run_main(flow, epoch_interval=timedelta(milliseconds=200), recovery_config=RecoveryConfig(str(recovery)))

    assert windows
    assert windows[-1].weekend.meeting_key == 41
    assert held
    assert held[0]["gridscore_state_sessions"] == 1
    assert held[0]["gridscore_state_meetings"] == 1
    assert gauges() == dict.fromkeys(GAUGES, 0.0)
    for step in ("session_points", "weekend_totals"):
        keys, holding = held_keys(recovery, step)
        assert keys == 1, f"{step}: {keys} keys"
        assert holding == 0, f"{step}: a key still holds state"


def test_a_car_never_announced_expires_unknown_driver_while_its_session_scores_on() -> None:
    """On the live clock, positions of a car that never gets its v1/drivers wait their time to live
    (1 s) and are rejected `unknown_driver`, with the source still open and nothing else of the
    session arriving; the announced car's points are emitted, and the session stays held."""
    now = datetime.now(UTC)
    items = [_session(501, 51, now, 0), _driver(501, 1, now, 1), _position(501, 1, now, now, 2)]
    items += [_position(501, 7, now, now, 3 + i) for i in range(3)]
    windows: list[ScoredWindow] = []
    rejected: list[Rejected] = []
    held: list[dict[str, float]] = []

    def done() -> bool:
        if len(rejected) < 3:
            return False
        held.append(gauges())
        return True

    flow = build_flow(
        OpenSource([items], done, timeout_s=30),
        FlowOutputs(live=TestingSink(windows), rejected=TestingSink(rejected)),
        live_config(pending_ttl=timedelta(seconds=1)),
    )
    run_main(flow)

    assert sorted(r.offset for r in rejected) == [3, 4, 5]
    assert all(r.reason.startswith("unknown_driver: car 7 is not in session 501") for r in rejected)
    assert windows
    assert windows[-1].weekend.meeting_key == 51
    assert held[0]["gridscore_state_waiting_messages"] == 0
    assert held[0]["gridscore_state_sessions"] == 1


def test_documents_keyed_by_input_are_capped_per_session() -> None:
    """Overtakes and pit stops are the facts that input names by a key of its own (`_key`): a flood
    of new keys in an announced session stops at the cap, the excess rejected `over_capacity`; a
    new version of a held key is still taken."""
    start = datetime(2025, 4, 13, 15, tzinfo=UTC)
    items = [_session(401, 1, start, 0), _driver(401, 1, start, 1), _driver(401, 2, start, 2)]
    offset = 3
    for i in range(MAX_OVERTAKES + 5):
        payload = {
            "session_key": 401,
            "overtaking_driver_number": 1,
            "overtaken_driver_number": 2,
            "date": start + timedelta(seconds=1 + i / 1000),
            "position": 1,
            "_key": f"overtake-{i}",
        }
        items.append(line("overtakes", payload, start, offset))
        offset += 1
    for i in range(MAX_PIT_STOPS + 3):
        payload = {
            "session_key": 401,
            "driver_number": 2,
            "lap_number": 1 + i % 50,
            "date": start + timedelta(seconds=1 + i / 1000),
            "pit_duration": 22.0,
            "stop_duration": 2.5,
            "_key": f"pit-{i}",
        }
        items.append(line("pit", payload, start, offset))
        offset += 1
    again = {
        "session_key": 401,
        "overtaking_driver_number": 2,
        "overtaken_driver_number": 1,
        "date": start + timedelta(minutes=5),
        "position": 1,
        "_key": "overtake-0",
    }
    items.append(line("overtakes", again, start, offset))
    _, rejected = replay(items, limits())
    assert Counter(r.topic for r in rejected) == {"v1/overtakes": 5, "v1/pit": 3}
    assert all(r.category == "over_capacity" for r in rejected)
    assert offset not in {r.offset for r in rejected}, "a new version of a held overtake is taken"
