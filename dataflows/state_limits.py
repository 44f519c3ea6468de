"""Bounds on the flow's state, which input controls: what a session may hold, and for how long.

Every session key that input names gets state in the flow; without bounds, a stream of messages
for sessions that are never announced grows it for ever (issue 12, finding 2). `StateLimits` are
the bounds (from settings); `StateBudget` counts what the session steps of one process hold
against them, shared by its workers, and mirrors the counts in the /metrics gauges.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import timedelta

from dataflows import metrics
from gridscore.base.settings import Settings


@dataclass(frozen=True, slots=True)
class StateLimits:
    """The bounds, from the settings (`from_settings`: their defaults are the only ones)."""

    pending_ttl: timedelta  # wall time a message waits for its session or car
    max_waiting: int  # messages waiting, over every session of the process
    max_sessions: int  # announced sessions held
    max_meetings: int  # meetings with an announced session held
    session_idle: timedelta  # wall time without input after which a session is let go
    date_slack: timedelta  # how far outside its session an event's date may be

    @classmethod
    def from_settings(cls, settings: Settings) -> StateLimits:
        return cls(
            pending_ttl=timedelta(milliseconds=settings.pending_ttl_ms),
            max_waiting=settings.max_waiting_messages,
            max_sessions=settings.max_sessions,
            max_meetings=settings.max_meetings,
            session_idle=timedelta(hours=settings.session_idle_h),
            date_slack=timedelta(hours=settings.date_slack_h),
        )


@dataclass(slots=True)
class StateBudget:
    """What the session steps of this process hold. Thread-safe: worker threads share it."""

    limits: StateLimits
    waiting: int = 0  # messages waiting for their session or car
    unannounced: int = 0  # session keys held only for waiting messages
    meetings: dict[int, set[int]] = field(default_factory=dict)  # meeting -> its announced sessions held
    sessions: dict[int, int] = field(default_factory=dict)  # announced session -> its meeting
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def room(self) -> int:
        """How many more messages may wait."""
        with self._lock:
            return max(self.limits.max_waiting - self.waiting, 0)

    def change(self, waiting: int = 0, unannounced: int = 0) -> None:
        if not waiting and not unannounced:
            return
        with self._lock:
            self.waiting += waiting
            self.unannounced += unannounced
            self._publish()

    def admit(self, session_key: int, meeting_key: int) -> str | None:
        """Hold `session_key` as a session of `meeting_key`; None if admitted, else why not."""
        with self._lock:
            held = self.sessions.get(session_key)
            if held == meeting_key:
                return None
            if held is None and len(self.sessions) >= self.limits.max_sessions:
                return (
                    f"over_capacity: {len(self.sessions)} sessions already held"
                    f" (GRIDSCORE_MAX_SESSIONS); session {session_key} is not kept"
                )
            if meeting_key not in self.meetings and len(self.meetings) >= self.limits.max_meetings:
                return (
                    f"over_capacity: {len(self.meetings)} meetings already held"
                    f" (GRIDSCORE_MAX_MEETINGS); meeting {meeting_key} is not kept"
                )
            self._hold(session_key, meeting_key)
            return None

    def restore(self, session_key: int, meeting_key: int) -> None:
        """Count a session resumed from a recovery snapshot (held before, so never refused)."""
        with self._lock:
            self._hold(session_key, meeting_key)

    def release(self, session_key: int) -> None:
        with self._lock:
            held = self.sessions.pop(session_key, None)
            if held is not None:
                self._drop(session_key, held)
                self._publish()

    def _hold(self, session_key: int, meeting_key: int) -> None:
        held = self.sessions.get(session_key)
        if held is not None:
            self._drop(session_key, held)
        self.sessions[session_key] = meeting_key
        self.meetings.setdefault(meeting_key, set()).add(session_key)
        self._publish()

    def _drop(self, session_key: int, meeting_key: int) -> None:
        self.sessions.pop(session_key, None)
        members = self.meetings.get(meeting_key)
        if members is not None:
            members.discard(session_key)
            if not members:
                del self.meetings[meeting_key]

    def _publish(self) -> None:
        metrics.observe_state(
            sessions=len(self.sessions),
            unannounced=self.unannounced,
            meetings=len(self.meetings),
            waiting=self.waiting,
        )
