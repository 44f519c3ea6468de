"""Routes of the teams domain: create, list, roster, chips."""

from __future__ import annotations

from typing import Any

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from advanced_alchemy.service.pagination import OffsetPagination
from litestar import Controller, Request, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from api.domain.accounts.guards import CurrentUser
from api.domain.teams.access import owned_team
from api.domain.teams.schemas import (
    Chip,
    ChipIn,
    ChipOut,
    ChipRuleOut,
    RosterIn,
    RosterPreviewOut,
    RulesOut,
    TeamDetail,
    TeamIn,
    TeamOut,
)
from api.domain.teams.services import MAX_TEAMS_PER_PLAYER, TeamService
from api.errors import responses
from api.lib.pagination import DEFAULT_PAGE, page_of
from api.lib.params import PageLimit, PageOffset, TeamId
from scoring.rules import RuleSet
from scoring.team_rules import (
    FREE_TRANSFERS_PER_WEEK,
    MAX_BANKED_TRANSFERS,
    MAX_CARRIED_TRANSFERS,
    PENALTY_PER_EXTRA_TRANSFER,
)
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

    @patch(
        "/{team_id:int}",
        operation_id="renameTeam",
        summary="Rename a team",
        responses=responses(400, 401, 403, 404, 409),
    )
    async def rename(
        self, team_id: TeamId, data: JSONBody[TeamIn], request: Req, teams: NamedDependency[TeamService]
    ) -> TeamOut:
        """Give one of your teams a new name (your teams' names differ)."""
        return team_out(await teams.rename(team_id, request.user.id, data.name))

    @delete(
        "/{team_id:int}",
        operation_id="deleteTeam",
        summary="Delete a team",
        status_code=HTTP_204_NO_CONTENT,
        responses=responses(400, 401, 403, 404, 409),
    )
    async def delete_team(self, team_id: TeamId, request: Req, teams: NamedDependency[TeamService]) -> None:
        """Delete one of your teams, its picks and results (not while its weekend is locked)."""
        await teams.remove(team_id, request.user.id)

    @post(
        "/{team_id:int}/roster/preview",
        operation_id="previewRoster",
        summary="Preview a roster's cost, transfers and penalty",
        status_code=HTTP_200_OK,
        responses=responses(400, 401, 403, 404, 409),
    )
    async def preview_roster(
        self,
        team_id: TeamId,
        data: JSONBody[RosterIn],
        request: Req,
        teams: NamedDependency[TeamService],
        rules: NamedDependency[RuleSet],
    ) -> RosterPreviewOut:
        """What PUT .../roster with these picks would cost and which transfer penalty it would bring, or what
        is wrong with them; nothing is saved."""
        return await teams.preview(team_id, request.user.id, data, rules.team)

    @delete(
        "/{team_id:int}/chips/current",
        operation_id="cancelChip",
        summary="Take back this week's chip",
        status_code=HTTP_204_NO_CONTENT,
        responses=responses(400, 401, 403, 404, 409),
    )
    async def cancel_chip(self, team_id: TeamId, request: Req, teams: NamedDependency[TeamService]) -> None:
        """Cancel the chip played for the race week while the weekend is open; it can be played again."""
        await teams.cancel_chip(team_id, request.user.id)


class RulesController(Controller):
    path = "/api/rules"
    tags = ["teams"]

    @get(
        "/",
        operation_id="getRules",
        summary="The game's rules",
        exclude_from_auth=True,
        security=[{}],
        responses=responses(429),
    )
    async def rules(self, rules: NamedDependency[RuleSet]) -> RulesOut:
        """Roster size, budget, boost, transfers and their penalty, teams per player, and the chips."""
        return rules_out(rules)


def rules_out(rules: RuleSet) -> RulesOut:
    return RulesOut(
        ruleset=rules.name,
        drivers=rules.team.drivers,
        constructors=rules.team.constructors,
        budget=rules.team.budget,
        boost_multiplier=rules.team.boost_multiplier,
        extra_drs_multiplier=rules.team.extra_drs_multiplier,
        free_transfers_per_week=FREE_TRANSFERS_PER_WEEK,
        max_carried_transfers=MAX_CARRIED_TRANSFERS,
        max_banked_transfers=MAX_BANKED_TRANSFERS,
        penalty_per_extra_transfer=PENALTY_PER_EXTRA_TRANSFER,
        max_teams_per_player=MAX_TEAMS_PER_PLAYER,
        chips=[
            ChipRuleOut(
                chip.value, CHIP_WORDS[chip], "after_qualifying" if chip == Chip.FINAL_FIX else "before_lock"
            )
            for chip in Chip
        ],
    )


CHIP_WORDS = {
    Chip.WILDCARD: "unlimited free transfers for one week, within the budget",
    Chip.LIMITLESS: "unlimited free transfers and no budget for one week; the team reverts after it",
    Chip.EXTRA_DRS: "a second driver scores three times his points for the weekend",
    Chip.AUTOPILOT: "the boost goes to the team's best-scoring driver",
    Chip.NO_NEGATIVE: "negative points count as zero for the weekend",
    Chip.FINAL_FIX: "one driver change between Qualifying and the Race",
}
