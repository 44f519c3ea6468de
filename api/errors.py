"""Rejections: every one is a 4xx whose `detail` says what a person can do about it."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.exceptions import (
    ClientException,
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
)
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_409_CONFLICT


class Problem(msgspec.Struct):
    """The body of every error response."""

    status_code: int
    detail: str
    extra: dict[str, Any] | list[Any] | None = None


class Invalid(ClientException):
    """400: the request is well-formed but breaks a rule of the game."""


class Unauthorized(NotAuthorizedException):
    """401: no valid credentials."""


class Forbidden(PermissionDeniedException):
    """403: authenticated, but this belongs to someone else."""


class NotFound(NotFoundException):
    """404: no such thing."""


class Conflict(HTTPException):
    """409: the request clashes with the current state (locked rosters, a full league, a duplicate)."""

    status_code = HTTP_409_CONFLICT


_DESCRIPTIONS = {
    400: "The request breaks a rule; `detail` says which.",
    401: "Missing, expired or invalid credentials.",
    403: "This belongs to another player.",
    404: "No such resource.",
    409: "Clashes with the current state; `detail` says how to proceed.",
    429: "Too many attempts from this address; wait and retry.",
}


def responses(*codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI descriptions of a handler's error responses, all with the Problem body."""
    return {
        code: ResponseSpec(data_container=Problem, description=_DESCRIPTIONS[code], generate_examples=False)
        for code in codes
    }
