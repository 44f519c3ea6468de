"""Routes of the calendar domain: meetings with session states, assets with prices (public reads)."""

from __future__ import annotations

from advanced_alchemy.extensions.litestar.providers import create_service_provider
from advanced_alchemy.service.pagination import OffsetPagination
from litestar import Controller, get
from litestar.di import NamedDependency, Provide

from api.domain.calendar.schemas import AssetsOut, MeetingOut, SeasonOut
from api.domain.calendar.services import CalendarService, PriceService
from api.domain.calendar.weekend import NO_WEEKEND
from api.errors import ErrorCode, NotFound, responses
from api.lib.pagination import DEFAULT_PAGE, page_of
from api.lib.params import MeetingKey, PageLimit, PageOffset
from scoring.rules import RuleSet
from store.live_read import AsyncLiveReader


class CalendarController(Controller):
    path = "/api"
    tags = ["calendar"]
    dependencies = {
        "calendar": Provide(create_service_provider(CalendarService)),
        "prices": Provide(create_service_provider(PriceService)),
    }

    @get(
        "/meetings",
        operation_id="listMeetings",
        summary="List the race weekends",
        exclude_from_auth=True,
        security=[{}],
        responses=responses(400, 429),
    )
    async def meetings(
        self,
        calendar: NamedDependency[CalendarService],
        live: NamedDependency[AsyncLiveReader],
        offset: PageOffset = 0,
        limit: PageLimit = DEFAULT_PAGE,
    ) -> OffsetPagination[MeetingOut]:
        """The weekends in date order, with their sessions and states (upcoming, live, provisional,
        final), one page at a time."""
        found = await calendar.meetings(live, offset=offset, limit=limit)
        return page_of(found, await calendar.meeting_count(), offset, limit)

    @get(
        "/seasons",
        operation_id="listSeasons",
        summary="List the seasons",
        exclude_from_auth=True,
        security=[{}],
        responses=responses(400, 429),
    )
    async def seasons(
        self,
        calendar: NamedDependency[CalendarService],
        offset: PageOffset = 0,
        limit: PageLimit = DEFAULT_PAGE,
    ) -> OffsetPagination[SeasonOut]:
        """The seasons of the calendar, newest first, each with its number of weekends and their span."""
        found = await calendar.seasons()
        return page_of(found[offset : offset + limit], len(found), offset, limit)

    @get(
        "/meetings/current",
        operation_id="getCurrentMeeting",
        summary="The current race weekend",
        exclude_from_auth=True,
        security=[{}],
        responses=responses(404, 429),
    )
    async def current(
        self, calendar: NamedDependency[CalendarService], live: NamedDependency[AsyncLiveReader]
    ) -> MeetingOut:
        """The weekend to show: the live or next one (rosters built now are for it), else, when every
        weekend is over, the last one. 404 `no_weekend` only when the calendar is empty."""
        weekend = await calendar.shown_weekend()
        if weekend is None:
            raise NotFound(NO_WEEKEND, code=ErrorCode.NO_WEEKEND)
        return (await calendar.meetings(live, weekend.meeting_key))[0]

    @get(
        "/meetings/{meeting_key:int}",
        operation_id="getMeeting",
        summary="One race weekend",
        exclude_from_auth=True,
        security=[{}],
        responses=responses(400, 404, 429),
    )
    async def meeting(
        self,
        meeting_key: MeetingKey,
        calendar: NamedDependency[CalendarService],
        live: NamedDependency[AsyncLiveReader],
    ) -> MeetingOut:
        """One weekend with its sessions and their state."""
        return (await calendar.meetings(live, meeting_key))[0]

    @get(
        "/meetings/{meeting_key:int}/assets",
        operation_id="listMeetingAssets",
        summary="Drivers and constructors of a weekend, with prices",
        exclude_from_auth=True,
        security=[{}],
        responses=responses(400, 404, 429),
    )
    async def meeting_assets(
        self,
        meeting_key: MeetingKey,
        calendar: NamedDependency[CalendarService],
        prices: NamedDependency[PriceService],
        rules: NamedDependency[RuleSet],
    ) -> AssetsOut:
        """Drivers and constructors with their prices for one race week."""
        await calendar.weekend(meeting_key)
        return await prices.assets(meeting_key, rules.team.budget)

    @get(
        "/assets",
        operation_id="listAssets",
        summary="Drivers and constructors on sale now",
        exclude_from_auth=True,
        security=[{}],
        responses=responses(404, 429),
    )
    async def assets(
        self,
        calendar: NamedDependency[CalendarService],
        prices: NamedDependency[PriceService],
        rules: NamedDependency[RuleSet],
    ) -> AssetsOut:
        """Drivers and constructors with their prices for the race week being played (the last one when
        the season is over)."""
        weekend = await calendar.shown_weekend()
        if weekend is None:
            raise NotFound(NO_WEEKEND, code=ErrorCode.NO_WEEKEND)
        return await prices.assets(weekend.meeting_key, rules.team.budget)
