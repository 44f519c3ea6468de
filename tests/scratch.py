"""The oracle for incremental tests: score a list of messages from scratch, in one go."""

from __future__ import annotations

from dataflows.session_state import SessionState
from ingest.decode import Message, decode_line
from scoring.points import SessionPoints, score_session
from scoring.rules import load_ruleset


def decode_all(lines: list[bytes]) -> list[Message]:
    decoded = [decode_line(line, i) for i, line in enumerate(lines)]
    return [m for m in decoded if isinstance(m, Message)]


def score_from_scratch(messages: list[Message]) -> dict[int, SessionPoints]:
    rules = load_ruleset()
    states: dict[int, SessionState] = {}
    for message in messages:
        key = message.event.session_key
        states.setdefault(key, SessionState(key)).apply([message])
    return {key: score_session(state.facts, rules) for key, state in states.items() if state.described}


def session_table(points: SessionPoints) -> dict[str, dict[str, dict[str, object]]]:
    """The shape the live store keeps a session's points in."""
    return {
        "drivers": {k: v.as_dict() for k, v in sorted(points.drivers.items())},
        "constructors": {k: v.as_dict() for k, v in sorted(points.constructors.items())},
    }
