"""Request bodies are decoded here, once for every route, so that no body can become a 5xx.

msgspec raises msgspec.DecodeError for malformed JSON (Litestar turns it into a 400), but RecursionError
for nesting of about a thousand levels and UnicodeDecodeError for invalid UTF-8 inside a string; both
would reach the app as server errors, with a traceback in the log for every such request.
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from api.errors import ErrorCode, Invalid

NOT_JSON = "the body is not valid JSON"


class SafeRequest(Request[Any, Any, Any]):
    """A Request whose JSON and MessagePack decoding answer 400 (with the reason) for any bad body."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:
            raise Invalid(f"{NOT_JSON}: it is nested too deeply", code=ErrorCode.INVALID_BODY) from None
        except UnicodeDecodeError:
            raise Invalid(f"{NOT_JSON}: it contains invalid UTF-8", code=ErrorCode.INVALID_BODY) from None

    async def msgpack(self) -> Any:
        try:
            return await super().msgpack()
        except RecursionError:
            raise Invalid(
                "the body is not valid MessagePack: it is nested too deeply", code=ErrorCode.INVALID_BODY
            ) from None
        except UnicodeDecodeError:
            raise Invalid(
                "the body is not valid MessagePack: it contains invalid UTF-8", code=ErrorCode.INVALID_BODY
            ) from None
