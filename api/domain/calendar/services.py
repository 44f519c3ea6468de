"""Calendar reads: weekends and their lock windows, session states, asset prices per race week."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import and_, false, func, select

from api.domain.calendar.colours import colour_of
from api.domain.calendar.schemas import AssetOut, AssetsOut, MeetingOut, SeasonOut, SessionOut
from api.domain.calendar.states import meeting_state, session_state
from api.errors import ErrorCode, NotFound
from store.live_read import AsyncLiveReader
from store.models import (
    AssetKind,
    AssetPrice,
    Constructor,
    Driver,
    Meeting,
    RaceSession,
    SessionState,
)
from store.weekends import RACE, Weekend, to_weekend, weekends_query


class CalendarService(SQLAlchemyAsyncRepositoryService[Meeting]):
    class Repo(SQLAlchemyAsyncRepository[Meeting]):
        model_type = Meeting

    repository_type = Repo

    async def weekend(self, meeting_key: int) -> Weekend:
        row = (
            await self.repository.session.execute(weekends_query().where(Meeting.meeting_key == meeting_key))
        ).first()
        if row is None:
            raise NotFound(
                f"no meeting {meeting_key} in the calendar; GET /api/meetings lists them",
                code=ErrorCode.MEETING_NOT_FOUND,
            )
        return to_weekend(row)

    async def current_weekend(self) -> Weekend | None:
        """The race week being played: the earliest weekend whose Race is not final yet."""
        race_final = func.bool_or(and_(RaceSession.name == RACE, RaceSession.state == SessionState.FINAL))
        query = weekends_query().having(~func.coalesce(race_final, false()))
        first_start = func.coalesce(Meeting.date_start, func.min(RaceSession.date_start))
        row = (
            await self.repository.session.execute(
                query.order_by(first_start.asc().nulls_last(), Meeting.meeting_key).limit(1)
            )
        ).first()
        return None if row is None else to_weekend(row)

    async def last_weekend(self) -> Weekend | None:
        """The latest weekend of the calendar (every one is final when there is no current one)."""
        first_start = func.coalesce(Meeting.date_start, func.min(RaceSession.date_start))
        query = weekends_query().order_by(first_start.desc().nulls_last(), Meeting.meeting_key.desc())
        row = (await self.repository.session.execute(query.limit(1))).first()
        return None if row is None else to_weekend(row)

    async def shown_weekend(self) -> Weekend | None:
        """What a player sees as "this weekend": the live or next one, else the last one; None only
        when the calendar is empty."""
        return await self.current_weekend() or await self.last_weekend()

    async def seasons(self) -> list[SeasonOut]:
        """Every season of the calendar, newest first, with its weekends' count and span."""
        year = func.coalesce(Meeting.year, func.extract("year", Meeting.date_start).cast(Meeting.year.type))
        rows = (
            await self.repository.session.execute(
                select(year, func.count(), func.min(Meeting.date_start), func.max(Meeting.date_start))
                .where(year.is_not(None))
                .group_by(year)
                .order_by(year.desc())
            )
        ).all()
        return [SeasonOut(int(y), int(n), first, last) for y, n, first, last in rows]

    async def meeting_count(self) -> int:
        return int(await self.repository.session.scalar(select(func.count()).select_from(Meeting)) or 0)

    async def meetings(
        self, live: AsyncLiveReader, meeting_key: int | None = None, offset: int = 0, limit: int | None = None
    ) -> list[MeetingOut]:
        query = select(Meeting).order_by(Meeting.date_start.asc().nulls_last(), Meeting.meeting_key)
        if meeting_key is not None:
            query = query.where(Meeting.meeting_key == meeting_key)
        meetings = list(await self.repository.session.scalars(query.offset(offset).limit(limit)))
        if meeting_key is not None and not meetings:
            raise NotFound(
                f"no meeting {meeting_key} in the calendar; GET /api/meetings lists them",
                code=ErrorCode.MEETING_NOT_FOUND,
            )
        keys = [m.meeting_key for m in meetings]
        sessions = list(
            await self.repository.session.scalars(
                select(RaceSession)
                .where(RaceSession.meeting_key.in_(keys))
                .order_by(RaceSession.date_start.asc().nulls_last(), RaceSession.session_key)
            )
        )
        weekends = {
            w.meeting_key: w
            for w in map(
                to_weekend,
                await self.repository.session.execute(weekends_query().where(Meeting.meeting_key.in_(keys))),
            )
        }
        now = datetime.now(UTC)
        out = []
        for meeting in meetings:
            live_states = {s["session_key"]: s.get("state") for s in await live.sessions(meeting.meeting_key)}
            rows = [
                SessionOut(
                    s.session_key,
                    s.name,
                    s.date_start,
                    s.date_end,
                    session_state(s.state, live_states.get(s.session_key)).value,
                )
                for s in sessions
                if s.meeting_key == meeting.meeting_key
            ]
            weekend = weekends[meeting.meeting_key]
            out.append(
                MeetingOut(
                    meeting_key=meeting.meeting_key,
                    name=meeting.name,
                    year=meeting.year,
                    circuit=meeting.circuit,
                    country=meeting.country,
                    date_start=meeting.date_start,
                    state=meeting_state(SessionState(r.state) for r in rows).value,
                    lock_at=weekend.lock_at,
                    locked=weekend.locked(now),
                    sessions=rows,
                )
            )
        return out


class PriceService(SQLAlchemyAsyncRepositoryService[AssetPrice]):
    class Repo(SQLAlchemyAsyncRepository[AssetPrice]):
        model_type = AssetPrice

    repository_type = Repo

    async def prices(self, meeting_key: int) -> dict[tuple[str, str], Decimal]:
        """{(kind, name): price} for a race week; empty while it has none (prices are written by the
        seed, the nightly sync and the price moves, never by a read)."""
        query = select(AssetPrice).where(AssetPrice.meeting_key == meeting_key)
        rows = await self.repository.session.scalars(query)
        return {(AssetKind(r.asset_kind).value, r.asset_name): r.price for r in rows}

    async def assets(self, meeting_key: int, budget: float) -> AssetsOut:
        prices = await self.prices(meeting_key)
        session = self.repository.session
        driver_rows = (
            await session.execute(
                select(Driver.acronym, Driver.full_name, Driver.number, Constructor.name).outerjoin(
                    Constructor, Constructor.id == Driver.constructor_id
                )
            )
        ).all()
        info = {acronym: (full, number, team) for acronym, full, number, team in driver_rows}
        ranked = sorted(prices.items(), key=lambda kv: (-kv[1], kv[0][1]))
        drivers = []
        for (kind, name), price in ranked:
            if kind == "driver":
                full, number, team = info.get(name, (None, None, None))
                drivers.append(AssetOut("driver", name, float(price), full, number, team, colour_of(team)))
        constructors = [
            AssetOut("constructor", name, float(price), full_name=name, colour=colour_of(name))
            for (kind, name), price in ranked
            if kind == "constructor"
        ]
        return AssetsOut(meeting_key, budget, drivers, constructors)
