"""Routes of the live-push domain: tickets, and server-sent event streams of a league's leaderboard and of
a team's score, pushed when the meeting's scores change."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import SecurityRequirement
from litestar.params import Parameter
from litestar.response import ServerSentEvent, Stream
from litestar.types import Send

from api.domain.accounts.gate import SessionGate
from api.domain.accounts.guards import CurrentUser
from api.domain.accounts.tokens import TokenIssuer
from api.domain.live.access import own_team_in_league
from api.domain.live.callers import stream_caller
from api.domain.live.events import Pace, channel_notes, live_events, meeting_changes
from api.domain.live.feeds import Feed, Feeds, broadcast, follow
from api.domain.live.schemas import LiveLeaderboardOut, TicketOut
from api.domain.live.services import LiveReads
from api.domain.live.streams import FedStream
from api.domain.live.tickets import TicketBook
from api.domain.live.versions import LiveVersions
from api.domain.notifications.schemas import InboxOut
from api.domain.standings.hot import board_state, score_state
from api.domain.standings.schemas import TeamScoreOut
from api.errors import responses
from api.lib.params import INT8_MAX, LeagueId, MeetingKey, TeamId
from store.live_keys import inbox_channel

EVENT_STREAM = "text/event-stream"
TICKET_SCHEME = "LiveTicket"  # OpenAPI security scheme: the `ticket` query parameter (api/app.py)
STREAM_SECURITY: list[SecurityRequirement] = [{"BearerToken": []}, {TICKET_SCHEME: []}]
LEADERBOARD_EVENT = "leaderboard"
INBOX_EVENT = "inbox"
SCORE_EVENT = "score"
SSE_HEADERS = {"Cache-Control": "no-cache", "Connection": "keep-alive", "X-Accel-Buffering": "no"}

Top = Annotated[int, Parameter(ge=1, le=200, description="teams from the top of the league in each event")]
OwnTeam = Annotated[
    int | None,
    Parameter(ge=1, le=INT8_MAX, description="one of your teams in the league: its rank comes as `own`"),
]


@dataclass(frozen=True, slots=True)
class LivePush:
    """What the stream routes share, built once by api/app.py."""

    channels: ChannelsPlugin
    tickets: TicketBook
    issuer: TokenIssuer
    gate: SessionGate
    reads: LiveReads
    pace: Pace
    versions: LiveVersions
    feeds: Feeds


def _stream_spec(event: str, shape: str, data: type[Any]) -> dict[int, ResponseSpec]:
    """The stream's documentation; its schema is that of one event's data (what `data:` carries)."""
    description = (
        f"A server-sent event stream (never ends by itself before LIVE_STREAM_MAX_S). Each `{event}` event's"
        f" data is one JSON {shape} (the schema here is one event's data); the first comes at once when there"
        " is a state, then one per change"
        " (at most one per LIVE_PUSH_INTERVAL_MS). Each event's `id` is the live state's version"
        " (`as_of.version`): reconnect with `Last-Event-ID` to skip a state already seen. Lines starting"
        " with `:` are keep-alive comments."
    )
    return {
        200: ResponseSpec(
            data_container=data, media_type=EVENT_STREAM, description=description, generate_examples=False
        ),
        **responses(400, 401, 403, 404, 429),
    }


def _event_stream(frames: AsyncIterator[bytes]) -> Stream:
    """Ready frames as a server-sent event stream (the headers Litestar's ServerSentEvent sends)."""
    return Stream(frames, media_type=EVENT_STREAM, headers=SSE_HEADERS)


def _fed_stream(run: Callable[[Send], Awaitable[None]]) -> Stream:
    """A server-sent event stream whose body `run` writes through the ASGI send (its feed's task does)."""
    return FedStream(run, media_type=EVENT_STREAM, headers=SSE_HEADERS)


class LiveController(Controller):
    path = "/api/live"
    tags = ["live"]

    @post(
        "/tickets",
        operation_id="createLiveTicket",
        summary="A ticket for a live stream",
        responses=responses(401),
    )
    async def ticket(
        self, request: Request[CurrentUser, Any, Any], push: NamedDependency[LivePush]
    ) -> TicketOut:
        """A single-use ticket for one live stream (EventSource cannot send an Authorization header):
        put it in the stream's URL as `?ticket=...` within `expires_in` seconds."""
        ticket = await push.tickets.issue(request.user.id)
        return TicketOut(ticket, int(push.tickets.ttl.total_seconds()))

    @get(
        "/leagues/{league_id:int}/leaderboard",
        operation_id="streamLeagueLeaderboard",
        summary="Stream a league's live leaderboard",
        exclude_from_auth=True,
        security=STREAM_SECURITY,
        media_type=EVENT_STREAM,
        responses=_stream_spec(
            LEADERBOARD_EVENT,
            "body of GET /api/leagues/{league_id}/leaderboard plus `own`",
            LiveLeaderboardOut,
        ),
    )
    async def leaderboard(
        self,
        league_id: LeagueId,
        meeting_key: MeetingKey,
        request: Request[Any, Any, Any],
        push: NamedDependency[LivePush],
        top: Top = 10,
        team_id: OwnTeam = None,
    ) -> Stream:
        """A league's live top `top` for a weekend, pushed on every change (same rules as the leaderboard
        read: a private league is for its members). Authenticate with `?ticket=` or a bearer token."""
        user = await stream_caller(request, push.tickets, push.issuer, push.gate)
        # The reads' own checks, answered from what this process keeps (5,000 streams opening in a burst
        # ask Postgres once, not 5,000 times); the team of `own` on a session of its own.
        await push.reads.hot.readable_league(user.id, league_id)
        if team_id is not None:
            async with push.reads.sessions() as session:
                await own_team_in_league(session, team_id, league_id, user.id)
        await push.reads.hot.known_meeting(meeting_key)
        reads, pace, versions = push.reads, push.pace, push.versions

        def feed() -> Feed:
            changes = meeting_changes(versions, meeting_key, pace.keepalive_s, board_state)
            return Feed(changes, LEADERBOARD_EVENT, partial(reads.board, league_id, meeting_key, top), pace)

        key = ("board", league_id, meeting_key, top)
        last_event_id = request.headers.get("last-event-id")
        if team_id is None:  # the shared frames alone: written by the feed's task
            return _fed_stream(partial(broadcast, push.feeds, key, feed, last_event_id))
        own = reads.own(league_id, meeting_key, team_id, LEADERBOARD_EVENT)
        return _event_stream(follow(push.feeds, key, feed, last_event_id, own))

    @get(
        "/teams/{team_id:int}/score",
        operation_id="streamTeamScore",
        summary="Stream a team's live score",
        exclude_from_auth=True,
        security=STREAM_SECURITY,
        media_type=EVENT_STREAM,
        responses=_stream_spec(SCORE_EVENT, "body of GET /api/teams/{team_id}/score", TeamScoreOut),
    )
    async def team_score(
        self,
        team_id: TeamId,
        meeting_key: MeetingKey,
        request: Request[Any, Any, Any],
        push: NamedDependency[LivePush],
    ) -> Stream:
        """A team's live score for a weekend, pushed on every change (same rules as the score read: its
        owner, or anyone who can read a league it plays in). Authenticate with `?ticket=` or a bearer
        token."""
        user = await stream_caller(request, push.tickets, push.issuer, push.gate)
        await push.reads.hot.readable_team(user.id, team_id)
        await push.reads.hot.known_meeting(meeting_key)
        reads, pace, versions = push.reads, push.pace, push.versions

        def feed() -> Feed:
            changes = meeting_changes(versions, meeting_key, pace.keepalive_s, score_state)
            return Feed(changes, SCORE_EVENT, partial(reads.team_score, team_id, meeting_key), pace)

        key = ("score", team_id, meeting_key)
        return _fed_stream(partial(broadcast, push.feeds, key, feed, request.headers.get("last-event-id")))

    @get(
        "/notifications",
        operation_id="streamNotifications",
        summary="Stream your inbox",
        exclude_from_auth=True,
        security=STREAM_SECURITY,
        media_type=EVENT_STREAM,
        responses=_stream_spec(
            INBOX_EVENT, "object {unread, latest}: your unread count and newest notification", InboxOut
        ),
    )
    async def notifications(
        self, request: Request[Any, Any, Any], push: NamedDependency[LivePush]
    ) -> ServerSentEvent:
        """Your inbox, pushed when it changes: the unread count and the newest notification. A new
        notification comes at once (its writer announces it on your channel); the state is also checked
        at least every LIVE_KEEPALIVE_S. Authenticate with `?ticket=` or a bearer token."""
        user = await stream_caller(request, push.tickets, push.issuer, push.gate)
        read = partial(push.reads.inbox, user.id)
        return ServerSentEvent(
            live_events(channel_notes(push.channels, inbox_channel(user.id)), INBOX_EVENT, read, push.pace)
        )
