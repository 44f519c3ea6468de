"""The reads a live stream repeats on every push: the standings domain's own services and shapes (so an
event equals what GET .../leaderboard or .../score answers at that moment), each on a short-lived
database session, since a stream that held a pooled connection for hours would drain the pool."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.live.schemas import LiveLeaderboardOut
from api.domain.notifications.schemas import InboxOut
from api.domain.notifications.services import Inbox
from api.domain.standings.schemas import StandingOut, TeamScoreOut
from api.domain.standings.services import StandingsService
from api.errors import NotFound
from scoring.rules import TeamRules
from store.live_read import AsyncLiveReader
from store.models import Team


class LiveReads:
    def __init__(self, sessions: Callable[[], AsyncSession], live: AsyncLiveReader, rules: TeamRules) -> None:
        self.sessions = sessions
        self.live = live
        self.rules = rules

    async def leaderboard(
        self, league_id: int, meeting_key: int, top: int, team_id: int | None
    ) -> LiveLeaderboardOut | None:
        """The league's top `top` (and the team's own standing); None while there are no live scores."""
        async with self.sessions() as session:
            try:
                board = await StandingsService(session=session).live_leaderboard(
                    self.live, league_id, meeting_key, 0, top
                )
            except NotFound:
                return None
            own = None
            if team_id is not None:
                standing = await self.live.league_standing(meeting_key, league_id, team_id)
                if standing is not None:
                    name = await session.scalar(select(Team.name).where(Team.id == team_id))
                    own = StandingOut(standing.rank, team_id, name, standing.points)
        return LiveLeaderboardOut(**msgspec.structs.asdict(board), own=own)

    async def team_score(self, team_id: int, meeting_key: int) -> TeamScoreOut | None:
        """The team's score with its breakdown; None while it has no roster or no live score."""
        async with self.sessions() as session:
            try:
                return await StandingsService(session=session).team_score(
                    self.live, team_id, meeting_key, self.rules
                )
            except NotFound:
                return None

    async def inbox(self, user_id: int) -> InboxOut:
        """The player's unread count and newest notification."""
        async with self.sessions() as session:
            return await Inbox(session).state(user_id)
