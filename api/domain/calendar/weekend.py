"""When a weekend's rosters are locked: from its first scored session until its Race is final. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

LOCKING_SESSIONS = ("Qualifying", "Sprint Qualifying", "Sprint Shootout", "Sprint")
RACE = "Race"
NO_WEEKEND = (
    "no race weekend is coming in the calendar; an administrator seeds one with `gridscore api-seed FEED`"
)


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
