"""Routes of the standings domain: team scores, leaderboards (live and final), history, session points."""

from __future__ import annotations

from typing import Any

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from litestar import Controller, Request, Response, get
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec

from api.domain.accounts.guards import CurrentUser
from api.domain.leagues.access import readable_league
from api.domain.standings.hot import HotReads, ready
from api.domain.standings.schemas import HistoryOut, LeaderboardOut, SessionPointsOut, TeamScoreOut
from api.domain.standings.services import StandingsService
from api.domain.teams.access import readable_team
from api.errors import responses
from api.lib.params import LeagueId, Limit, MeetingKey, Offset, SessionKey, TeamId
from store.live_read import AsyncLiveReader

Req = Request[CurrentUser, Any, Any]
# The hot reads' validators (api/domain/standings/hot.py): a strong ETag per live state, 304 on a match.
NOT_MODIFIED = {
    304: ResponseSpec(
        data_container=None,
        description="Not Modified: the `If-None-Match` request header names this state's `ETag` (either"
        " encoding's); no body. Send back the ETag you last got: an unchanged window costs no body.",
        generate_examples=False,
    )
}
READY_HEADERS = [
    ResponseHeader(
        name="ETag",
        description="a strong tag of this live state and body (`-gz` for the gzip encoding)",
        documentation_only=True,
        value='"<points>.<totals>.<leagues>-<hash>"',  # its form (documentation only: the schema's type)
    ),
    ResponseHeader(
        name="Cache-Control",
        description="`private, no-cache`: keep it, but revalidate with If-None-Match",
        documentation_only=True,
        value="private, no-cache",
    ),
]


class StandingsController(Controller):
    path = "/api"
    tags = ["standings"]
    dependencies = {"standings": Provide(create_service_provider(StandingsService))}

    @get(
        "/teams/{team_id:int}/score",
        operation_id="getTeamScore",
        summary="A team's score for a weekend",
        responses={**NOT_MODIFIED, **responses(400, 401, 403, 404)},
        response_headers=READY_HEADERS,
    )
    async def team_score(
        self, team_id: TeamId, meeting_key: MeetingKey, request: Req, hot: NamedDependency[HotReads]
    ) -> Response[TeamScoreOut]:
        """A team's live weekend score and rank, with each asset's points and multiplier (Redis)."""
        return ready(await hot.team_score(request.user.id, team_id, meeting_key), request)

    @get(
        "/teams/{team_id:int}/history",
        operation_id="getTeamHistory",
        summary="A team's weekends",
        responses=responses(400, 401, 403, 404),
    )
    async def history(
        self, team_id: TeamId, request: Req, standings: NamedDependency[StandingsService]
    ) -> HistoryOut:
        """A team's weekends: locked roster, final points and rank, transfer penalty, chip."""
        await readable_team(standings.session, team_id, request.user.id)
        return await standings.history(team_id)

    @get(
        "/leagues/{league_id:int}/leaderboard",
        operation_id="getLeagueLeaderboard",
        summary="A league's leaderboard for a weekend",
        responses={**NOT_MODIFIED, **responses(400, 401, 403, 404)},
        response_headers=READY_HEADERS,
    )
    async def live_leaderboard(
        self,
        league_id: LeagueId,
        meeting_key: MeetingKey,
        request: Req,
        hot: NamedDependency[HotReads],
        offset: Offset = 0,
        limit: Limit = 50,
    ) -> Response[LeaderboardOut]:
        """A league's live standings for a weekend, best first, one page at a time (Redis)."""
        return ready(await hot.leaderboard(request.user.id, league_id, meeting_key, offset, limit), request)

    @get(
        "/leagues/{league_id:int}/results",
        operation_id="getLeagueResults",
        summary="A league's final results for a weekend",
        responses=responses(400, 401, 403, 404),
    )
    async def final_leaderboard(
        self,
        league_id: LeagueId,
        meeting_key: MeetingKey,
        request: Req,
        standings: NamedDependency[StandingsService],
        offset: Offset = 0,
        limit: Limit = 50,
    ) -> LeaderboardOut:
        """A league's final standings for a weekend, ranked in SQL over its members (Postgres)."""
        await readable_league(standings.session, league_id, request.user.id)
        return await standings.final_leaderboard(league_id, meeting_key, offset, limit)

    @get(
        "/sessions/{session_key:int}/points",
        operation_id="getSessionPoints",
        summary="Every driver's and constructor's points in a session",
        exclude_from_auth=True,
        security=[{}],
        responses=responses(400, 404, 429),
    )
    async def session_points(
        self,
        session_key: SessionKey,
        standings: NamedDependency[StandingsService],
        live: NamedDependency[AsyncLiveReader],
    ) -> SessionPointsOut:
        """Every driver's and constructor's points in one session, itemised (final or live)."""
        return await standings.session_points(live, session_key)
