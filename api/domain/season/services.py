"""Season-long reads from PostgreSQL's final results: a league's table over the season's final weekends
(each weekend's total after its Race, penalties already off, as the flow wrote it), and every driver's and
constructor's season points by weekend."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.season.schemas import (
    AssetSeasonOut,
    AssetSessionOut,
    AssetsSeasonOut,
    AssetWeekendOut,
    SeasonStandingOut,
    SeasonStandingsOut,
)
from api.errors import ErrorCode, NotFound

# The season's final Races (the weekends counted), in each query below.
TABLE = text(
    "WITH races AS (SELECT s.session_key, s.meeting_key FROM race_session s"
    " JOIN meeting m ON m.meeting_key = s.meeting_key WHERE s.name = 'Race' AND s.state = 'final'"
    " AND coalesce(m.year, extract(year FROM m.date_start)::int) = :season),"
    " totals AS (SELECT r.team_id, sum(r.weekend_points)::int AS points, count(*)::int AS weekends"
    "   FROM team_result r JOIN races ON races.session_key = r.session_key"
    "   JOIN league_member lm ON lm.team_id = r.team_id AND lm.league_id = :league GROUP BY r.team_id)"
    " SELECT rank() OVER (ORDER BY t.points DESC) AS rank, t.team_id, tm.name, t.points, t.weekends,"
    " count(*) OVER () AS total"
    " FROM totals t LEFT JOIN team tm ON tm.id = t.team_id"
    " ORDER BY rank, t.team_id OFFSET :offset LIMIT :limit"
)
FINAL_WEEKENDS = text(
    "SELECT count(*) FROM race_session s JOIN meeting m ON m.meeting_key = s.meeting_key"
    " WHERE s.name = 'Race' AND s.state = 'final'"
    " AND coalesce(m.year, extract(year FROM m.date_start)::int) = :season"
)
LATEST_SEASON = text(
    "SELECT max(coalesce(m.year, extract(year FROM m.date_start)::int)) FROM race_session s"
    " JOIN meeting m ON m.meeting_key = s.meeting_key WHERE s.name = 'Race' AND s.state = 'final'"
)
ASSETS = text(
    "SELECT a.asset_kind::text, a.asset_name, s.meeting_key, s.session_key, s.name, a.points, a.position"
    " FROM asset_result a JOIN race_session s ON s.session_key = a.session_key"
    " JOIN meeting m ON m.meeting_key = s.meeting_key"
    " WHERE s.state = 'final' AND coalesce(m.year, extract(year FROM m.date_start)::int) = :season"
    " ORDER BY m.date_start NULLS LAST, s.meeting_key, s.date_start NULLS LAST, s.session_key"
)
RACE = "Race"  # the session whose classification is a weekend's finishing position


class Season:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def season_or_latest(self, season: int | None) -> int:
        if season is not None:
            return season
        latest = await self.session.scalar(LATEST_SEASON)
        if latest is None:
            raise NotFound(
                "no weekend is final yet: the season table starts after the first Race",
                code=ErrorCode.NOT_FINAL,
            )
        return int(latest)

    async def table(self, league_id: int, season: int | None, offset: int, limit: int) -> SeasonStandingsOut:
        year = await self.season_or_latest(season)
        params = {"season": year, "league": league_id, "offset": offset, "limit": limit}
        rows = (await self.session.execute(TABLE, params)).all()
        finals = int(await self.session.scalar(FINAL_WEEKENDS, {"season": year}) or 0)
        return SeasonStandingsOut(
            league_id=league_id,
            season=year,
            final_weekends=finals,
            count=int(rows[0][5]) if rows else 0,
            offset=offset,
            limit=limit,
            standings=[SeasonStandingOut(int(r[0]), int(r[1]), r[2], int(r[3]), int(r[4])) for r in rows],
        )

    async def assets(self, season: int | None) -> AssetsSeasonOut:
        year = await self.season_or_latest(season)
        found: dict[tuple[str, str], AssetSeasonOut] = {}
        rows = (await self.session.execute(ASSETS, {"season": year})).all()
        for kind, name, meeting_key, session_key, session_name, points, position in rows:
            asset = found.setdefault((kind, name), AssetSeasonOut(kind, name, 0, []))
            if not asset.weekends or asset.weekends[-1].meeting_key != meeting_key:
                asset.weekends.append(AssetWeekendOut(int(meeting_key), 0))
            weekend = asset.weekends[-1]
            weekend.points += int(points)
            weekend.sessions.append(AssetSessionOut(int(session_key), session_name, int(points), position))
            if session_name == RACE:
                weekend.position = position
            asset.points += int(points)
        ranked = sorted(found.values(), key=lambda a: (-a.points, a.name))
        return AssetsSeasonOut(
            season=year,
            drivers=[a for a in ranked if a.kind == "driver"],
            constructors=[a for a in ranked if a.kind == "constructor"],
        )
