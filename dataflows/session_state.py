"""Per-session state of the flow: applies decoded events to the session's facts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

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

# Events that wait for their session or car to be announced, at most this many per session.
MAX_PENDING = 5_000
DEFAULT_LATENESS = timedelta(seconds=2)
WAIT_FACTOR = 3  # and this many lateness bounds of arrival time (a window's worth of margin, and more)


@dataclass(slots=True)
class SessionState:
    """A session's facts, and the events that came before what they refer to.

    Within the lateness bound, messages arrive in any order: a lap can come before the session's
    v1/sessions or its car's v1/drivers message. Such an event waits; it is rejected only once the
    session has seen events later than its own by more than the lateness bound, messages have
    kept arriving for WAIT_FACTOR lateness bounds after it, and what it names is still unknown.
    Both clocks: event time (payload dates, or arrival for drivers, grids and results) is the
    order of a replay; arrival time (`at`) is the only one that compares every topic when a feed
    with old dates is published live, where a car's v1/drivers message waits in its window for a
    window and a lateness bound of wall time while messages late by their dates go ahead.
    """

    session_key: int
    lateness: timedelta = DEFAULT_LATENESS
    facts: SessionFacts = field(init=False)
    pending: list[Message] = field(default_factory=list)
    high_water: datetime | None = None  # latest event time seen
    arrived: datetime | None = None  # latest arrival (`at`) seen

    def __post_init__(self) -> None:
        self.facts = SessionFacts(session_key=self.session_key)

    @property
    def described(self) -> bool:
        return self.facts.meeting_key is not None

    def apply(self, messages: list[Message]) -> list[Rejected]:
        """Apply a window's messages in event-time order; return the ones that cannot be used."""
        rejected: list[Rejected] = []
        for message in sorted(messages, key=_event_order):
            if self.high_water is None or message.event_time > self.high_water:
                self.high_water = message.event_time
            if self.arrived is None or message.at > self.arrived:
                self.arrived = message.at
            outcome = self._apply_one(message)
            if outcome is not None:
                rejected.append(outcome)
        rejected.extend(self._retry_pending())
        return rejected

    def _waiting_reason(self, message: Message) -> str | None:
        """Why the event cannot be applied yet, or None when it can."""
        if isinstance(message.event, SessionInfo):
            return None
        if not self.described:
            return f"unknown_session: no v1/sessions for {self.session_key}"
        if isinstance(message.event, DriverInfo):
            return None
        number = _driver_of(message.event)
        if number is not None and number not in self.facts.entrants:
            return f"unknown_driver: car {number} is not in session {self.session_key}"
        return None

    def _retry_pending(self) -> list[Rejected]:
        """Apply what waited and can be applied now, until nothing more can (a session announced
        unblocks its cars, a car its laps); then reject what is past waiting."""
        rejected: list[Rejected] = []
        progressed = True
        while self.pending and progressed:
            waiting, self.pending, progressed = sorted(self.pending, key=_event_order), [], False
            for message in waiting:
                if self._waiting_reason(message) is None:
                    progressed = True
                    outcome = self._apply_one(message)
                    if outcome is not None:
                        rejected.append(outcome)
                else:
                    self.pending.append(message)
        still_waiting: list[Message] = []
        for message in self.pending:
            reason = self._waiting_reason(message)
            if reason is not None and self._past_lateness(message):
                rejected.append(_reject(message, reason))
            else:
                still_waiting.append(message)
        self.pending = still_waiting
        return rejected

    def _past_lateness(self, message: Message) -> bool:
        if self.high_water is None or self.arrived is None:
            return False
        return (
            message.event_time + self.lateness < self.high_water
            and message.at + self.lateness * WAIT_FACTOR < self.arrived
        )

    def _apply_one(self, message: Message) -> Rejected | None:
        event = message.event
        facts = self.facts
        reason = self._waiting_reason(message)
        if reason is not None:
            # It waits at least until the rest of its batch is applied (the session or car may be
            # announced there); `_retry_pending` then decides whether it is past waiting.
            if len(self.pending) >= MAX_PENDING:
                return _reject(message, f"{reason} (and {MAX_PENDING} events already wait)")
            self.pending.append(message)
            return None
        if isinstance(event, SessionInfo):
            facts.describe(event.meeting_key, event.session_name, event.date_start, event.date_end)
            return None
        if isinstance(event, DriverInfo):
            facts.add_entrant(
                Entrant(event.driver_number, event.name_acronym, event.team_name, event.full_name or "")
            )
            return None
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


def _event_order(message: Message) -> tuple[datetime, datetime, int]:
    return (message.event_time, message.at, message.offset)


def _driver_of(event: object) -> int | None:
    if isinstance(event, Overtake):
        return event.overtaking_driver_number
    number = getattr(event, "driver_number", None)
    return number if isinstance(number, int) else None


def _reject(message: Message, reason: str) -> Rejected:
    import msgspec

    raw = msgspec.json.encode(message.event)
    return Rejected(reason, message.topic, message.offset, raw, message.at)
