"""Leagues: create, join by invite code, members, code rotation and removal by the owner; the global one."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import cast

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from advanced_alchemy.service.pagination import OffsetPagination
from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.leagues.access import is_member, readable_league
from api.domain.leagues.schemas import LeagueIn, LeagueOut, MemberOut
from api.domain.teams.access import owned_team
from api.errors import Conflict, ErrorCode, Forbidden, Invalid, NotFound
from api.lib.pagination import count_of, page_of
from scoring.rules import DEFAULT_RULESET, available_rulesets
from store.models import League, LeagueMember, Team, User


def new_invite_code() -> str:
    return secrets.token_urlsafe(9)  # 12 characters, 72 bits


class LeagueService(SQLAlchemyAsyncRepositoryService[League]):
    class Repo(SQLAlchemyAsyncRepository[League]):
        model_type = League

    repository_type = Repo

    @property
    def session(self) -> AsyncSession:
        return cast(AsyncSession, self.repository.session)

    async def global_league_id(self) -> int:
        """The league that holds every team, created on first use."""
        found = await self.session.scalar(select(League.id).where(League.is_global))
        if found is not None:
            return int(found)
        now = datetime.now(UTC)
        await self.session.execute(
            insert(League)
            .values(
                name="Global",
                is_public=True,
                is_global=True,
                invite_code=new_invite_code(),
                ruleset=DEFAULT_RULESET,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["is_global"], index_where=text("is_global"))
        )
        return int(await self.session.scalar(select(League.id).where(League.is_global)) or 0)

    async def create_league(self, owner_id: int, data: LeagueIn) -> League:
        if data.ruleset not in available_rulesets():
            raise Invalid(
                f"unknown rule set {data.ruleset!r}; choose one of: {', '.join(available_rulesets())}"
            )
        league = League(
            name=data.name.strip(),
            owner_id=owner_id,
            invite_code=new_invite_code(),
            is_public=data.is_public,
            is_global=False,
            max_teams=data.max_teams,
            ruleset=data.ruleset,
        )
        return await self.create(league)

    async def join(self, user_id: int, invite_code: str, team_id: int) -> League:
        await owned_team(self.session, team_id, user_id)
        league = await self.session.scalar(
            select(League).where(League.invite_code == invite_code).with_for_update()
        )
        if league is None:
            raise NotFound(
                "no league has this invite code; ask the league's owner for the current one",
                code=ErrorCode.INVITE_CODE_UNKNOWN,
            )
        return await self._enter(league, team_id)

    async def join_public(self, user_id: int, league_id: int, team_id: int) -> League:
        """Enter a team in a public league by its id (no invite code needed)."""
        await owned_team(self.session, team_id, user_id)
        league = await self.session.get(League, league_id, with_for_update=True)
        if league is None:
            raise NotFound(f"no league {league_id}", code=ErrorCode.LEAGUE_NOT_FOUND)
        if not league.is_public:
            raise Forbidden(
                f"league {league_id} is private: join it with its invite code", code=ErrorCode.PRIVATE_LEAGUE
            )
        return await self._enter(league, team_id)

    async def _enter(self, league: League, team_id: int) -> League:
        if league.is_global:
            raise Conflict("every team is in the global league already", code=ErrorCode.DUPLICATE)
        member = await self.session.get(LeagueMember, (league.id, team_id))
        if member is not None:
            raise Conflict(f"team {team_id} is in league {league.id} already", code=ErrorCode.DUPLICATE)
        if league.max_teams is not None and await self.team_count(league.id) >= league.max_teams:
            raise Conflict(
                f"league {league.id} is full ({league.max_teams} teams); ask its owner for room",
                code=ErrorCode.LIMIT_REACHED,
            )
        self.session.add(LeagueMember(league_id=league.id, team_id=team_id))
        await self.session.flush()
        return league

    async def team_count(self, league_id: int) -> int:
        query = select(func.count()).select_from(LeagueMember).where(LeagueMember.league_id == league_id)
        return int(await self.session.scalar(query) or 0)

    async def owned_league(self, league_id: int, user_id: int) -> League:
        league = await self.session.get(League, league_id, with_for_update=True)
        if league is None:
            raise NotFound(f"no league {league_id}", code=ErrorCode.LEAGUE_NOT_FOUND)
        if league.is_global:
            raise Conflict("the global league has no owner; nobody can change it")
        if league.owner_id != user_id:
            raise Forbidden(f"only the owner of league {league_id} can do this")
        return league

    async def rename(self, league_id: int, user_id: int, name: str) -> League:
        league = await self.owned_league(league_id, user_id)
        league.name = name.strip()
        await self.session.flush()
        return league

    async def remove(self, league_id: int, user_id: int) -> None:
        """The owner deletes the league; its teams stay (in their other leagues)."""
        league = await self.owned_league(league_id, user_id)
        await self.session.delete(league)
        await self.session.flush()

    async def hand_over(self, league_id: int, user_id: int, new_owner_id: int) -> League:
        """The owner makes another player, one with a team in the league, its owner."""
        league = await self.owned_league(league_id, user_id)
        if new_owner_id == user_id:
            raise Conflict("you own this league already", code=ErrorCode.DUPLICATE)
        plays = await self.session.scalar(
            select(func.count())
            .select_from(LeagueMember)
            .join(Team, Team.id == LeagueMember.team_id)
            .where(LeagueMember.league_id == league_id, Team.user_id == new_owner_id)
        )
        if not plays:
            raise Invalid(
                f"player {new_owner_id} has no team in league {league_id}; only a member can own it",
                code=ErrorCode.RULE_BROKEN,
            )
        league.owner_id = new_owner_id
        await self.session.flush()
        return league

    async def rotate_code(self, league_id: int, user_id: int) -> League:
        league = await self.owned_league(league_id, user_id)
        league.invite_code = new_invite_code()
        await self.session.flush()
        return league

    async def remove_member(self, league_id: int, team_id: int, user_id: int) -> None:
        """The league's owner removes any team; a team's owner takes their own team out."""
        league = await self.session.get(League, league_id)
        if league is None:
            raise NotFound(f"no league {league_id}", code=ErrorCode.LEAGUE_NOT_FOUND)
        if league.is_global:
            raise Conflict("every team stays in the global league")
        team = await self.session.get(Team, team_id)
        if league.owner_id != user_id and (team is None or team.user_id != user_id):
            raise Forbidden(f"only the owner of league {league_id} or of team {team_id} can remove it")
        removed = await self.session.execute(
            delete(LeagueMember).where(LeagueMember.league_id == league_id, LeagueMember.team_id == team_id)
        )
        if not removed.rowcount:  # type: ignore[attr-defined]
            raise NotFound(f"team {team_id} is not in league {league_id}")

    async def readable(self, league_id: int, user_id: int) -> League:
        return await readable_league(self.session, league_id, user_id)

    async def members(
        self, league_id: int, user_id: int, offset: int, limit: int
    ) -> OffsetPagination[MemberOut]:
        """One page of a league's teams with their players' display names (never their user ids: the
        global league holds every player); `mine` marks the caller's teams."""
        query = (
            select(Team.id, Team.name, User.display_name, Team.user_id == user_id)
            .join(LeagueMember, LeagueMember.team_id == Team.id)
            .join(User, User.id == Team.user_id)
            .where(LeagueMember.league_id == league_id)
        )
        total = await self.team_count(league_id)
        # In the order of the (league_id, team_id) primary key, so that a deep page is an index walk.
        rows = await self.session.execute(query.order_by(LeagueMember.team_id).offset(offset).limit(limit))
        return page_of([MemberOut(*row) for row in rows], total, offset, limit)

    async def mine(self, user_id: int, offset: int, limit: int) -> tuple[list[League], int]:
        my_teams = select(Team.id).where(Team.user_id == user_id)
        in_league = select(LeagueMember.league_id).where(LeagueMember.team_id.in_(my_teams))
        query = select(League).where(or_(League.owner_id == user_id, League.id.in_(in_league)))
        total = await count_of(self.session, query)
        leagues = await self.session.scalars(query.order_by(League.id).offset(offset).limit(limit))
        return list(leagues), total

    async def public(self, offset: int, limit: int) -> tuple[list[League], int]:
        query = select(League).where(League.is_public)
        total = await count_of(self.session, query)
        leagues = await self.session.scalars(query.order_by(League.id).offset(offset).limit(limit))
        return list(leagues), total

    async def describe(self, league: League, user_id: int) -> LeagueOut:
        sees_code = (
            league.is_public
            or league.owner_id == user_id
            or await is_member(self.session, league.id, user_id)
        )
        return LeagueOut(
            id=league.id,
            name=league.name,
            owner_id=league.owner_id,
            is_public=league.is_public,
            is_global=league.is_global,
            max_teams=league.max_teams,
            ruleset=league.ruleset,
            teams=await self.team_count(league.id),
            invite_code=league.invite_code if sees_code and not league.is_global else None,
            created_at=league.created_at,
        )
