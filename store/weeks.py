"""What a week's transfers are counted against: each team's last locked roster and last settled week."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from scoring.chips import Chip
from scoring.team_rules import PastWeek, Picks
from store.models import Meeting, Roster, TeamWeek


@dataclass(frozen=True, slots=True)
class WeekBasis:
    base: Picks | None  # the last locked roster (a Limitless week's roster does not count)
    last: PastWeek | None


async def week_bases(
    session: AsyncSession, meeting_key: int, team_ids: Sequence[int] | None = None
) -> dict[int, WeekBasis]:
    """{team id: basis} for the teams given (every team with a past roster when None)."""
    when = (Meeting.date_start.desc().nulls_last(), Roster.meeting_key.desc())
    rosters = (
        select(Roster.team_id, Roster.drivers, Roster.constructors, Roster.boost_driver)
        .distinct(Roster.team_id)
        .outerjoin(Meeting, Meeting.meeting_key == Roster.meeting_key)
        .outerjoin(
            TeamWeek, (TeamWeek.team_id == Roster.team_id) & (TeamWeek.meeting_key == Roster.meeting_key)
        )
        .where(
            Roster.meeting_key != meeting_key,
            or_(TeamWeek.chip.is_(None), TeamWeek.chip != Chip.LIMITLESS.value),
        )
        .order_by(Roster.team_id, *when)
    )
    weeks = (
        select(TeamWeek.team_id, TeamWeek.free_transfers, TeamWeek.transfers)
        .distinct(TeamWeek.team_id)
        .join(Meeting, Meeting.meeting_key == TeamWeek.meeting_key)
        .where(TeamWeek.meeting_key != meeting_key)
        .order_by(TeamWeek.team_id, Meeting.date_start.desc().nulls_last(), TeamWeek.meeting_key.desc())
    )
    if team_ids is not None:
        rosters = rosters.where(Roster.team_id.in_(team_ids))
        weeks = weeks.where(TeamWeek.team_id.in_(team_ids))
    bases = {int(t): Picks(tuple(d), tuple(c), b) for t, d, c, b in (await session.execute(rosters)).all()}
    lasts = {int(t): PastWeek(f, n) for t, f, n in (await session.execute(weeks)).all()}
    return {t: WeekBasis(bases.get(t), lasts.get(t)) for t in set(bases) | set(lasts)}
