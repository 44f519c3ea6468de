"""Who is on a live stream: a ticket in the URL (browsers), else a bearer access token (other clients).

The stream routes are outside the JWT middleware (a browser has no header to send), so they resolve the
caller here. Neither credential is ever logged: rejections say what to do, not what was sent.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from api.domain.accounts.gate import SessionGate
from api.domain.accounts.guards import CurrentUser, bearer_token
from api.domain.accounts.tokens import TokenIssuer
from api.domain.live.tickets import TicketBook
from api.errors import ErrorCode, Unauthorized

TICKET_PARAM = "ticket"


async def stream_caller(
    request: Request[Any, Any, Any], tickets: TicketBook, issuer: TokenIssuer, gate: SessionGate
) -> CurrentUser:
    ticket = request.query_params.get(TICKET_PARAM)
    if ticket is not None:
        user_id = await tickets.redeem(ticket)
        if user_id is None:
            raise Unauthorized(
                "the ticket is unknown, expired or already used: POST /api/live/tickets for a new one"
            )
        return CurrentUser(user_id, "")  # a ticket is issued to an open session and lives a minute
    header = request.headers.get("authorization")
    if header:
        claims = issuer.read_access(bearer_token(header))
        if await gate.user_of(claims.session_id) != claims.user_id:
            raise Unauthorized(
                "this session has ended (logged out, or the password changed); log in again",
                code=ErrorCode.SESSION_ENDED,
            )
        return CurrentUser(claims.user_id, claims.session_id)
    raise Unauthorized(
        "a live stream needs ?ticket=... (POST /api/live/tickets) or an Authorization: Bearer header"
    )
