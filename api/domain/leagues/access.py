"""Who may read a league: anyone if it is public, else its owner and the players with a team in it."""

from __future__ import annotations

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import ErrorCode, Forbidden, NotFound
from store.models import League, LeagueMember, Team


async def is_member(session: AsyncSession, league_id: int, user_id: int) -> bool:
    query = select(
        exists().where(
            LeagueMember.league_id == league_id, LeagueMember.team_id == Team.id, Team.user_id == user_id
        )
    )
    return bool(await session.scalar(query))


async def can_read(session: AsyncSession, league: League, user_id: int) -> bool:
    return league.is_public or league.owner_id == user_id or await is_member(session, league.id, user_id)


async def readable_league(session: AsyncSession, league_id: int, user_id: int) -> League:
    league = await session.get(League, league_id)
    if league is None:
        raise NotFound(f"no league {league_id}", code=ErrorCode.LEAGUE_NOT_FOUND)
    if not await can_read(session, league, user_id):
        raise Forbidden(
            f"league {league_id} is private: join it with its invite code to see it",
            code=ErrorCode.PRIVATE_LEAGUE,
        )
    return league
