"""The oracle for incremental tests: score a list of messages from scratch, in one go, with scoring/
alone.

It shares nothing with the engine's state (dataflows/session_state.py): no event-time ordering, no
waiting, no lateness. Every upsert of scoring/facts.py is keyed, so the messages are simply applied
in the order given; a session counts once its v1/sessions message is among them, and a car's
events once its v1/drivers message is (the engine rejects the others when input ends). Checked
against the official totals of the five bundled weekends in tests/unit/test_oracle.py.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from ingest.decode import Message, decode_line
from ingest.events import (
    DriverInfo,
    DriverOfTheDay,
    GridSlot,
    Lap,
    OpenF1,
    Overtake,
    PitStop,
    Position,
    RaceControl,
    SessionInfo,
    SessionResult,
)
from scoring.facts import Classification, Entrant, SessionFacts
from scoring.points import SessionPoints, score_session
from scoring.rules import load_ruleset


def decode_all(lines: list[bytes]) -> list[Message]:
    decoded = [decode_line(line, i) for i, line in enumerate(lines)]
    return [m for m in decoded if isinstance(m, Message)]


def _car(event: OpenF1) -> int | None:
    if isinstance(event, Overtake):
        return event.overtaking_driver_number
    number = getattr(event, "driver_number", None)
    return number if isinstance(number, int) else None


def _identity(event: OpenF1) -> object:
    """A document's identity: its OpenF1 `_key`, else the whole document (a repeat counts once)."""
    return event.doc_key or msgspec.json.encode(event)


def facts_from_scratch(messages: Iterable[Message]) -> dict[int, SessionFacts]:
    """Every announced session's facts from `messages`, by session key."""
    messages = list(messages)
    sessions = {m.event.session_key: m.event for m in messages if isinstance(m.event, SessionInfo)}
    cars = {(m.event.session_key, m.event.driver_number) for m in messages if isinstance(m.event, DriverInfo)}
    facts: dict[int, SessionFacts] = {}
    for key, info in sessions.items():
        facts[key] = SessionFacts(session_key=key)
        facts[key].describe(info.meeting_key, info.session_name, info.date_start, info.date_end)
    for message in messages:
        event = message.event
        f = facts.get(event.session_key)
        car = _car(event)
        if (
            f is None
            or isinstance(event, SessionInfo)
            or (car is not None and (event.session_key, car) not in cars)
        ):
            continue
        if isinstance(event, DriverInfo):
            f.add_entrant(
                Entrant(event.driver_number, event.name_acronym, event.team_name, event.full_name or "")
            )
        elif isinstance(event, GridSlot):
            f.set_grid(event.driver_number, event.position, bool(event.pit_lane_start))
        elif isinstance(event, Position):
            f.set_position(event.driver_number, event.date, event.position)
        elif isinstance(event, Lap):
            f.add_lap(event.driver_number, event.lap_number, event.lap_duration, event.date_start)
        elif isinstance(event, Overtake):
            f.add_overtake(
                _identity(event), event.overtaking_driver_number, event.overtaken_driver_number, event.date
            )
        elif isinstance(event, PitStop):
            f.add_pit_stop(
                _identity(event), event.driver_number, event.stop_duration, event.date, event.lane_duration
            )
        elif isinstance(event, RaceControl) and (event.flag or "").upper() == "CHEQUERED":
            f.mark_chequered()
        elif isinstance(event, SessionResult):
            result = Classification(
                event.position, bool(event.dnf), bool(event.dns), bool(event.dsq), event.number_of_laps
            )
            f.set_result(event.driver_number, (message.at, event.doc_id or 0), result)
        elif isinstance(event, DriverOfTheDay):
            f.set_driver_of_the_day(event.driver_number)
    return facts


def score_from_scratch(messages: Iterable[Message]) -> dict[int, SessionPoints]:
    rules = load_ruleset()
    return {key: score_session(f, rules) for key, f in facts_from_scratch(messages).items()}


def weekend_totals(points: Iterable[SessionPoints]) -> dict[str, dict[str, int]]:
    """Each asset's points summed over the sessions: the shape of `gridscore score --json`."""
    totals: dict[str, dict[str, int]] = {"drivers": {}, "constructors": {}}
    for session in points:
        for kind, assets in (("drivers", session.drivers), ("constructors", session.constructors)):
            for name, asset in assets.items():
                totals[kind][name] = totals[kind].get(name, 0) + asset.total
    return {kind: dict(sorted(names.items())) for kind, names in totals.items()}


def session_table(points: SessionPoints) -> dict[str, dict[str, dict[str, object]]]:
    """The shape the live store keeps a session's points in."""
    return {
        "drivers": {k: v.as_dict() for k, v in sorted(points.drivers.items())},
        "constructors": {k: v.as_dict() for k, v in sorted(points.constructors.items())},
    }
