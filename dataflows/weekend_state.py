"""Per-meeting state of the flow: the latest points of each session, summed into weekend totals
(scoring.weekend), let go once every session of the weekend is."""

from __future__ import annotations

from dataclasses import dataclass, field

from scoring.facts import SessionKind
from scoring.weekend import SCORED_KINDS, SessionUpdate, WeekendUpdate, tally


@dataclass(frozen=True, slots=True)
class SessionRetired:
    """A session whose state the flow let go (idle for GRIDSCORE_SESSION_IDLE_H)."""

    session_key: int
    meeting_key: int


@dataclass(slots=True)
class WeekendState:
    """The weekend's sessions; it is let go once all of them are (the flow's state stays bounded),
    while a session let go before the others still counts in the weekend's totals."""

    meeting_key: int
    sessions: dict[int, SessionUpdate] = field(default_factory=dict)
    retired: set[int] = field(default_factory=set)

    def retire(self, session_key: int) -> bool:
        """Note a session let go; True when every session of the weekend is."""
        self.retired.add(session_key)
        return self.retired >= self.sessions.keys()

    def update(self, session: SessionUpdate) -> WeekendUpdate:
        """The weekend after `session`'s latest window."""
        self.sessions[session.points.session_key] = session
        self.retired.discard(session.points.session_key)
        weekend = tally(self.sessions.values())
        scored = [u.points for u in self.sessions.values() if u.points.kind in SCORED_KINDS]
        return WeekendUpdate(
            meeting_key=self.meeting_key,
            session=session,
            sessions=dict(self.sessions),
            drivers=weekend.totals["drivers"],
            constructors=weekend.totals["constructors"],
            final=any(p.kind is SessionKind.RACE for p in scored) and all(p.final for p in scored),
            positive=weekend.positive,
            before_race=weekend.before_race,
        )
