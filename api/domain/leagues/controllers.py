"""Routes of the leagues domain."""

from __future__ import annotations

from typing import Any

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from advanced_alchemy.service.pagination import OffsetPagination
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from api.domain.accounts.guards import CurrentUser
from api.domain.leagues.schemas import (
    JoinIn,
    LeagueIn,
    LeagueOut,
    LeagueRenameIn,
    MemberOut,
    OwnerIn,
    TeamJoinIn,
)
from api.domain.leagues.services import LeagueService
from api.errors import responses
from api.lib.pagination import DEFAULT_PAGE, page_of
from api.lib.params import LeagueId, PageLimit, PageOffset, TeamId

Req = Request[CurrentUser, Any, Any]


class LeagueController(Controller):
    path = "/api/leagues"
    tags = ["leagues"]
    dependencies = {"leagues": Provide(create_service_provider(LeagueService))}

    @post("/", operation_id="createLeague", summary="Create a league", responses=responses(400, 401))
    async def create_league(
        self, data: JSONBody[LeagueIn], request: Req, leagues: NamedDependency[LeagueService]
    ) -> LeagueOut:
        """Create a league you own; share its invite code so that others can join."""
        league = await leagues.create_league(request.user.id, data)
        return await leagues.describe(league, request.user.id)

    @get("/", operation_id="listLeagues", summary="Your leagues", responses=responses(400, 401))
    async def my_leagues(
        self,
        request: Req,
        leagues: NamedDependency[LeagueService],
        offset: PageOffset = 0,
        limit: PageLimit = DEFAULT_PAGE,
    ) -> OffsetPagination[LeagueOut]:
        """Leagues you own or have a team in, one page at a time."""
        await leagues.global_league_id()
        found, total = await leagues.mine(request.user.id, offset, limit)
        return page_of([await leagues.describe(lg, request.user.id) for lg in found], total, offset, limit)

    @get("/public", operation_id="listPublicLeagues", summary="Public leagues", responses=responses(400, 401))
    async def public_leagues(
        self,
        request: Req,
        leagues: NamedDependency[LeagueService],
        offset: PageOffset = 0,
        limit: PageLimit = DEFAULT_PAGE,
    ) -> OffsetPagination[LeagueOut]:
        """Public leagues, which anyone can read and join with the code shown, one page at a time."""
        await leagues.global_league_id()
        found, total = await leagues.public(offset, limit)
        return page_of([await leagues.describe(lg, request.user.id) for lg in found], total, offset, limit)

    @get("/global", operation_id="getGlobalLeague", summary="The global league", responses=responses(401))
    async def global_league(self, request: Req, leagues: NamedDependency[LeagueService]) -> LeagueOut:
        """The league that holds every team."""
        league = await leagues.readable(await leagues.global_league_id(), request.user.id)
        return await leagues.describe(league, request.user.id)

    @post(
        "/join",
        operation_id="joinLeague",
        summary="Join a league with its invite code",
        status_code=HTTP_200_OK,
        responses=responses(400, 401, 403, 404, 409),
    )
    async def join(
        self, data: JSONBody[JoinIn], request: Req, leagues: NamedDependency[LeagueService]
    ) -> LeagueOut:
        """Enter one of your teams in a league by its invite code."""
        league = await leagues.join(request.user.id, data.invite_code, data.team_id)
        return await leagues.describe(league, request.user.id)

    @get(
        "/{league_id:int}",
        operation_id="getLeague",
        summary="One league",
        responses=responses(400, 401, 403, 404),
    )
    async def league(
        self, league_id: LeagueId, request: Req, leagues: NamedDependency[LeagueService]
    ) -> LeagueOut:
        """A league you can read (public, or you own it or have a team in it)."""
        return await leagues.describe(await leagues.readable(league_id, request.user.id), request.user.id)

    @get(
        "/{league_id:int}/members",
        operation_id="listLeagueMembers",
        summary="A league's teams",
        responses=responses(400, 401, 403, 404),
    )
    async def members(
        self,
        league_id: LeagueId,
        request: Req,
        leagues: NamedDependency[LeagueService],
        offset: PageOffset = 0,
        limit: PageLimit = DEFAULT_PAGE,
    ) -> OffsetPagination[MemberOut]:
        """The teams in a league you can read, with their players' display names, one page at a time."""
        await leagues.readable(league_id, request.user.id)
        return await leagues.members(league_id, request.user.id, offset, limit)

    @post(
        "/{league_id:int}/invite-code",
        operation_id="rotateInviteCode",
        summary="Replace a league's invite code",
        status_code=HTTP_200_OK,
        responses=responses(400, 401, 403, 404, 409),
    )
    async def rotate_code(
        self, league_id: LeagueId, request: Req, leagues: NamedDependency[LeagueService]
    ) -> LeagueOut:
        """The owner replaces the invite code; the old one stops working."""
        league = await leagues.rotate_code(league_id, request.user.id)
        return await leagues.describe(league, request.user.id)

    @delete(
        "/{league_id:int}/members/{team_id:int}",
        operation_id="removeLeagueMember",
        summary="Remove a team from a league",
        status_code=HTTP_204_NO_CONTENT,
        responses=responses(400, 401, 403, 404, 409),
    )
    async def remove_member(
        self, league_id: LeagueId, team_id: TeamId, request: Req, leagues: NamedDependency[LeagueService]
    ) -> None:
        """The owner removes a team (or a player takes their own team out)."""
        await leagues.remove_member(league_id, team_id, request.user.id)

    @patch(
        "/{league_id:int}",
        operation_id="renameLeague",
        summary="Rename a league",
        responses=responses(400, 401, 403, 404, 409),
    )
    async def rename(
        self,
        league_id: LeagueId,
        data: JSONBody[LeagueRenameIn],
        request: Req,
        leagues: NamedDependency[LeagueService],
    ) -> LeagueOut:
        """The owner gives the league a new name."""
        league = await leagues.rename(league_id, request.user.id, data.name)
        return await leagues.describe(league, request.user.id)

    @delete(
        "/{league_id:int}",
        operation_id="deleteLeague",
        summary="Delete a league",
        status_code=HTTP_204_NO_CONTENT,
        responses=responses(400, 401, 403, 404, 409),
    )
    async def delete_league(
        self, league_id: LeagueId, request: Req, leagues: NamedDependency[LeagueService]
    ) -> None:
        """The owner deletes the league; its teams play on in their other leagues."""
        await leagues.remove(league_id, request.user.id)

    @put(
        "/{league_id:int}/owner",
        operation_id="handOverLeague",
        summary="Hand a league over to another player",
        responses=responses(400, 401, 403, 404, 409),
    )
    async def hand_over(
        self,
        league_id: LeagueId,
        data: JSONBody[OwnerIn],
        request: Req,
        leagues: NamedDependency[LeagueService],
    ) -> LeagueOut:
        """The owner makes another player with a team in the league its owner (and is no longer)."""
        league = await leagues.hand_over(league_id, request.user.id, data.user_id)
        return await leagues.describe(league, request.user.id)

    @post(
        "/{league_id:int}/join",
        operation_id="joinPublicLeague",
        summary="Join a public league by its id",
        status_code=HTTP_200_OK,
        responses=responses(400, 401, 403, 404, 409),
    )
    async def join_public(
        self,
        league_id: LeagueId,
        data: JSONBody[TeamJoinIn],
        request: Req,
        leagues: NamedDependency[LeagueService],
    ) -> LeagueOut:
        """Enter one of your teams in a public league (GET /api/leagues/public lists them); no code needed."""
        league = await leagues.join_public(request.user.id, league_id, data.team_id)
        return await leagues.describe(league, request.user.id)
