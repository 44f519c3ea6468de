"""Per-meeting state: the latest points of each session, summed into weekend totals."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from scoring.facts import SessionKind
from scoring.points import AssetPoints, SessionPoints
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

    def asset_points_before_race(self) -> dict[str, int]:
        """Weekend points scored before the Race (what a Final Fix team counts with its old driver)."""
        return asset_points_of(u for u in self.sessions.values() if u.points.kind is not SessionKind.RACE)[0]

    def asset_positive_points(self) -> dict[str, int]:
        """Weekend points of each asset counting its positive items only (for No Negative teams)."""
        return asset_points_of(self.sessions.values())[1]

    def points_document(self) -> dict[str, object]:
        """The weekend so far, in the shape of `gridscore score --json` plus where it stands."""
        return {
            "meeting_key": self.meeting_key,
            "session_key": self.session.points.session_key,
            "final": self.final,
            "drivers": dict(sorted(self.drivers.items())),
            "constructors": dict(sorted(self.constructors.items())),
            "no_negative": self.positive_document(),
            "before_race": self.before_race_document(),
        }

    def positive_document(self) -> dict[str, dict[str, int]]:
        """Each asset's points counting positive items only: what a No Negative team counts."""
        return _by_asset_name(self.sessions.values(), _positive)

    def before_race_document(self) -> dict[str, dict[str, int]]:
        """Each asset's points from the sessions before the Race (a Final Fix splits a team there)."""
        early = (u for u in self.sessions.values() if u.points.kind is not SessionKind.RACE)
        return _by_asset_name(early, lambda asset: asset.total)


def _by_asset_name(
    sessions: Iterable[SessionUpdate], value: Callable[[AssetPoints], int]
) -> dict[str, dict[str, int]]:
    drivers: dict[str, int] = {}
    constructors: dict[str, int] = {}
    for update in sessions:
        for name, asset in update.points.drivers.items():
            drivers[name] = drivers.get(name, 0) + value(asset)
        for name, asset in update.points.constructors.items():
            constructors[name] = constructors.get(name, 0) + value(asset)
    return {"drivers": dict(sorted(drivers.items())), "constructors": dict(sorted(constructors.items()))}


def asset_points_of(sessions: Iterable[SessionUpdate]) -> tuple[dict[str, int], dict[str, int]]:
    """Asset points summed over `sessions`, and the same sums counting positive items only."""
    points: dict[str, int] = {}
    positive: dict[str, int] = {}

    def add(name: str, asset: AssetPoints) -> None:
        points[name] = points.get(name, 0) + asset.total
        positive[name] = positive.get(name, 0) + _positive(asset)

    for update in sessions:
        for name, asset in update.points.drivers.items():
            add(driver_asset(name), asset)
        for name, asset in update.points.constructors.items():
            add(constructor_asset(name), asset)
    return points, positive


def _positive(asset: AssetPoints) -> int:
    return sum(v for v in asset.breakdown.values() if v > 0)


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
