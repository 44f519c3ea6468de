"""Session and weekend states from the two sources: Redis (live) and Postgres (final). Pure."""

from __future__ import annotations

from collections.abc import Iterable

from store.models import SessionState

_ORDER = {
    SessionState.UPCOMING: 0,
    SessionState.LIVE: 1,
    SessionState.PROVISIONAL: 2,
    SessionState.FINAL: 3,
}


def session_state(stored: SessionState | None, live: str | None) -> SessionState:
    """The further along of Postgres' state and Redis' (a classification in Redis is provisional
    until the final results are in Postgres)."""
    from_live = {"live": SessionState.LIVE, "final": SessionState.PROVISIONAL}.get(live or "")
    states = [s for s in (stored, from_live) if s is not None]
    return max(states, key=_ORDER.__getitem__, default=SessionState.UPCOMING)


def meeting_state(states: Iterable[SessionState]) -> SessionState:
    found = list(states)
    if not found or all(s is SessionState.UPCOMING for s in found):
        return SessionState.UPCOMING
    if all(s is SessionState.FINAL for s in found):
        return SessionState.FINAL
    if all(s in (SessionState.FINAL, SessionState.PROVISIONAL) for s in found):
        return SessionState.PROVISIONAL
    return SessionState.LIVE
