"""Routes of season-long reads: a league's season table (the global league's is everyone's), and the
drivers' and constructors' season points."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency, Provide
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.accounts.guards import CurrentUser
from api.domain.leagues.access import readable_league
from api.domain.season.schemas import AssetsSeasonOut, SeasonStandingsOut
from api.domain.season.services import Season
from api.errors import responses
from api.lib.params import LeagueId, Limit, Offset

SeasonYear = Annotated[
    int | None,
    Parameter(ge=1950, le=2100, description="the season (year); default: the latest with a final Race"),
]


def provide_season(db_session: NamedDependency[AsyncSession]) -> Season:
    return Season(db_session)


class SeasonController(Controller):
    path = "/api"
    tags = ["standings"]
    dependencies = {"season_reads": Provide(provide_season, sync_to_thread=False)}

    @get(
        "/leagues/{league_id:int}/season",
        operation_id="getLeagueSeason",
        summary="A league's season table",
        responses=responses(400, 401, 403, 404),
    )
    async def league_season(
        self,
        league_id: LeagueId,
        request: Request[CurrentUser, Any, Any],
        season_reads: NamedDependency[Season],
        season: SeasonYear = None,
        offset: Offset = 0,
        limit: Limit = 50,
    ) -> SeasonStandingsOut:
        """A league's standings over the season's final weekends (penalties off), best first, one page at a
        time. The global league's (GET /api/leagues/global) is the whole game's."""
        await readable_league(season_reads.session, league_id, request.user.id)
        return await season_reads.table(league_id, season, offset, limit)

    @get(
        "/seasons/assets",
        operation_id="getSeasonAssetPoints",
        summary="Drivers' and constructors' season points",
        exclude_from_auth=True,
        security=[{}],
        responses=responses(400, 404, 429),
    )
    async def assets(
        self, season_reads: NamedDependency[Season], season: SeasonYear = None
    ) -> AssetsSeasonOut:
        """Each driver's and constructor's points over the season's final sessions, best first, with the
        points of each weekend."""
        return await season_reads.assets(season)
