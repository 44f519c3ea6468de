"""A weekend's asset points as the flow emits them: each session's latest points (SessionUpdate),
summed into weekend totals (tally, WeekendUpdate). Pure: the flow, the store and the API read these
types from here, so that none of them imports another to know what a scored weekend is."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from scoring.facts import SessionKind
from scoring.order import Place
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
    # Live: the update re-scores points already published, with events dated more than the
    # lateness bound before ones published earlier (`revision`); how many such updates the
    # session has had so far (`revisions`).
    revision: bool = False
    revisions: int = 0
    # The running order after this window (scoring/order.py): the live page's table, and the
    # classified positions the final results keep.
    order: tuple[Place, ...] = ()


ByName = dict[str, dict[str, int]]  # {"drivers": {name: points}, "constructors": {name: points}}


@dataclass(frozen=True, slots=True)
class WeekendUpdate:
    """What every sink needs after a window: the session that moved and the weekend so far."""

    meeting_key: int
    session: SessionUpdate
    sessions: dict[int, SessionUpdate]  # the latest of every session of the weekend
    drivers: dict[str, int]
    constructors: dict[str, int]
    final: bool
    positive: ByName = field(default_factory=dict)  # positive items only: what No Negative counts
    before_race: ByName = field(default_factory=dict)  # sessions before the Race (Final Fix)

    def sessions_as_of(self, session: SessionUpdate) -> list[SessionUpdate]:
        """`session` and the weekend's sessions that started before it (never a later one)."""
        return [u for u in self.sessions.values() if not _starts_after(u, session)]

    def asset_points(self) -> dict[str, int]:
        """Weekend points keyed by asset name, as team scoring reads them."""
        return _by_asset({"drivers": self.drivers, "constructors": self.constructors})

    def asset_points_before_race(self) -> dict[str, int]:
        """Weekend points scored before the Race (what a Final Fix team counts with its old driver)."""
        return _by_asset(self.before_race)

    def asset_positive_points(self) -> dict[str, int]:
        """Weekend points of each asset counting its positive items only (for No Negative teams)."""
        return _by_asset(self.positive)

    def points_document(self) -> dict[str, object]:
        """The weekend so far, in the shape of `gridscore score --json` plus where it stands:
        `final` once every scored session is classified; `revision` when this document corrects
        points published before it (an event came late, after newer ones had been published),
        `revisions` how many such corrections the weekend has had."""
        return {
            "meeting_key": self.meeting_key,
            "session_key": self.session.points.session_key,
            "final": self.final,
            "revision": self.session.revision,
            "revisions": sum(u.revisions for u in self.sessions.values()),
            "drivers": dict(sorted(self.drivers.items())),
            "constructors": dict(sorted(self.constructors.items())),
            "no_negative": {kind: dict(sorted(points.items())) for kind, points in self.positive.items()},
            "before_race": {kind: dict(sorted(points.items())) for kind, points in self.before_race.items()},
        }


def _starts_after(other: SessionUpdate, session: SessionUpdate) -> bool:
    """Session order: by start time, then key (keys alone when a start time is unknown)."""
    if other.points.session_key == session.points.session_key:
        return False
    if other.date_start is None or session.date_start is None:
        return other.points.session_key > session.points.session_key
    return (other.date_start, other.points.session_key) > (session.date_start, session.points.session_key)


def _by_asset(by_name: ByName) -> dict[str, int]:
    points = {driver_asset(name): v for name, v in by_name.get("drivers", {}).items()}
    points.update({constructor_asset(name): v for name, v in by_name.get("constructors", {}).items()})
    return points


@dataclass(frozen=True, slots=True)
class Tally:
    """Asset points summed over some sessions: in all, positive items only (No Negative), and
    from the sessions before the Race (Final Fix)."""

    totals: ByName
    positive: ByName
    before_race: ByName

    def asset_points(self) -> dict[str, int]:
        return _by_asset(self.totals)

    def asset_positive_points(self) -> dict[str, int]:
        return _by_asset(self.positive)

    def asset_points_before_race(self) -> dict[str, int]:
        return _by_asset(self.before_race)


def tally(sessions: Iterable[SessionUpdate]) -> Tally:
    """Every tally of `sessions` in one pass."""
    totals: ByName = {"drivers": {}, "constructors": {}}
    positive: ByName = {"drivers": {}, "constructors": {}}
    before_race: ByName = {"drivers": {}, "constructors": {}}
    for points in (u.points for u in sessions):
        early = points.kind is not SessionKind.RACE
        for kind, assets in (("drivers", points.drivers), ("constructors", points.constructors)):
            total, kept, before = totals[kind], positive[kind], before_race[kind]
            for name, asset in assets.items():
                value = asset.total
                total[name] = total.get(name, 0) + value
                kept[name] = kept.get(name, 0) + _positive(asset)
                if early:
                    before[name] = before.get(name, 0) + value
    return Tally(totals, positive, before_race)


def _positive(asset: AssetPoints) -> int:
    return sum(v for v in asset.breakdown.values() if v > 0)
