"""Weekends of the calendar and when their rosters are locked: from the first scored session until the
Race is final. Read by the API (the calendar, roster edits) and by beat's lock task alike."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, select

from store.models import Meeting, MeetingLock, RaceSession, SessionState

LOCKING_SESSIONS = ("Qualifying", "Sprint Qualifying", "Sprint Shootout", "Sprint")
RACE = "Race"


@dataclass(frozen=True, slots=True)
class Weekend:
    meeting_key: int
    season: int | None
    lock_at: datetime | None  # start of the first scored session
    race_start: datetime | None
    final: bool  # the Race's results are final in Postgres
    locked_at: datetime | None  # when lock_rosters wrote the rosters, if it has

    def locked(self, now: datetime) -> bool:
        if self.final:
            return False
        return self.locked_at is not None or (self.lock_at is not None and now >= self.lock_at)

    def lock_due(self, now: datetime) -> bool:
        """The first scored session has started but the rosters are not written yet."""
        return not self.final and self.locked_at is None and self.lock_at is not None and now >= self.lock_at


def weekends_query() -> Select[
    tuple[int, int | None, datetime | None, datetime | None, bool | None, datetime | None]
]:
    s = RaceSession
    lock_at = func.min(s.date_start).filter(s.name.in_(LOCKING_SESSIONS))
    race_final = func.bool_or(and_(s.name == RACE, s.state == SessionState.FINAL))
    season = func.coalesce(Meeting.year, func.extract("year", Meeting.date_start).cast(Meeting.year.type))
    return (
        select(
            Meeting.meeting_key,
            season,
            lock_at,
            func.min(s.date_start).filter(s.name == RACE),
            race_final,
            MeetingLock.locked_at,
        )
        .outerjoin(s, s.meeting_key == Meeting.meeting_key)
        .outerjoin(MeetingLock, MeetingLock.meeting_key == Meeting.meeting_key)
        .group_by(Meeting.meeting_key, MeetingLock.locked_at)
    )


def to_weekend(row: Sequence[object]) -> Weekend:
    meeting_key, season, lock_at, race_start, final, locked_at = row
    return Weekend(
        meeting_key=int(meeting_key),  # type: ignore[call-overload]
        season=None if season is None else int(season),  # type: ignore[call-overload]
        lock_at=lock_at,  # type: ignore[arg-type]
        race_start=race_start,  # type: ignore[arg-type]
        final=bool(final),
        locked_at=locked_at,  # type: ignore[arg-type]
    )
