"""The race-time reads (a league's live leaderboard page, a team's live score) as ready documents.

Each answer is made once per live state of its meeting in this process (api/lib/documents.py: single
flight, keyed by the route's ids and query and by the meeting's versions, known in memory from the
update notes: api/domain/live/versions.py) and then served as bytes with a strong ETag; a matching
If-None-Match answers 304. What Postgres says besides the live state (access to the league or team, a
team's roster, penalty and chip, whether the race is final) is kept API_READ_CACHE_MS, and dropped by any
write in this process. The documents are made by the same services as the uncached reads, from the
store: nothing here scores.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

import msgspec
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.exceptions import HTTPException
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.leagues.access import readable_league
from api.domain.live.access import known_meeting
from api.domain.live.versions import LiveVersions, Stamp
from api.domain.standings.services import (
    StandingsService,
    TeamFacts,
    first_read,
    live_leaderboard_of,
    race_final,
    team_names,
    team_score_of,
)
from api.domain.teams.access import readable_team
from api.errors import NotFound
from api.lib.documents import Document, DocumentCache
from api.lib.short_cache import ShortCache
from scoring.rules import TeamRules
from store.live_read import AsyncLiveReader

encode = msgspec.json.Encoder().encode
T = TypeVar("T")
RECHECK_S = 1.0  # the race's final state is asked of Postgres at least this often while read


class HotReads:
    def __init__(
        self,
        sessions: Callable[[], AsyncSession],
        live: AsyncLiveReader,
        versions: LiveVersions,
        rules: TeamRules,
        cache_s: float,
    ) -> None:
        self.sessions = sessions
        self.live = live
        self.versions = versions
        self.rules = rules
        # A document may say what Postgres said besides the live state (the race final): remade at least
        # every RECHECK_S even with no new window; the other copies last the whole cache time.
        self.documents = DocumentCache(max_age_s=min(max(cache_s, 0.0), RECHECK_S))
        self.access: ShortCache[HTTPException] = ShortCache(cache_s)
        self.facts: ShortCache[TeamFacts] = ShortCache(cache_s)
        self.finals: ShortCache[tuple[Stamp, asyncio.Task[bool]]] = ShortCache(min(cache_s, RECHECK_S))
        self.meetings: ShortCache[bool] = ShortCache(cache_s)
        self.names: ShortCache[str] = ShortCache(cache_s)

    def forget(self) -> None:
        """After a write in this process: what Postgres said may have changed."""
        self.documents.forget()
        self.access.forget()
        self.facts.forget()
        self.finals.forget()
        self.names.forget()
        self.meetings.forget()

    async def leaderboard(
        self, user_id: int, league_id: int, meeting_key: int, offset: int, limit: int
    ) -> Document:
        await self.readable_league(user_id, league_id)
        stamp = await self.versions.stamp(meeting_key)
        return await self.documents.get(
            ("board", league_id, meeting_key, offset, limit),
            board_state(stamp),
            board_tag(stamp),
            lambda: self._leaderboard(league_id, meeting_key, offset, limit),
        )

    async def team_score(self, user_id: int, team_id: int, meeting_key: int) -> Document:
        if (
            self.access.get(("team", user_id, team_id)) is None
            and self.facts.get((team_id, meeting_key)) is None
        ):
            await self._first_read(user_id, team_id, meeting_key)
        await self.readable_team(user_id, team_id)
        stamp = await self.versions.stamp(meeting_key)
        return await self.documents.get(
            ("score", team_id, meeting_key),
            score_state(stamp),
            stamp.tag,
            lambda: self._team_score(team_id, meeting_key),
        )

    async def stream_board(self, league_id: int, meeting_key: int, top: int) -> Document | None:
        """A leaderboard stream's event (the read's top `top`, `own` left for the stream), one per state
        for every stream of the process; None while there are no live scores."""
        stamp = await self.versions.stamp(meeting_key)
        try:
            return await self.documents.get(
                ("stream-board", league_id, meeting_key, top),
                board_state(stamp),
                board_tag(stamp),
                lambda: self._leaderboard(league_id, meeting_key, 0, top),
            )
        except NotFound:
            return None

    async def stream_score(self, team_id: int, meeting_key: int) -> Document | None:
        """A team score stream's event: the document of GET .../score; None while there is none."""
        stamp = await self.versions.stamp(meeting_key)
        try:
            return await self.documents.get(
                ("score", team_id, meeting_key),
                stamp,
                stamp.tag,
                lambda: self._team_score(team_id, meeting_key),
            )
        except NotFound:
            return None

    async def readable_league(self, user_id: int, league_id: int) -> None:
        await self._check(("league", user_id, league_id), lambda s: readable_league(s, league_id, user_id))

    async def readable_team(self, user_id: int, team_id: int) -> None:
        await self._check(("team", user_id, team_id), lambda s: readable_team(s, team_id, user_id))

    async def known_meeting(self, meeting_key: int) -> None:
        """A weekend of the calendar or with live scores (what a stream may wait for); only a known one is
        kept (an unknown one may go live any moment)."""
        if self.meetings.get(meeting_key) is None:
            await self._query(lambda s: known_meeting(s, self.live, meeting_key))
            self.meetings.put(meeting_key, True)

    async def _first_read(self, user_id: int, team_id: int, meeting_key: int) -> None:
        """A team's access and weekend facts in one query (StandingsService.first_read), kept as the two
        reads would keep them ("no roster yet" is not kept: the lock writes rosters behind the API)."""
        first = await self._query(lambda s: first_read(s, team_id, meeting_key, user_id))
        self.access.put(("team", user_id, team_id), first.refusal or _ALLOWED)
        if isinstance(first.facts, TeamFacts):
            self.facts.put((team_id, meeting_key), first.facts)

    async def _check(
        self, key: tuple[str, int, int], check: Callable[[AsyncSession], Awaitable[Any]]
    ) -> None:
        answer = self.access.get(key)
        if answer is None:
            try:
                await self._query(check)
            except HTTPException as refused:  # 404 or 403: kept as long as an allowance would be
                self.access.put(key, refused)
                raise
            self.access.put(key, _ALLOWED)
        elif answer is not _ALLOWED:
            raise answer.with_traceback(None)

    async def _leaderboard(self, league_id: int, meeting_key: int, offset: int, limit: int) -> bytes:
        """StandingsService.live_leaderboard's body, with the team names and the race's final state from
        this process's copies (Postgres only for names it has not kept)."""
        board = await live_leaderboard_of(
            self.live,
            league_id,
            meeting_key,
            offset,
            limit,
            self._names,
            lambda: self._race_final(meeting_key),
        )
        return encode(board)

    async def _names(self, team_ids: list[int]) -> dict[int, str]:
        names: dict[int, str] = {}
        missing = []
        for team_id in team_ids:
            name = self.names.get(team_id)
            if name is None:
                missing.append(team_id)
            else:
                names[team_id] = name
        if missing:
            found = await self._query(lambda s: team_names(s, missing))
            for team_id, name in found.items():
                self.names.put(team_id, name)
            names |= found
        return names

    async def _team_score(self, team_id: int, meeting_key: int) -> bytes:
        facts = self.facts.get((team_id, meeting_key))
        if facts is None:  # "no roster yet" is not kept: the lock writes rosters behind the API
            facts = await self._query(lambda s: StandingsService(session=s).team_facts(team_id, meeting_key))
            self.facts.put((team_id, meeting_key), facts)
        team_live = await self.live.team_with_points(meeting_key, team_id)
        return encode(team_score_of(facts, team_live, await self._race_final(meeting_key), self.rules))

    async def _race_final(self, meeting_key: int) -> bool:
        """Whether the weekend's Race is final in Postgres, asked once per live state (and cache time) by
        however many fills need it at once."""
        kept = self.finals.get(meeting_key)
        stamp = await self.versions.stamp(meeting_key)
        if kept is not None and kept[0] == stamp and not (kept[1].done() and kept[1].exception()):
            return await asyncio.shield(kept[1])
        asking = asyncio.create_task(self._ask_final(meeting_key))
        self.finals.put(meeting_key, (stamp, asking))
        try:
            return await asyncio.shield(asking)
        except Exception:
            current = self.finals.get(meeting_key)
            if current is not None and current[1] is asking:
                self.finals.drop(meeting_key)
            raise

    async def _ask_final(self, meeting_key: int) -> bool:
        return await self._query(lambda s: race_final(s, meeting_key))

    async def _query(self, read: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """`read` on a session of its own, again on a new connection if the pool's one was dead: the
        hot reads' pool does not ping each connection it lends (api/app.py), so a Postgres restart shows
        up here, once per dead connection (SQLAlchemy then drops the pool's older ones)."""
        try:
            async with self.sessions() as session:
                return await read(session)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
        async with self.sessions() as session:
            return await read(session)


def board_state(stamp: Stamp) -> Hashable:
    """What a leaderboard page is of, and when a stream of it has news: the league standings' version
    (its rows and its as_of, store/live_read.py's league_page), or a player's write; the meeting's
    version only while no standings were written. A window's points alone change nothing on it."""
    return (stamp.leagues, stamp.version if stamp.leagues is None else None, stamp.writes)


def board_tag(stamp: Stamp) -> str:
    """A page's ETag prefix: the version its as_of names (the same in every process of the API)."""
    return str(stamp.leagues if stamp.leagues is not None else stamp.version or 0)


def score_state(stamp: Stamp) -> Hashable:
    """What a team's score is of: the totals' version (its points, rank, document and as_of)."""
    return (stamp.totals, stamp.version if stamp.totals is None else None, stamp.writes)


_ALLOWED = HTTPException(status_code=200)  # the access cache's "allowed" (the others are the refusals)


def ready(document: Document, request: Request[Any, Any, Any]) -> Response[Any]:
    """A document as the answer to `request`: 304 when its If-None-Match names it; gzip when accepted."""
    gzipped = document.gzipped is not None and "gzip" in request.headers.get("accept-encoding", "")
    headers = {
        "etag": document.gzip_etag if gzipped else document.etag,
        "cache-control": "private, no-cache",  # a player's own read (it needs their token)
        "vary": "Accept-Encoding",
    }
    if document.matches(request.headers.get("if-none-match")):
        return Response(content=b"", status_code=304, headers=headers)
    if gzipped:
        headers["content-encoding"] = "gzip"
        return Response(content=document.gzipped, media_type=MediaType.JSON, headers=headers)
    return Response(content=document.body, media_type=MediaType.JSON, headers=headers)
