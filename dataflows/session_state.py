"""Per-session state of the flow: applies decoded events to the session's facts."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest.decode import Message, Rejected
from ingest.events import (
    DriverInfo,
    DriverOfTheDay,
    GridSlot,
    Lap,
    Overtake,
    PitStop,
    Position,
    RaceControl,
    SessionInfo,
    SessionResult,
)
from scoring.facts import Classification, Entrant, SessionFacts

# Events that arrive before their session is described wait for it, up to this many.
MAX_PENDING = 5_000


@dataclass(slots=True)
class SessionState:
    session_key: int
    facts: SessionFacts = field(init=False)
    pending: list[Message] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.facts = SessionFacts(session_key=self.session_key)

    @property
    def described(self) -> bool:
        return self.facts.meeting_key is not None

    def apply(self, messages: list[Message]) -> list[Rejected]:
        """Apply a window's messages in event-time order; return the ones that cannot be used."""
        rejected: list[Rejected] = []
        ordered = sorted(messages, key=lambda m: (m.event_time, m.at, m.offset))
        for message in ordered:
            outcome = self._apply_one(message)
            if outcome is not None:
                rejected.append(outcome)
        return rejected

    def _apply_one(self, message: Message) -> Rejected | None:
        event = message.event
        facts = self.facts
        if isinstance(event, SessionInfo):
            facts.describe(event.meeting_key, event.session_name, event.date_start, event.date_end)
            waiting, self.pending = self.pending, []
            for earlier in waiting:
                outcome = self._apply_one(earlier)
                if outcome is not None:
                    return outcome
            return None
        if not self.described or (not facts.entrants and not isinstance(event, DriverInfo)):
            if len(self.pending) >= MAX_PENDING:
                return _reject(message, f"unknown_session: no v1/sessions for {self.session_key}")
            self.pending.append(message)
            return None
        if isinstance(event, DriverInfo):
            facts.add_entrant(
                Entrant(event.driver_number, event.name_acronym, event.team_name, event.full_name or "")
            )
            return None
        number = _driver_of(event)
        if number is not None and number not in facts.entrants:
            return _reject(message, f"unknown_driver: car {number} is not in session {self.session_key}")
        if isinstance(event, GridSlot):
            facts.set_grid(event.driver_number, event.position, bool(event.pit_lane_start))
        elif isinstance(event, Position):
            facts.set_position(event.driver_number, event.date, event.position)
        elif isinstance(event, Lap):
            facts.add_lap(event.driver_number, event.lap_number, event.lap_duration, event.date_start)
        elif isinstance(event, Overtake):
            identity = event.doc_key or (
                event.overtaking_driver_number,
                event.overtaken_driver_number,
                event.date,
                event.position,
            )
            facts.add_overtake(identity, event.overtaking_driver_number)
        elif isinstance(event, PitStop):
            stop_identity = event.doc_key or (event.driver_number, event.lap_number, event.date)
            facts.add_pit_stop(stop_identity, event.driver_number, event.stop_duration)
        elif isinstance(event, RaceControl):
            if (event.flag or "").upper() == "CHEQUERED":
                facts.mark_chequered()
        elif isinstance(event, SessionResult):
            facts.set_result(
                event.driver_number,
                (message.at, event.doc_id or 0),
                Classification(
                    position=event.position,
                    dnf=bool(event.dnf),
                    dns=bool(event.dns),
                    dsq=bool(event.dsq),
                    number_of_laps=event.number_of_laps,
                ),
            )
        elif isinstance(event, DriverOfTheDay):
            facts.set_driver_of_the_day(event.driver_number)
        return None


def _driver_of(event: object) -> int | None:
    if isinstance(event, Overtake):
        return event.overtaking_driver_number
    number = getattr(event, "driver_number", None)
    return number if isinstance(number, int) else None


def _reject(message: Message, reason: str) -> Rejected:
    import msgspec

    raw = msgspec.json.encode(message.event)
    return Rejected(reason, message.topic, message.offset, raw, message.at)
