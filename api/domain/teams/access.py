"""Whose team is it: writes need the owner; scores are readable through any league the caller can read."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Exists, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import ErrorCode, Forbidden, NotFound
from store.models import League, LeagueMember, Team


async def owned_team(session: AsyncSession, team_id: int, user_id: int, *, for_update: bool = False) -> Team:
    query = select(Team).where(Team.id == team_id)
    # NO KEY UPDATE: rows that reference the team (rosters written by a lock) may still be inserted
    team = await session.scalar(query.with_for_update(key_share=True) if for_update else query)
    if team is None:
        raise NotFound(f"no team {team_id}", code=ErrorCode.TEAM_NOT_FOUND)
    if team.user_id != user_id:
        raise Forbidden(f"team {team_id} belongs to another player; you can only change your own teams")
    return team


async def readable_team(session: AsyncSession, team_id: int, user_id: int) -> Team:
    team = await session.get(Team, team_id)
    if team is None:
        raise not_found(team_id)
    if team.user_id == user_id:
        return team
    if not await session.scalar(select(shared_with(team_id, user_id))):
        raise private(team_id)
    return team


def shared_with(team_id: int | ColumnElement[int], user_id: int | ColumnElement[int]) -> Exists:
    """Whether the team plays in a league the user can read (public, theirs, or one they play in); the
    ids as values, or as bound parameters of a statement built once."""
    mine = select(Team.id).where(Team.user_id == user_id)
    return exists().where(
        LeagueMember.team_id == team_id,
        LeagueMember.league_id == League.id,
        or_(
            League.is_public,
            League.owner_id == user_id,
            League.id.in_(select(LeagueMember.league_id).where(LeagueMember.team_id.in_(mine))),
        ),
    )


def not_found(team_id: int) -> NotFound:
    return NotFound(f"no team {team_id}", code=ErrorCode.TEAM_NOT_FOUND)


def private(team_id: int) -> Forbidden:
    return Forbidden(
        f"team {team_id} plays only in private leagues you are not in", code=ErrorCode.PRIVATE_LEAGUE
    )
