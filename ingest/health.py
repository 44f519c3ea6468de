"""Is live ingest working? The answer the engine's /health gives, for its supervisor.

Unhealthy (with the reason) when the MQTT receiver process is down, when it has not been
subscribed for `stall_after_s`, or when messages wait in the journal and the flow has not taken
one for `stall_after_s` (the flow is stuck: a sink that never returns, a step that spins).
"Not taken" is measured by the journal's size against the flow's read position, so a quiet feed
(nothing waiting) is healthy however long it lasts. The flow's thread reports its progress; the
HTTP thread that asks reads the journal's size itself, so a stuck flow cannot hide.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class ReceiverState(Protocol):
    def status(self) -> ReceiverStatus: ...


@dataclass(frozen=True, slots=True)
class ReceiverStatus:
    running: bool  # its process is alive
    subscribed: bool  # it holds its subscription on the broker
    since: float  # time.monotonic() of the last change of `running` or `subscribed`
    exitcode: int | None  # of the last process that died
    restarts: int


@dataclass(frozen=True, slots=True)
class Verdict:
    healthy: bool
    reasons: list[str]
    details: dict[str, object]


class IngestHealth:
    """Shared between the flow's thread (progress) and the HTTP thread (verdict)."""

    def __init__(self, journal: Path, stall_after_s: float) -> None:
        self.journal = journal
        self.stall_after_s = stall_after_s
        self._lock = threading.Lock()
        self._receiver: ReceiverState | None = None
        self._offset = 0
        self._position = 0  # bytes of the journal the flow has read
        self._progress_at = time.monotonic()  # last time the flow took a message or had none waiting

    def attach(self, receiver: ReceiverState) -> None:
        with self._lock:
            self._receiver = receiver

    def progress(self, offset: int, position: int, caught_up: bool) -> None:
        """The flow read up to `offset` (`position` bytes); `caught_up`: nothing more was there."""
        with self._lock:
            if caught_up or offset != self._offset:
                self._progress_at = time.monotonic()
            self._offset, self._position = offset, position

    def verdict(self) -> Verdict:
        now = time.monotonic()
        with self._lock:
            receiver, offset, position, progress_at = (
                self._receiver,
                self._offset,
                self._position,
                self._progress_at,
            )
        reasons: list[str] = []
        details: dict[str, object] = {"offset": offset}
        if receiver is None:
            return Verdict(False, ["receiver not started yet"], details)
        status = receiver.status()
        details["receiver"] = {
            "running": status.running,
            "subscribed": status.subscribed,
            "for_s": round(now - status.since, 1),
            "restarts": status.restarts,
            "last_exitcode": status.exitcode,
        }
        if not status.running:
            reasons.append(f"MQTT receiver down for {now - status.since:.1f} s (exit code {status.exitcode})")
        elif not status.subscribed and now - status.since > self.stall_after_s:
            reasons.append(f"MQTT receiver not subscribed for {now - status.since:.0f} s")
        try:
            waiting = os.stat(self.journal).st_size - position
        except OSError as exc:
            waiting = 0
            reasons.append(f"journal unreadable: {exc}")
        details["waiting_bytes"] = max(waiting, 0)
        stalled = now - progress_at
        if waiting > 0 and stalled > self.stall_after_s:
            reasons.append(
                f"ingest stalled: {waiting} journal bytes wait and the flow has taken none"
                f" for {stalled:.0f} s (offset {offset})"
            )
        return Verdict(not reasons, reasons, details)
