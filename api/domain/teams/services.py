"""Teams: up to 3 a player, rosters within budget while the weekend is open, transfers and chips."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import cast

from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from advanced_alchemy.service import SQLAlchemyAsyncRepositoryService
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.calendar.services import CalendarService, PriceService
from api.domain.calendar.weekend import NO_WEEKEND
from api.domain.leagues.services import LeagueService
from api.domain.teams.access import owned_team
from api.domain.teams.picks import check_picks, roster_cost
from api.domain.teams.schemas import (
    ChipIn,
    ChipOut,
    RosterIn,
    RosterPreviewOut,
    SelectionOut,
    TeamDetail,
    WeekOut,
)
from api.errors import Conflict, ErrorCode, Invalid, NotFound
from api.lib.pagination import count_of
from scoring.chips import Chip, chip_of
from scoring.rules import TeamRules
from scoring.team_rules import (
    FinalFix,
    Picks,
    budget_applies,
    extra_drs_driver,
    final_fix_picks,
    reverts_after_lock,
    settle,
)
from store.lock import lock_rosters
from store.models import ChipPlay, LeagueMember, Meeting, Roster, Team, TeamSelection, TeamWeek, User
from store.weekends import Weekend
from store.weeks import week_bases

MAX_TEAMS_PER_PLAYER = 3
ENGINE_CHIPS = frozenset(Chip)  # every chip: rosters, weights, Autopilot and No Negative in the totals


def chip_out(play: ChipPlay) -> ChipOut:
    return ChipOut(
        chip=play.chip,
        season=play.season,
        meeting_key=play.meeting_key,
        detail={k: v for k, v in play.detail.items() if k != "snapshot"},
        played_at=play.created_at,
        applied_by_engine=play.chip in ENGINE_CHIPS,
    )


class TeamService(SQLAlchemyAsyncRepositoryService[Team]):
    class Repo(SQLAlchemyAsyncRepository[Team]):
        model_type = Team

    repository_type = Repo

    @property
    def session(self) -> AsyncSession:
        return cast(AsyncSession, self.repository.session)

    # -- teams ---------------------------------------------------------------------------------
    async def create_team(self, user_id: int, name: str) -> Team:
        await self.session.scalar(select(User.id).where(User.id == user_id).with_for_update())
        held = list(await self.session.scalars(select(Team.name).where(Team.user_id == user_id)))
        if len(held) >= MAX_TEAMS_PER_PLAYER:
            raise Conflict(
                f"you hold {MAX_TEAMS_PER_PLAYER} teams already, the most a player may",
                code=ErrorCode.LIMIT_REACHED,
            )
        name = name.strip()
        if name in held:
            raise Conflict(
                f"you have a team named {name!r} already; pick another name", code=ErrorCode.DUPLICATE
            )
        team = await self.create(Team(user_id=user_id, name=name), auto_commit=False)
        global_id = await LeagueService(session=self.session).global_league_id()
        self.session.add(LeagueMember(league_id=global_id, team_id=team.id))
        await self.session.flush()
        return team

    async def mine(self, user_id: int, offset: int, limit: int) -> tuple[list[Team], int]:
        query = select(Team).where(Team.user_id == user_id)
        teams = await self.session.scalars(query.order_by(Team.id).offset(offset).limit(limit))
        return list(teams), await count_of(self.session, query)

    async def rename(self, team_id: int, user_id: int, name: str) -> Team:
        team = await owned_team(self.session, team_id, user_id, for_update=True)
        name = name.strip()
        taken = await self.session.scalar(
            select(Team.id).where(Team.user_id == user_id, Team.name == name, Team.id != team_id)
        )
        if taken is not None:
            raise Conflict(
                f"you have a team named {name!r} already; pick another name", code=ErrorCode.DUPLICATE
            )
        team.name = name
        await self.session.flush()
        return team

    async def remove(self, team_id: int, user_id: int) -> None:
        """Delete a team with its picks and results; not while its weekend is being scored (locked)."""
        team = await owned_team(self.session, team_id, user_id, for_update=True)
        weekend = await CalendarService(session=self.session).current_weekend()
        if weekend is not None and weekend.locked(datetime.now(UTC)):
            raise Conflict(
                f"meeting {weekend.meeting_key} is being scored; delete the team once its Race is final",
                code=ErrorCode.ROSTER_LOCKED,
            )
        await self.session.delete(team)
        await self.session.flush()

    # -- the race week -------------------------------------------------------------------------
    async def current_weekend(self) -> Weekend:
        weekend = await CalendarService(session=self.session).current_weekend()
        if weekend is None:
            raise Conflict(NO_WEEKEND, code=ErrorCode.NO_WEEKEND)
        return weekend

    async def open_weekend(self) -> Weekend:
        """The weekend rosters are built for, if it is open; locking it on the spot when it is due.

        The weekend's row is then share-locked until this request commits, so lock_rosters (which
        locks it for update) sees every change accepted before the lock and none after it."""
        now = datetime.now(UTC)
        weekend = await self.current_weekend()
        if weekend.lock_due(now):
            await lock_rosters(self.session, weekend.meeting_key, now)
            await self.session.commit()  # the lock stands although this request is refused
        else:
            await self.session.execute(
                select(Meeting.meeting_key)
                .where(Meeting.meeting_key == weekend.meeting_key)
                .with_for_update(read=True)
            )
            weekend = await CalendarService(session=self.session).weekend(weekend.meeting_key)
        if weekend.locked(now):
            since = weekend.locked_at or weekend.lock_at
            raise Conflict(
                f"rosters for meeting {weekend.meeting_key} are locked since {since:%Y-%m-%d %H:%M} UTC"
                " (its first scored session started); they open again once the Race's results are final"
                if since
                else f"rosters for meeting {weekend.meeting_key} are locked until its Race is final",
                code=ErrorCode.ROSTER_LOCKED,
            )
        return weekend

    async def prices(self, meeting_key: int) -> dict[tuple[str, str], Decimal]:
        return await PriceService(session=self.session).prices(meeting_key)

    async def chip_of_week(self, team_id: int, meeting_key: int) -> ChipPlay | None:
        return await self.session.scalar(
            select(ChipPlay).where(ChipPlay.team_id == team_id, ChipPlay.meeting_key == meeting_key)
        )

    # -- rosters -------------------------------------------------------------------------------
    async def set_roster(self, team_id: int, user_id: int, data: RosterIn, rules: TeamRules) -> TeamDetail:
        team = await owned_team(self.session, team_id, user_id, for_update=True)
        weekend = await self.open_weekend()
        chip = await self.chip_of_week(team_id, weekend.meeting_key)
        picks = check_picks(
            data.drivers,
            data.constructors,
            data.boost_driver,
            await self.prices(weekend.meeting_key),
            rules,
            budget_applies=budget_applies(_played(chip)),
        )
        if _played(chip) is Chip.EXTRA_DRS:
            assert chip is not None
            extra = chip.detail.get("driver")
            if extra_drs_driver(extra, picks) is None:
                raise Invalid(
                    f"your Extra DRS chip is on {extra}: keep {extra} among your drivers and not boosted"
                )
        now = datetime.now(UTC)
        values = {
            "team_id": team.id,
            "drivers": list(picks.drivers),
            "constructors": list(picks.constructors),
            "boost_driver": picks.boost_driver,
            "updated_at": now,
        }
        stmt = insert(TeamSelection).values(values)
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[TeamSelection.team_id], set_={k: stmt.excluded[k] for k in values}
            )
        )
        return await self.detail(team, rules)

    async def detail(self, team: Team, rules: TeamRules) -> TeamDetail:
        selection = await self.session.get(TeamSelection, team.id, populate_existing=True)
        # The weekend a player sees (the last one, final, once the calendar has no other): its roster and
        # week stay readable after its Race instead of vanishing until the next weekend is seeded.
        weekend = await CalendarService(session=self.session).shown_weekend()
        chips = list(
            await self.session.scalars(
                select(ChipPlay).where(ChipPlay.team_id == team.id).order_by(ChipPlay.id)
            )
        )
        leagues = list(
            await self.session.scalars(
                select(LeagueMember.league_id)
                .where(LeagueMember.team_id == team.id)
                .order_by(LeagueMember.league_id)
            )
        )
        selection_out = week = None
        if weekend is not None:
            chip = next((c for c in chips if c.meeting_key == weekend.meeting_key), None)
            limitless = not budget_applies(_played(chip))
            extra = (
                chip.detail.get("driver") if chip is not None and _played(chip) is Chip.EXTRA_DRS else None
            )
            if selection is not None:
                picks = Picks(tuple(selection.drivers), tuple(selection.constructors), selection.boost_driver)
                cost = roster_cost(picks, await self.prices(weekend.meeting_key))
                budget = None if limitless else Decimal(str(rules.budget))
                selection_out = SelectionOut(
                    drivers=list(picks.drivers),
                    constructors=list(picks.constructors),
                    boost_driver=picks.boost_driver,
                    extra_drs_driver=extra,
                    cost=float(cost),
                    budget=None if budget is None else float(budget),
                    budget_left=None if budget is None else float(budget - cost),
                )
            week = await self._week(team.id, weekend, selection, chip)
        return TeamDetail(
            id=team.id,
            name=team.name,
            user_id=team.user_id,
            created_at=team.created_at,
            selection=selection_out,
            week=week,
            chips=[chip_out(c) for c in chips],
            leagues=leagues,
        )

    async def _week(
        self, team_id: int, weekend: Weekend, selection: TeamSelection | None, chip: ChipPlay | None
    ) -> WeekOut:
        locked = weekend.locked(datetime.now(UTC))
        settled = await self.session.get(TeamWeek, (team_id, weekend.meeting_key))
        if settled is not None:
            transfers, free, penalty = settled.transfers, settled.free_transfers, settled.penalty
        elif selection is not None:
            basis = (await week_bases(self.session, weekend.meeting_key, [team_id])).get(team_id)
            picks = Picks(tuple(selection.drivers), tuple(selection.constructors), selection.boost_driver)
            pending = settle(
                basis.base if basis else None,
                picks,
                basis.last if basis else None,
                chip.chip if chip else None,
            )
            transfers, free, penalty = pending.transfers, pending.free_transfers, pending.penalty
        else:
            transfers = free = penalty = 0
        return WeekOut(
            meeting_key=weekend.meeting_key,
            locked=locked,
            lock_at=weekend.lock_at,
            transfers=transfers,
            free_transfers=free,
            penalty=penalty,
            chip=chip.chip if chip else None,
        )

    async def preview(self, team_id: int, user_id: int, data: RosterIn, rules: TeamRules) -> RosterPreviewOut:
        """What saving `data` would do (cost, transfers, penalty, or what is wrong); nothing is saved."""
        team = await owned_team(self.session, team_id, user_id)
        weekend = await self.current_weekend()
        chip = await self.chip_of_week(team.id, weekend.meeting_key)
        limitless = not budget_applies(_played(chip))
        prices = await self.prices(weekend.meeting_key)
        picks = Picks(tuple(data.drivers), tuple(data.constructors), data.boost_driver)
        problems: list[str] = []
        try:
            check_picks(
                data.drivers,
                data.constructors,
                data.boost_driver,
                prices,
                rules,
                budget_applies=not limitless,
            )
        except Invalid as refused:
            extra = refused.extra if isinstance(refused.extra, dict) else {}
            problems = list(extra.get("problems", [refused.detail]))
        basis = (await week_bases(self.session, weekend.meeting_key, [team.id])).get(team.id)
        week = settle(
            basis.base if basis else None, picks, basis.last if basis else None, chip.chip if chip else None
        )
        cost = roster_cost(picks, prices)
        budget = None if limitless else Decimal(str(rules.budget))
        return RosterPreviewOut(
            meeting_key=weekend.meeting_key,
            valid=not problems,
            problems=problems,
            cost=float(cost),
            budget=None if budget is None else float(budget),
            budget_left=None if budget is None else float(budget - cost),
            transfers=week.transfers,
            free_transfers=week.free_transfers,
            penalty=week.penalty,
            locked=weekend.locked(datetime.now(UTC)),
        )

    # -- chips ---------------------------------------------------------------------------------
    async def cancel_chip(self, team_id: int, user_id: int) -> None:
        """Take back this week's chip while the weekend is open (a Final Fix, played once locked, stays)."""
        team = await owned_team(self.session, team_id, user_id, for_update=True)
        weekend = await self.open_weekend()
        chip = await self.chip_of_week(team.id, weekend.meeting_key)
        if chip is None:
            raise NotFound(f"team {team.id} plays no chip for meeting {weekend.meeting_key}")
        await self.session.delete(chip)
        await self.session.flush()

    async def play_chip(self, team_id: int, user_id: int, data: ChipIn, rules: TeamRules) -> ChipOut:
        team = await owned_team(self.session, team_id, user_id, for_update=True)
        _check_chip_fields(data)
        if data.chip == Chip.FINAL_FIX:
            weekend = await self.current_weekend()
            detail = await self._final_fix(team, weekend, data, rules)
        else:
            weekend = await self.open_weekend()
            detail = await self._before_lock_chip(team, data)
        season = weekend.season or weekend.meeting_key // 100
        await self._check_chip_available(team.id, data.chip, season, weekend.meeting_key)
        play = ChipPlay(
            team_id=team.id,
            season=season,
            meeting_key=weekend.meeting_key,
            chip=data.chip.value,
            detail=detail,
        )
        self.session.add(play)
        await self.session.flush()
        return chip_out(play)

    async def _check_chip_available(self, team_id: int, chip: Chip, season: int, meeting_key: int) -> None:
        played = await self.session.scalar(
            select(ChipPlay).where(
                ChipPlay.team_id == team_id, ChipPlay.season == season, ChipPlay.chip == chip.value
            )
        )
        if played is not None:
            raise Conflict(
                f"{chip.value} was played already this season (meeting {played.meeting_key});"
                " each chip is once a season",
                code=ErrorCode.CHIP_UNAVAILABLE,
            )
        this_week = await self.chip_of_week(team_id, meeting_key)
        if this_week is not None:
            raise Conflict(
                f"{this_week.chip} is played this weekend already; one chip a weekend",
                code=ErrorCode.CHIP_UNAVAILABLE,
            )

    async def _before_lock_chip(self, team: Team, data: ChipIn) -> dict[str, object]:
        selection = await self.session.get(TeamSelection, team.id)
        if data.chip in (Chip.EXTRA_DRS, Chip.LIMITLESS) and selection is None:
            raise Conflict(
                f"build a roster first (PUT /api/teams/{team.id}/roster), then play {data.chip.value}"
            )
        if data.chip == Chip.EXTRA_DRS:
            assert selection is not None
            picks = Picks(tuple(selection.drivers), tuple(selection.constructors), selection.boost_driver)
            if data.extra_drs_driver not in picks.drivers:
                raise Invalid(
                    f"{data.extra_drs_driver} is not one of your drivers: {', '.join(selection.drivers)}"
                )
            if extra_drs_driver(data.extra_drs_driver, picks) is None:
                raise Invalid(
                    f"{data.extra_drs_driver} is your boosted driver already; pick another for Extra DRS"
                )
            return {"driver": data.extra_drs_driver}
        if reverts_after_lock(data.chip):  # Limitless: the team from before it, to go back to
            assert selection is not None
            snapshot = {
                "drivers": list(selection.drivers),
                "constructors": list(selection.constructors),
                "boost_driver": selection.boost_driver,
            }
            return {"snapshot": snapshot}
        return {}

    async def _final_fix(
        self, team: Team, weekend: Weekend, data: ChipIn, rules: TeamRules
    ) -> dict[str, object]:
        now = datetime.now(UTC)
        if not weekend.locked(now):
            raise Conflict(
                "Final Fix is for the locked weekend, between Qualifying and the Race;"
                " change your roster instead"
            )
        if weekend.race_start is not None and now >= weekend.race_start:
            raise Conflict(
                "the Race has started; Final Fix closes when it starts", code=ErrorCode.CHIP_UNAVAILABLE
            )
        roster = await self.session.get(Roster, (team.id, weekend.meeting_key), with_for_update=True)
        if roster is None:
            raise Conflict(f"team {team.id} has no locked roster for meeting {weekend.meeting_key}")
        out_driver, in_driver = cast(str, data.out_driver), cast(str, data.in_driver)
        if out_driver not in roster.drivers:
            raise Invalid(f"{out_driver} is not in your locked roster: {', '.join(roster.drivers)}")
        if in_driver in roster.drivers:
            raise Invalid(f"{in_driver} is in your roster already")
        fix = FinalFix(out_driver, in_driver)
        locked = Picks(tuple(roster.drivers), tuple(roster.constructors), roster.boost_driver)
        fixed, extra = final_fix_picks(locked, roster.extra_drs_driver, fix)
        chip = await self.chip_of_week(team.id, weekend.meeting_key)
        check_picks(
            fixed.drivers,
            fixed.constructors,
            fixed.boost_driver,
            await self.prices(weekend.meeting_key),
            rules,
            budget_applies=budget_applies(_played(chip)),
        )
        roster.drivers, roster.boost_driver, roster.extra_drs_driver = (
            list(fixed.drivers),
            fixed.boost_driver,
            extra,
        )
        selection = await self.session.get(TeamSelection, team.id)
        if selection is not None and out_driver in selection.drivers and in_driver not in selection.drivers:
            current = Picks(tuple(selection.drivers), tuple(selection.constructors), selection.boost_driver)
            kept, _ = final_fix_picks(current, None, fix)
            selection.drivers, selection.boost_driver = list(kept.drivers), kept.boost_driver
        return {"out": out_driver, "in": in_driver}


def _played(play: ChipPlay | None) -> Chip | None:
    return chip_of(play.chip) if play is not None else None


def _check_chip_fields(data: ChipIn) -> None:
    if data.chip == Chip.EXTRA_DRS and data.extra_drs_driver is None:
        raise Invalid("Extra DRS needs extra_drs_driver: the driver who scores x3")
    if data.chip != Chip.EXTRA_DRS and data.extra_drs_driver is not None:
        raise Invalid("extra_drs_driver goes only with the extra_drs chip")
    if data.chip == Chip.FINAL_FIX and (data.out_driver is None or data.in_driver is None):
        raise Invalid("Final Fix needs out_driver and in_driver")
    if data.chip != Chip.FINAL_FIX and (data.out_driver is not None or data.in_driver is not None):
        raise Invalid("out_driver and in_driver go only with the final_fix chip")
