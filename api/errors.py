"""Rejections: every one is a 4xx whose body is a Problem, `{code, detail, extra}` (plus `status_code`):
`code` is for programs (one of ErrorCode, listed in docs/errors.md), `detail` says in words what a person
can do about it, `extra` carries the particulars (the fields a validation error is about)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import msgspec
from litestar.exceptions import HTTPException
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
)


class ErrorCode(StrEnum):
    """The machine-readable reason of an error; docs/errors.md says what each means and what to do."""

    # 400
    INVALID_BODY = "invalid_body"  # not JSON, or nested too deeply, or not UTF-8
    VALIDATION_FAILED = "validation_failed"  # a field or parameter of the wrong type or out of range
    RULE_BROKEN = "rule_broken"  # well-formed, but against a rule of the game
    ROSTER_INVALID = "roster_invalid"  # picks, assets or budget; `extra.problems` lists each
    WEAK_PASSWORD = "weak_password"  # noqa: S105 (a code, not a password)
    # 401
    UNAUTHORIZED = "unauthorized"  # no token, or one that is invalid or expired
    WRONG_CREDENTIALS = "wrong_credentials"  # e-mail or password wrong
    SESSION_ENDED = "session_ended"  # logged out, or the password changed: log in again
    TOKEN_INVALID = "token_invalid"  # noqa: S105 (a code) an e-mailed code unknown, used or expired
    # 403
    FORBIDDEN = "forbidden"  # it belongs to another player
    PRIVATE_LEAGUE = "private_league"  # a private league you are not in
    # 404
    NOT_FOUND = "not_found"  # no such route or resource
    TEAM_NOT_FOUND = "team_not_found"
    LEAGUE_NOT_FOUND = "league_not_found"
    MEETING_NOT_FOUND = "meeting_not_found"
    INVITE_CODE_UNKNOWN = "invite_code_unknown"
    NO_WEEKEND = "no_weekend"  # the calendar has no weekend at all
    NOT_STARTED = "not_started"  # the thing exists, its scores do not yet
    NOT_FINAL = "not_final"  # final results are asked for before they are final
    NO_ROSTER = "no_roster"  # the team had no roster when the weekend locked
    # 405, 409, 413, 429, 5xx
    METHOD_NOT_ALLOWED = "method_not_allowed"
    CONFLICT = "conflict"  # clashes with the current state
    ROSTER_LOCKED = "roster_locked"  # the weekend has started: rosters open again once it is final
    LIMIT_REACHED = "limit_reached"  # teams per player, teams per league
    DUPLICATE = "duplicate"  # a name or membership that exists already
    CHIP_UNAVAILABLE = "chip_unavailable"  # played already this season, or another one this weekend
    BODY_TOO_LARGE = "body_too_large"
    RATE_LIMITED = "rate_limited"
    INTERNAL_ERROR = "internal_error"
    UNAVAILABLE = "unavailable"


class Problem(msgspec.Struct):
    """The body of every error response."""

    code: ErrorCode
    detail: str
    status_code: int
    extra: dict[str, Any] | list[Any] | None = None


class ApiError(HTTPException):
    """An error with its code; subclasses fix the status and the default code."""

    default_code = ErrorCode.RULE_BROKEN

    def __init__(
        self, detail: str, *, code: ErrorCode | None = None, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(detail=detail, extra=extra)
        self.code = code or self.default_code


class Invalid(ApiError):  # noqa: N818 (named by what the client did, as before)
    """400: the request is well-formed but breaks a rule of the game."""

    status_code = HTTP_400_BAD_REQUEST


class Unauthorized(ApiError):  # noqa: N818 (named by what the client did, as before)
    """401: no valid credentials."""

    status_code = HTTP_401_UNAUTHORIZED
    default_code = ErrorCode.UNAUTHORIZED


class Forbidden(ApiError):  # noqa: N818 (named by what the client did, as before)
    """403: authenticated, but this belongs to someone else."""

    status_code = HTTP_403_FORBIDDEN
    default_code = ErrorCode.FORBIDDEN


class NotFound(ApiError):  # noqa: N818 (named by what the client did, as before)
    """404: no such thing."""

    status_code = HTTP_404_NOT_FOUND
    default_code = ErrorCode.NOT_FOUND


class Conflict(ApiError):  # noqa: N818 (named by what the client did, as before)
    """409: the request clashes with the current state (locked rosters, a full league, a duplicate)."""

    status_code = HTTP_409_CONFLICT
    default_code = ErrorCode.CONFLICT


_DESCRIPTIONS = {
    400: "The request breaks a rule (`invalid_body`, `validation_failed`, `rule_broken`, `roster_invalid`,"
    " `weak_password`); `detail` says which in words, `extra` names the fields.",
    401: "Missing, expired or invalid credentials (`unauthorized`, `wrong_credentials`, `session_ended`,"
    " `token_invalid`).",
    403: "This belongs to another player (`forbidden`, `private_league`).",
    404: "No such resource, or not yet (`not_found`, `team_not_found`, `league_not_found`,"
    " `meeting_not_found`, `invite_code_unknown`, `no_weekend`, `not_started`, `not_final`, `no_roster`).",
    409: "Clashes with the current state (`conflict`, `roster_locked`, `limit_reached`, `duplicate`,"
    " `chip_unavailable`); `detail` says how to proceed.",
    429: "Too many attempts from this address (`rate_limited`); wait and retry.",
}


def responses(*codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI descriptions of a handler's error responses, all with the Problem body."""
    return {
        code: ResponseSpec(data_container=Problem, description=_DESCRIPTIONS[code], generate_examples=False)
        for code in codes
    }
