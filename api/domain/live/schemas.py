"""Bodies of the live-push domain: tickets, and the leaderboard event (the read's shape plus one field)."""

from __future__ import annotations

import msgspec

from api.domain.standings.schemas import LeaderboardOut, StandingOut


class TicketOut(msgspec.Struct):
    ticket: str  # put it in the stream URL as ?ticket=...; valid once, for `expires_in` seconds
    expires_in: int


class LiveLeaderboardOut(LeaderboardOut):
    """GET /api/leagues/{id}/leaderboard's body (offset 0, limit `top`), plus the caller's team when asked."""

    own: StandingOut | None = None  # the team given as `team_id`: its rank and points in this league
