"""What a stream may follow, checked once when it opens (the reads' own rules, in
api/domain/leagues/access.py and api/domain/teams/access.py, come first)."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.teams.access import owned_team
from api.errors import ErrorCode, Invalid, NotFound
from store.live_read import AsyncLiveReader
from store.models import LeagueMember, Meeting


async def own_team_in_league(session: AsyncSession, team_id: int, league_id: int, user_id: int) -> None:
    """The `team_id` of a leaderboard stream: one of the caller's teams, playing in that league."""
    await owned_team(session, team_id, user_id)
    member = select(exists().where(LeagueMember.league_id == league_id, LeagueMember.team_id == team_id))
    if not await session.scalar(member):
        raise Invalid(f"team {team_id} is not in league {league_id}; leave out team_id or pick a team in it")


async def known_meeting(session: AsyncSession, live: AsyncLiveReader, meeting_key: int) -> None:
    """A weekend of the calendar or one with live scores: a stream waits for its scores, not for a typo."""
    if await session.get(Meeting, meeting_key) is not None:
        return
    if await live.is_live(meeting_key):
        return
    raise NotFound(
        f"no meeting {meeting_key}: GET /api/meetings lists the weekends", code=ErrorCode.MEETING_NOT_FOUND
    )
