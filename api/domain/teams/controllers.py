"""Routes of the teams domain: create, list, roster, chips."""

from __future__ import annotations

from typing import Any

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from advanced_alchemy.service.pagination import OffsetPagination
from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from api.domain.accounts.guards import CurrentUser
from api.domain.teams.access import owned_team
from api.domain.teams.schemas import ChipIn, ChipOut, RosterIn, TeamDetail, TeamIn, TeamOut
from api.domain.teams.services import TeamService
from api.errors import responses
from api.lib.pagination import DEFAULT_PAGE, page_of
from api.lib.params import PageLimit, PageOffset, TeamId
from scoring.rules import RuleSet
from store.models import Team

Req = Request[CurrentUser, Any, Any]


def team_out(team: Team) -> TeamOut:
    return TeamOut(team.id, team.name, team.user_id, team.created_at)


class TeamController(Controller):
    path = "/api/teams"
    tags = ["teams"]
    dependencies = {"teams": Provide(create_service_provider(TeamService))}

    @post("/", operation_id="createTeam", summary="Create a team", responses=responses(400, 401, 409))
    async def create_team(
        self, data: JSONBody[TeamIn], request: Req, teams: NamedDependency[TeamService]
    ) -> TeamOut:
        """Create a team (3 at most per player); it joins the global league."""
        return team_out(await teams.create_team(request.user.id, data.name))

    @get("/", operation_id="listTeams", summary="Your teams", responses=responses(400, 401))
    async def my_teams(
        self,
        request: Req,
        teams: NamedDependency[TeamService],
        offset: PageOffset = 0,
        limit: PageLimit = DEFAULT_PAGE,
    ) -> OffsetPagination[TeamOut]:
        """Your teams, one page at a time."""
        found, total = await teams.mine(request.user.id, offset, limit)
        return page_of([team_out(t) for t in found], total, offset, limit)

    @get(
        "/{team_id:int}",
        operation_id="getTeam",
        summary="One of your teams",
        responses=responses(400, 401, 403, 404),
    )
    async def team(
        self,
        team_id: TeamId,
        request: Req,
        teams: NamedDependency[TeamService],
        rules: NamedDependency[RuleSet],
    ) -> TeamDetail:
        """One of your teams: its picks for the race week, transfers, chips and leagues."""
        team = await owned_team(teams.session, team_id, request.user.id)
        return await teams.detail(team, rules.team)

    @put(
        "/{team_id:int}/roster",
        operation_id="setRoster",
        summary="Pick a team's drivers, constructors and boost",
        responses=responses(400, 401, 403, 404, 409),
    )
    async def set_roster(
        self,
        team_id: TeamId,
        data: JSONBody[RosterIn],
        request: Req,
        teams: NamedDependency[TeamService],
        rules: NamedDependency[RuleSet],
    ) -> TeamDetail:
        """Pick 5 drivers, 2 constructors and the boosted driver for the race week (while it is open)."""
        return await teams.set_roster(team_id, request.user.id, data, rules.team)

    @post(
        "/{team_id:int}/chips",
        operation_id="playChip",
        summary="Play a chip",
        responses=responses(400, 401, 403, 404, 409),
    )
    async def play_chip(
        self,
        team_id: TeamId,
        data: JSONBody[ChipIn],
        request: Req,
        teams: NamedDependency[TeamService],
        rules: NamedDependency[RuleSet],
    ) -> ChipOut:
        """Play a chip for the race week (each once a season, one a week; Final Fix while locked)."""
        return await teams.play_chip(team_id, request.user.id, data, rules.team)
