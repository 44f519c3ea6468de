"""Reads of scores: live from Redis (AsyncLiveReader), final from Postgres. Scores nothing: a team's
points are the engine's; scoring's team rules only explain them pick by pick, from the engine's own
points document of the same window."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, cast

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import Integer, Select, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from api.domain.standings.schemas import (
    AsOfOut,
    AssetPointsOut,
    AssetScoreOut,
    HistoryOut,
    LeaderboardOut,
    SessionPointsOut,
    StandingOut,
    TeamScoreOut,
    WeekendOut,
)
from api.domain.teams.access import not_found, private, shared_with
from api.errors import ApiError, ErrorCode, NotFound
from scoring.chips import Chip, chip_of
from scoring.rules import TeamRules
from scoring.team_rules import FinalFix, Picks, pick_scores
from store.live_read import AsyncLiveReader, TeamLive
from store.models import AssetResult, ChipPlay, RaceSession, Roster, Team, TeamResult, TeamWeek

LAST_FINAL_SESSION = text(
    "SELECT s.session_key FROM race_session s WHERE s.meeting_key = :meeting AND s.state = 'final'"
    " AND EXISTS (SELECT 1 FROM team_result r WHERE r.session_key = s.session_key)"
    " ORDER BY s.date_start DESC NULLS LAST, s.session_key DESC LIMIT 1"
)

FINAL_STANDINGS = text(
    "SELECT rank() OVER (ORDER BY r.weekend_points DESC) AS rank, r.team_id, t.name, r.weekend_points"
    " FROM league_member m"
    " JOIN team_result r ON r.team_id = m.team_id AND r.session_key = :session"
    " LEFT JOIN team t ON t.id = m.team_id"
    " WHERE m.league_id = :league"
    " ORDER BY rank, r.team_id OFFSET :offset LIMIT :limit"
)

FINAL_COUNT = text(
    "SELECT count(*) FROM league_member m JOIN team_result r ON r.team_id = m.team_id"
    " AND r.session_key = :session WHERE m.league_id = :league"
)

HISTORY = text(
    "SELECT r.meeting_key, mt.name,"
    " coalesce((SELECT bool_or(s.state = 'final') FROM race_session s"
    "   WHERE s.meeting_key = r.meeting_key AND s.name = 'Race'), false) AS final,"
    " last.session_key, last.weekend_points, last.rank, coalesce(w.penalty, 0), w.chip,"
    " r.drivers, r.constructors, r.boost_driver, r.extra_drs_driver"
    " FROM roster r"
    " LEFT JOIN meeting mt ON mt.meeting_key = r.meeting_key"
    " LEFT JOIN team_week w ON w.team_id = r.team_id AND w.meeting_key = r.meeting_key"
    " LEFT JOIN LATERAL (SELECT tr.session_key, tr.weekend_points, tr.rank FROM team_result tr"
    "   JOIN race_session s ON s.session_key = tr.session_key"
    "   WHERE tr.team_id = r.team_id AND s.meeting_key = r.meeting_key AND s.state = 'final'"
    "   ORDER BY s.date_start DESC NULLS LAST, s.session_key DESC LIMIT 1) last ON true"
    " WHERE r.team_id = :team"
    " ORDER BY mt.date_start NULLS LAST, r.meeting_key"
)


class StandingsService(SQLAlchemyAsyncRepositoryService[TeamResult]):
    class Repo(SQLAlchemyAsyncRepository[TeamResult]):
        model_type = TeamResult

    repository_type = Repo

    @property
    def session(self) -> AsyncSession:
        return cast(AsyncSession, self.repository.session)

    async def team_score(
        self, live: AsyncLiveReader, team_id: int, meeting_key: int, rules: TeamRules
    ) -> TeamScoreOut:
        facts = await self.team_facts(team_id, meeting_key)
        team_live = await live.team_with_points(meeting_key, team_id)
        return team_score_of(facts, team_live, await self.race_final(meeting_key), rules)

    async def team_facts(self, team_id: int, meeting_key: int) -> TeamFacts:
        """What Postgres says of a team's weekend: its locked roster, transfer penalty and chip."""
        roster = await self.session.get(Roster, (team_id, meeting_key))
        if roster is None:
            raise no_roster(team_id, meeting_key)
        week = await self.session.get(TeamWeek, (team_id, meeting_key))
        play = await self.session.scalar(  # the week's chip (a Final Fix is played after the lock)
            select(ChipPlay).where(ChipPlay.team_id == team_id, ChipPlay.meeting_key == meeting_key)
        )
        return TeamFacts.of(
            team_id,
            meeting_key,
            roster,
            week.penalty if week else 0,
            play.chip if play else None,
            play.detail if play else None,
        )

    async def first_read(self, team_id: int, meeting_key: int, user_id: int) -> FirstRead:
        return await first_read(self.session, team_id, meeting_key, user_id)

    async def race_final(self, meeting_key: int) -> bool:
        return await race_final(self.session, meeting_key)

    async def live_leaderboard(
        self, live: AsyncLiveReader, league_id: int, meeting_key: int, offset: int, limit: int
    ) -> LeaderboardOut:
        return await live_leaderboard_of(
            live, league_id, meeting_key, offset, limit, self.names, lambda: self.race_final(meeting_key)
        )

    async def final_leaderboard(
        self, league_id: int, meeting_key: int, offset: int, limit: int
    ) -> LeaderboardOut:
        session_key = await self.session.scalar(LAST_FINAL_SESSION, {"meeting": meeting_key})
        if session_key is None:
            raise NotFound(
                f"meeting {meeting_key} has no final results yet; GET .../leaderboard has live ones",
                code=ErrorCode.NOT_FINAL,
            )
        params = {"session": session_key, "league": league_id, "offset": offset, "limit": limit}
        rows = (await self.session.execute(FINAL_STANDINGS, params)).all()
        count = await self.session.scalar(FINAL_COUNT, params)
        return LeaderboardOut(
            final=await self.race_final(meeting_key),
            league_id=league_id,
            meeting_key=meeting_key,
            source="final",
            session_key=int(session_key),
            count=int(count or 0),
            offset=offset,
            limit=limit,
            standings=[StandingOut(int(r[0]), int(r[1]), r[2], int(r[3])) for r in rows],
        )

    async def history(self, team_id: int) -> HistoryOut:
        rows = (await self.session.execute(HISTORY, {"team": team_id})).all()
        weekends = []
        for row in rows:
            weekend = WeekendOut(*row)
            if weekend.points is not None:  # the flow's weekend total is after the penalty
                weekend.net_points = weekend.points
                weekend.points = weekend.points + weekend.transfer_penalty
            weekends.append(weekend)
        return HistoryOut(team_id, weekends)

    async def session_points(self, live: AsyncLiveReader, session_key: int) -> SessionPointsOut:
        race_session = await self.session.get(RaceSession, session_key)
        rows = list(
            await self.session.scalars(
                select(AssetResult)
                .where(AssetResult.session_key == session_key)
                .order_by(AssetResult.points.desc(), AssetResult.asset_name)
            )
        )
        if rows:
            return SessionPointsOut(
                session_key=session_key,
                meeting_key=race_session.meeting_key if race_session else None,
                name=race_session.name if race_session else None,
                source="final",
                final=all(r.final for r in rows),
                drivers=[_asset(r) for r in rows if r.asset_kind == "driver"],
                constructors=[_asset(r) for r in rows if r.asset_kind == "constructor"],
            )
        document, as_of = await live.session_assets_as_of(session_key)
        if document is None:
            raise NotFound(
                f"no points for session {session_key} yet: they appear once it starts",
                code=ErrorCode.NOT_STARTED,
            )
        return SessionPointsOut(
            session_key=session_key,
            meeting_key=document.get("meeting_key"),
            name=document.get("session_name"),
            source="live",
            final=bool(document.get("final")),
            drivers=_live_assets("driver", document.get("drivers", {})),
            constructors=_live_assets("constructor", document.get("constructors", {})),
            as_of=AsOfOut(as_of.version, as_of.window_time),
        )

    async def names(self, team_ids: list[int]) -> dict[int, str]:
        return await team_names(self.session, team_ids)


# The reads the hot path makes on a session of its own, as functions: a service object per read (advanced-
# alchemy's repository and its set-up) cost a loaded API 7.5% of its samples.


async def first_read(session: AsyncSession, team_id: int, meeting_key: int, user_id: int) -> FirstRead:
    """In one query: whether the user may read the team (teams/access.py's rule) and the team's weekend
    facts (team_facts), for a hot read that has neither kept yet."""
    params = {"team": team_id, "user": user_id, "meeting": meeting_key}
    row = (await session.execute(FIRST_READ, params)).first()
    if row is None:
        return FirstRead(not_found(team_id), None)
    owner, shared, roster, penalty, chip, detail = row
    refusal = None if owner == user_id or shared else private(team_id)
    if roster is None:
        return FirstRead(refusal, no_roster(team_id, meeting_key))
    return FirstRead(refusal, TeamFacts.of(team_id, meeting_key, roster, penalty or 0, chip, detail))


async def race_final(session: AsyncSession, meeting_key: int) -> bool:
    """Whether the weekend's Race has final results in Postgres."""
    found = await session.scalar(
        select(RaceSession.session_key).where(
            RaceSession.meeting_key == meeting_key,
            RaceSession.name == "Race",
            RaceSession.state == "final",
        )
    )
    return found is not None


async def team_names(session: AsyncSession, team_ids: list[int]) -> dict[int, str]:
    if not team_ids:
        return {}
    rows = await session.execute(select(Team.id, Team.name).where(Team.id.in_(team_ids)))
    return {int(i): n for i, n in rows.all()}


@dataclass(frozen=True, slots=True)
class TeamFacts:
    """A team's weekend as Postgres has it (StandingsService.team_facts)."""

    team_id: int
    meeting_key: int
    picks: Picks
    extra_drs_driver: str | None
    penalty: int
    chip: str | None
    chip_detail: dict[str, Any] | None

    @classmethod
    def of(
        cls,
        team_id: int,
        meeting_key: int,
        roster: Roster,
        penalty: int,
        chip: str | None,
        detail: dict[str, Any] | None,
    ) -> TeamFacts:
        picks = Picks(tuple(roster.drivers), tuple(roster.constructors), roster.boost_driver)
        return cls(
            team_id,
            meeting_key,
            picks,
            roster.extra_drs_driver,
            penalty,
            chip,
            dict(detail) if detail else None,
        )


def _first_read() -> Select[Any]:
    """StandingsService.first_read's statement, built once (an aliased entity per call cost more than
    the query: a loaded API spent 16% of its samples building it)."""
    team = aliased(Team, name="read_team")  # the access rule's own Team stays uncorrelated to this one
    team_id, user_id = bindparam("team", type_=Integer), bindparam("user", type_=Integer)
    meeting = bindparam("meeting", type_=Integer)
    return (
        select(
            team.user_id,
            shared_with(team_id, user_id),
            Roster,
            TeamWeek.penalty,
            ChipPlay.chip,
            ChipPlay.detail,
        )
        .select_from(team)
        .outerjoin(Roster, (Roster.team_id == team.id) & (Roster.meeting_key == meeting))
        .outerjoin(TeamWeek, (TeamWeek.team_id == team.id) & (TeamWeek.meeting_key == meeting))
        .outerjoin(ChipPlay, (ChipPlay.team_id == team.id) & (ChipPlay.meeting_key == meeting))
        .where(team.id == team_id)
        .limit(1)
    )


FIRST_READ = _first_read()


@dataclass(frozen=True, slots=True)
class FirstRead:
    """A hot read's first look at a team: why the reader may not read it (None: they may), and its
    weekend's facts or why there are none (no roster yet)."""

    refusal: ApiError | None
    facts: TeamFacts | NotFound | None  # None: no such team


def no_roster(team_id: int, meeting_key: int) -> NotFound:
    return NotFound(
        f"team {team_id} has no roster for meeting {meeting_key}: rosters are written when a weekend locks",
        code=ErrorCode.NO_ROSTER,
    )


def team_score_of(facts: TeamFacts, team_live: TeamLive, final: bool, rules: TeamRules) -> TeamScoreOut:
    """A team's score from its weekend's facts and its live totals (404 while it has none)."""
    standing, document = team_live.standing, team_live.document
    if standing is None:
        raise NotFound(
            f"no live score for team {facts.team_id} in meeting {facts.meeting_key} yet:"
            " it starts with the weekend's first scored session",
            code=ErrorCode.NOT_STARTED,
        )
    return TeamScoreOut(
        team_id=facts.team_id,
        meeting_key=facts.meeting_key,
        points=standing.points + facts.penalty,
        rank=standing.rank,
        transfer_penalty=facts.penalty,
        net_points=standing.points,
        assets=_asset_scores(facts, document or {}, rules),
        chip=facts.chip,
        final=final,
        source="final" if final else "live",
        as_of=AsOfOut(team_live.version, team_live.window_time),  # the totals' own window
    )


def _asset_scores(facts: TeamFacts, document: dict[str, Any], rules: TeamRules) -> list[AssetScoreOut]:
    """Each pick's weekend points and multiplier as the flow counted them (the flow's document of
    the same window gives the points; the roster and chip say how the team counts them)."""
    chip = chip_of(facts.chip) if facts.chip else None
    detail = facts.chip_detail or {}
    fix = FinalFix(str(detail["out"]), str(detail["in"])) if chip is Chip.FINAL_FIX else None
    scores = pick_scores(
        facts.picks,
        facts.extra_drs_driver,
        chip,
        fix,
        document,
        document.get("no_negative", {}),
        document.get("before_race", {}),
        rules,
    )
    return [AssetScoreOut(s.kind, s.name, s.points, s.multiplier, s.total, s.note) for s in scores]


def _asset(row: AssetResult) -> AssetPointsOut:
    breakdown = {str(k): int(v) for k, v in (row.breakdown or {}).items()}
    return AssetPointsOut(str(row.asset_kind), row.asset_name, row.points, breakdown)


def _live_assets(kind: str, table: dict[str, Any]) -> list[AssetPointsOut]:
    items = [
        AssetPointsOut(
            kind, name, int(v.get("total", 0)), {str(k): int(p) for k, p in v.get("breakdown", {}).items()}
        )
        for name, v in table.items()
    ]
    return sorted(items, key=lambda a: (-a.points, a.name))


async def live_leaderboard_of(
    live: AsyncLiveReader,
    league_id: int,
    meeting_key: int,
    offset: int,
    limit: int,
    names_of: Callable[[list[int]], Awaitable[dict[int, str]]],
    race_final: Callable[[], Awaitable[bool]],
) -> LeaderboardOut:
    """A league's live page from Redis, with the team names and the race's final state from Postgres, or
    from what a caller keeps of them (the uncached read and the hot reads' document are this one body)."""
    page = await live.league_page(meeting_key, league_id, offset, limit)
    count, standings, as_of = page.count, page.standings, page.as_of  # as_of: the standings' own window
    if count == 0 and as_of.version is None:
        raise NotFound(
            f"no live scores for meeting {meeting_key}: they start with the weekend's first scored session",
            code=ErrorCode.NOT_STARTED,
        )
    names = await names_of([s.team_id for s in standings])
    final = await race_final()
    return LeaderboardOut(
        final=final,
        as_of=AsOfOut(as_of.version, as_of.window_time),
        league_id=league_id,
        meeting_key=meeting_key,
        source="final" if final else "live",
        session_key=None,
        count=count,
        offset=offset,
        limit=limit,
        standings=[StandingOut(s.rank, s.team_id, names.get(s.team_id), s.points) for s in standings],
    )


async def live_as_of(live: AsyncLiveReader, meeting_key: int) -> AsOfOut:
    """The live state a body is of: the meeting's version and its window's session clock (a team's
    totals, which may lag it, carry their own: TeamLive)."""
    as_of = await live.as_of(meeting_key)
    return AsOfOut(as_of.version, as_of.window_time)
