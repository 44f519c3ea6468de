"""Every error answer, whoever raised it (a handler, a middleware, Litestar's own validation, the
repository layer), becomes one Problem body: `{code, detail, extra, status_code}`, with a code from
api.errors.ErrorCode and, for validation errors, messages in words naming each field."""

from __future__ import annotations

from typing import Any

import msgspec
from advanced_alchemy.exceptions import (
    DuplicateKeyError,
    ForeignKeyError,
    IntegrityError,
    NotFoundError,
    RepositoryError,
)
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_429_TOO_MANY_REQUESTS
from litestar.types import ExceptionHandlersMap

from api.errors import ApiError, ErrorCode, Problem
from api.lib.bodies import NOT_JSON
from api.lib.wording import in_words

_BY_STATUS = {
    400: ErrorCode.VALIDATION_FAILED,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.BODY_TOO_LARGE,
    429: ErrorCode.RATE_LIMITED,
    503: ErrorCode.UNAVAILABLE,
}
_WORDS = {
    404: "no such route; the API's routes are listed at /schema",
    405: "this route does not take this method; the ones it takes are in the Allow header",
    413: "the body is too large",
    429: "too many requests from this address; wait for Retry-After seconds and try again",
    500: "something went wrong on our side; it is logged, and trying again may work",
}


def _answer(
    status: int, code: ErrorCode, detail: str, extra: Any, headers: dict[str, str] | None
) -> Response[Problem]:
    return Response(
        Problem(code=code, detail=detail, status_code=status, extra=extra),
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


def _undecodable(exc: BaseException) -> bool:
    """Whether msgspec could not parse the body at all (as opposed to a well-formed body of wrong values)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, msgspec.DecodeError) and not isinstance(seen, msgspec.ValidationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _validation(exc: ValidationException) -> Response[Problem]:
    """Litestar's parameter and body validation: each message in words, with the field it is about."""
    raw = exc.extra if isinstance(exc.extra, list) else []
    fields = []
    for item in raw:
        if not isinstance(item, dict):
            continue
        key = item.get("key")
        if item.get("source") == "body" and key == "data":  # Litestar's name for the whole body
            key = None
        message, field = in_words(str(item.get("message", "")), str(key) if key else None)
        fields.append({"field": field, "source": item.get("source"), "message": message})
    if fields:
        detail = "; ".join(str(f["message"]) for f in fields)
        return _answer(400, ErrorCode.VALIDATION_FAILED, detail, fields, exc.headers)
    if _undecodable(exc):
        return _answer(400, ErrorCode.INVALID_BODY, f"{NOT_JSON}: {exc.detail}", None, exc.headers)
    message, _ = in_words(exc.detail)
    return _answer(400, ErrorCode.VALIDATION_FAILED, message, None, exc.headers)


def http_problem(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
    status = exc.status_code
    if isinstance(exc, ApiError):
        return _answer(status, exc.code, exc.detail, exc.extra, exc.headers)
    if isinstance(exc, ValidationException):
        return _validation(exc)
    if status == 400 and _undecodable(exc):
        return _answer(status, ErrorCode.INVALID_BODY, f"{NOT_JSON}: {exc.detail}", None, exc.headers)
    headers = dict(exc.headers or {})
    if status == HTTP_429_TOO_MANY_REQUESTS and "RateLimit-Reset" in headers:
        headers.setdefault("Retry-After", headers["RateLimit-Reset"])  # what clients and proxies read
    code = _BY_STATUS.get(status, ErrorCode.INTERNAL_ERROR if status >= 500 else ErrorCode.RULE_BROKEN)
    generic = exc.detail in (
        "",
        "Not Found",
        "Method Not Allowed",
        "Too Many Requests",
        "Internal Server Error",
    )
    detail = _WORDS.get(status, exc.detail) if generic or status >= 500 else exc.detail
    extra = exc.extra if status < 500 else None
    return _answer(status, code, detail, extra, headers)


def repository_problem(request: Request[Any, Any, Any], exc: RepositoryError) -> Response[Problem]:
    """The repository layer's lookups and constraints: a missing row, a duplicate, a broken reference."""
    if isinstance(exc, NotFoundError):
        return _answer(404, ErrorCode.NOT_FOUND, "no such resource", None, None)
    if isinstance(exc, DuplicateKeyError):
        return _answer(409, ErrorCode.DUPLICATE, "this exists already", None, None)
    if isinstance(exc, IntegrityError | ForeignKeyError):
        return _answer(
            409, ErrorCode.CONFLICT, "this clashes with what is stored; reload and retry", None, None
        )
    return server_problem(request, exc)


def server_problem(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
    """Anything unexpected: a 500 that says nothing of its cause (the cause is logged, see error_log)."""
    return _answer(500, ErrorCode.INTERNAL_ERROR, _WORDS[500], None, None)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    HTTPException: http_problem,
    RepositoryError: repository_problem,
    Exception: server_problem,
}
