"""A Litestar stream response whose body is written through the ASGI send by a callable, not pulled from an
async iterator by the stream's own loop: a live feed writes one frame to all its streams from its own task
(api/domain/live/feeds.py's `broadcast`). Headers, the end of the body, a client's disconnect (which cancels
the writer) and background tasks are Litestar's, as for any `Stream`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from litestar.response import Stream
from litestar.response.streaming import ASGIStreamingResponse
from litestar.types import HTTPResponseBodyEvent, Send

Writer = Callable[[Send], Awaitable[None]]


class FedStream(Stream):
    __slots__ = ("writer",)

    def __init__(self, writer: Writer, **kwargs: Any) -> None:
        super().__init__(_nothing(), **kwargs)
        self.writer = writer

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> ASGIStreamingResponse:
        made = super().to_asgi_response(*args, **kwargs)
        fed = _FedASGIResponse.__new__(_FedASGIResponse)
        for cls in type(made).__mro__:  # the same response, with its body written by the writer
            for slot in getattr(cls, "__slots__", ()):
                if hasattr(made, slot):
                    setattr(fed, slot, getattr(made, slot))
        fed.writer = self.writer
        return fed


class _FedASGIResponse(ASGIStreamingResponse):
    __slots__ = ("writer",)
    writer: Writer

    async def _stream(self, send: Send) -> None:
        await self.writer(send)
        end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": b"", "more_body": False}
        await send(end)


async def _nothing() -> AsyncIterator[bytes]:
    return
    yield b""  # an async generator that ends at once (the writer writes the body)
