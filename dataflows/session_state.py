"""Per-session state of the flow: applies decoded events to the session's facts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

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
# Documents that input names by a key of its own (OpenF1 `_key`) are the only facts not bounded by
# the range checks (cars 1-99, laps, positions): a race has a few hundred overtakes and pit stops
# at most, so these caps leave room for any real session and stop a flood of new keys.
MAX_OVERTAKES = 2_000
MAX_PIT_STOPS = 1_000
WAIT_FACTOR = 3  # and this many lateness bounds of arrival time (a window's worth of margin, and more)

Admit = Callable[
    [int, int], str | None
]  # (session, meeting) -> None if the session may be held, else why not


def _admit_all(_session_key: int, _meeting_key: int) -> str | None:
    return None


@dataclass(frozen=True, slots=True)
class Waiting:
    """An event waiting for its session or car, with the wall time it began to wait."""

    message: Message
    since: datetime


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

    Where no later event of the session ever comes (a session that is never announced), `expire`
    rejects what has waited a time to live of wall time, and `drain` what waits when input ends;
    `apply` lets at most `room` more events wait (a bound over every session, kept by the caller).
    An event dated more than `date_slack` outside its session's start and end is invalid.
    """

    session_key: int
    lateness: timedelta  # the flow's (FlowConfig), from the settings
    date_slack: timedelta  # the flow's state limits', from the settings
    facts: SessionFacts = field(init=False)
    pending: list[Waiting] = field(default_factory=list)
    high_water: datetime | None = None  # latest event time seen
    arrived: datetime | None = None  # latest arrival (`at`) seen

    def __post_init__(self) -> None:
        self.facts = SessionFacts(session_key=self.session_key)

    @property
    def described(self) -> bool:
        return self.facts.meeting_key is not None

    def apply(
        self,
        messages: list[Message],
        now: datetime | None = None,
        room: int = MAX_PENDING,
        admit: Admit = _admit_all,
    ) -> list[Rejected]:
        """Apply a window's messages in event-time order; return the ones that cannot be used.

        `now` is the wall time (when waiting began), `room` how many more events may wait, `admit`
        whether the session may be held when its v1/sessions names its meeting."""
        rejected: list[Rejected] = []
        now = now or datetime.now(UTC)
        limit = len(self.pending) + max(room, 0)
        for message in sorted(messages, key=_event_order):
            if self.high_water is None or message.event_time > self.high_water:
                self.high_water = message.event_time
            if self.arrived is None or message.at > self.arrived:
                self.arrived = message.at
            outcome = self._apply_one(message, now, limit, admit)
            if outcome is not None:
                rejected.append(outcome)
        rejected.extend(self._retry_pending())
        return rejected

    def expire(self, now: datetime, ttl: timedelta) -> list[Rejected]:
        """Reject what has waited `ttl` of wall time or more for what it names."""
        expired = [w for w in self.pending if w.since + ttl <= now]
        if not expired:
            return []
        self.pending = [w for w in self.pending if w.since + ttl > now]
        return [_reject(w.message, f"{self._why_waiting(w.message)} (waited {ttl})") for w in expired]

    def drain(self) -> list[Rejected]:
        """Reject everything still waiting (input has ended: nothing will announce it now)."""
        waiting, self.pending = self.pending, []
        return [_reject(w.message, self._why_waiting(w.message)) for w in waiting]

    def next_expiry(self, ttl: timedelta) -> datetime | None:
        """When the longest-waiting event expires, if any waits."""
        return min(w.since for w in self.pending) + ttl if self.pending else None

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

    def _why_waiting(self, message: Message) -> str:
        return self._waiting_reason(message) or f"unknown_session: {self.session_key} was let go"

    def _retry_pending(self) -> list[Rejected]:
        """Apply what waited and can be applied now, until nothing more can (a session announced
        unblocks its cars, a car its laps); then reject what is past waiting."""
        rejected: list[Rejected] = []
        progressed = True
        while self.pending and progressed:
            waiting, self.pending, progressed = sorted(self.pending, key=_waiting_order), [], False
            for entry in waiting:
                if self._waiting_reason(entry.message) is None:
                    progressed = True
                    outcome = self._use(entry.message)
                    if outcome is not None:
                        rejected.append(outcome)
                else:
                    self.pending.append(entry)
        still_waiting: list[Waiting] = []
        for entry in self.pending:
            reason = self._waiting_reason(entry.message)
            if reason is not None and self._past_lateness(entry.message):
                rejected.append(_reject(entry.message, reason))
            else:
                still_waiting.append(entry)
        self.pending = still_waiting
        return rejected

    def _past_lateness(self, message: Message) -> bool:
        if self.high_water is None or self.arrived is None:
            return False
        return (
            message.event_time + self.lateness < self.high_water
            and message.at + self.lateness * WAIT_FACTOR < self.arrived
        )

    def _apply_one(self, message: Message, now: datetime, limit: int, admit: Admit) -> Rejected | None:
        reason = self._waiting_reason(message)
        if reason is not None:
            # It waits at least until the rest of its batch is applied (the session or car may be
            # announced there); `_retry_pending` then decides whether it is past waiting.
            if len(self.pending) >= MAX_PENDING:
                return _reject(message, f"{reason} (and {MAX_PENDING} events already wait)")
            if len(self.pending) >= limit:
                return _reject(message, f"{reason} (and the most messages that may wait already wait)")
            self.pending.append(Waiting(message, now))
            return None
        event = message.event
        if isinstance(event, SessionInfo) and event.meeting_key != self.facts.meeting_key:
            refused = admit(self.session_key, event.meeting_key)
            if refused is not None:
                return _reject(message, refused)
        return self._use(message)

    def _use(self, message: Message) -> Rejected | None:
        """Apply an event whose session (and car) is known."""
        event = message.event
        facts = self.facts
        outside = self._outside_session(event)
        if outside is not None:
            return _reject(message, outside)
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
            if identity not in facts.overtakes and len(facts.overtakes) >= MAX_OVERTAKES:
                return _reject(
                    message, f"over_capacity: {MAX_OVERTAKES} overtakes already held for the session"
                )
            facts.add_overtake(
                identity, event.overtaking_driver_number, event.overtaken_driver_number, event.date
            )
        elif isinstance(event, PitStop):
            stop_identity = event.doc_key or (event.driver_number, event.lap_number, event.date)
            if stop_identity not in facts.pit_stops and len(facts.pit_stops) >= MAX_PIT_STOPS:
                return _reject(
                    message, f"over_capacity: {MAX_PIT_STOPS} pit stops already held for the session"
                )
            facts.add_pit_stop(
                stop_identity, event.driver_number, event.stop_duration, event.date, event.lane_duration
            )
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

    def _outside_session(self, event: object) -> str | None:
        """Why an event's own date is too far from its session's start and end, if it is."""
        if isinstance(event, SessionInfo):
            return None
        start, end = self.facts.date_start, self.facts.date_end or self.facts.date_start
        date = _date_of(event)
        if date is None or start is None or end is None:
            return None
        if start - self.date_slack <= date <= end + self.date_slack:
            return None
        return (
            f"invalid: date {date.isoformat()} is more than {self.date_slack} outside session"
            f" {self.session_key} ({start.isoformat()} to {end.isoformat()})"
        )


def _event_order(message: Message) -> tuple[datetime, datetime, int]:
    return (message.event_time, message.at, message.offset)


def _waiting_order(entry: Waiting) -> tuple[datetime, datetime, int]:
    return _event_order(entry.message)


def _date_of(event: object) -> datetime | None:
    """The payload's own date (laps: their start), if it has one."""
    date = getattr(event, "date", None)
    if date is None:
        date = getattr(event, "date_start", None)
    return date if isinstance(date, datetime) else None


def _driver_of(event: object) -> int | None:
    if isinstance(event, Overtake):
        return event.overtaking_driver_number
    number = getattr(event, "driver_number", None)
    return number if isinstance(number, int) else None


def _reject(message: Message, reason: str) -> Rejected:
    import msgspec

    raw = msgspec.json.encode(message.event)
    return Rejected(reason, message.topic, message.offset, raw, message.at)
