"""Per-meeting state: the latest points of each session, summed into weekend totals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from scoring.facts import SessionKind
from scoring.points import SessionPoints
from scoring.teams import constructor_asset, driver_asset

SCORED_KINDS = (SessionKind.QUALIFYING, SessionKind.SPRINT_QUALIFYING, SessionKind.SPRINT, SessionKind.RACE)


@dataclass(frozen=True, slots=True)
class SessionUpdate:
    """A session's points after one window (or one late message)."""

    points: SessionPoints
    session_name: str
    date_start: datetime | None
    date_end: datetime | None
    window_end: datetime | None
    newly_final: bool
    closed_at: float = 0.0  # perf_counter when the (first) window behind it closed


@dataclass(frozen=True, slots=True)
class WeekendUpdate:
    """What every sink needs after a window: the session that moved and the weekend so far."""

    meeting_key: int
    session: SessionUpdate
    sessions: dict[int, SessionUpdate]  # the latest of every session of the weekend
    drivers: dict[str, int]
    constructors: dict[str, int]
    final: bool

    def asset_points(self) -> dict[str, int]:
        """Weekend points keyed by asset name, as team scoring reads them."""
        points = {driver_asset(name): total for name, total in self.drivers.items()}
        points.update({constructor_asset(name): total for name, total in self.constructors.items()})
        return points

    def points_document(self) -> dict[str, object]:
        """The weekend so far, in the shape of `gridscore score --json` plus where it stands."""
        return {
            "meeting_key": self.meeting_key,
            "session_key": self.session.points.session_key,
            "final": self.final,
            "drivers": dict(sorted(self.drivers.items())),
            "constructors": dict(sorted(self.constructors.items())),
        }


@dataclass(slots=True)
class WeekendState:
    meeting_key: int
    sessions: dict[int, SessionUpdate] = field(default_factory=dict)

    def update(self, session: SessionUpdate) -> WeekendUpdate:
        self.sessions[session.points.session_key] = session
        drivers: dict[str, int] = {}
        constructors: dict[str, int] = {}
        for points in (u.points for u in self.sessions.values()):
            for name, asset in points.drivers.items():
                drivers[name] = drivers.get(name, 0) + asset.total
            for name, asset in points.constructors.items():
                constructors[name] = constructors.get(name, 0) + asset.total
        scored = [u.points for u in self.sessions.values() if u.points.kind in SCORED_KINDS]
        return WeekendUpdate(
            meeting_key=self.meeting_key,
            session=session,
            sessions=dict(self.sessions),
            drivers=drivers,
            constructors=constructors,
            final=any(p.kind is SessionKind.RACE for p in scored) and all(p.final for p in scored),
        )
