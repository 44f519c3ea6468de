"""The reads a live stream repeats on every push: the standings domain's ready documents (so an event equals
what GET .../leaderboard or .../score answers at that moment, and every stream of the process shares one
read per state), and a player's own parts on a short-lived database session, since a stream that held a
pooled connection for hours would drain the pool."""

from __future__ import annotations

import functools
from collections.abc import Callable

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.live.events import Ready
from api.domain.live.feeds import Frame, Personal
from api.domain.notifications.schemas import InboxOut
from api.domain.notifications.services import Inbox
from api.domain.standings.hot import HotReads
from api.domain.standings.schemas import AsOfOut, StandingOut
from scoring.rules import TeamRules
from store.live_read import AsyncLiveReader
from store.models import Team


class LiveReads:
    def __init__(
        self, sessions: Callable[[], AsyncSession], live: AsyncLiveReader, hot: HotReads, rules: TeamRules
    ) -> None:
        self.sessions = sessions
        self.live = live
        self.hot = hot
        self.rules = rules

    async def board(self, league_id: int, meeting_key: int, top: int) -> Ready | None:
        """The league's top `top` with no `own` rank: one document, and one feed, for every stream of the
        process; None while there are no live scores."""
        board = await self.hot.stream_board(league_id, meeting_key, top)
        if board is None:
            return None
        # LiveLeaderboardOut is the board's body with `own` last: the shared bytes, one field added.
        return Ready(board.body[:-1] + NO_OWN, _version_of(board.body))

    def own(self, league_id: int, meeting_key: int, team_id: int, event: str) -> Personal:
        """A stream's frame of the shared board with its team's own standing (read for each new state);
        the team's name is kept for the stream's life."""
        names: dict[int, str | None] = {}

        async def framed(shared: Frame) -> Frame | None:
            standing = await self.live.league_standing(meeting_key, league_id, team_id)
            own = None
            if standing is not None:
                if team_id not in names:
                    async with self.sessions() as session:
                        names[team_id] = await session.scalar(select(Team.name).where(Team.id == team_id))
                own = StandingOut(standing.rank, team_id, names[team_id], standing.points)
            body = shared.body[: -len(NO_OWN)] + b',"own":' + encode(own) + b"}"
            return Frame.of(event, body, shared.id)

        return framed

    async def team_score(self, team_id: int, meeting_key: int) -> Ready | None:
        """The team's score with its breakdown; None while it has no roster or no live score."""
        score = await self.hot.stream_score(team_id, meeting_key)
        return None if score is None else Ready(score.body, _version_of(score.body))

    async def inbox(self, user_id: int) -> InboxOut:
        """The player's unread count and newest notification."""
        async with self.sessions() as session:
            return await Inbox(session).state(user_id)


class _AsOf(msgspec.Struct):
    as_of: AsOfOut | None = None


@functools.lru_cache(maxsize=4096)  # a shared body is one object: its id is decoded once, not per stream
def _version_of(body: bytes) -> str | None:
    """A body's event id: its `as_of.version`."""
    as_of = msgspec.json.decode(body, type=_AsOf).as_of
    return None if as_of is None or as_of.version is None else str(as_of.version)


encode = msgspec.json.Encoder().encode
NO_OWN = b',"own":null}'  # the end of a leaderboard event with no team of the stream's own
