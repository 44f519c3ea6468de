"""Decode recorded-feed lines and MQTT messages into typed events, or a reasoned rejection.

Nothing a message holds may raise out of here: the decode step runs inside the flow, where an
exception ends the engine. Size, encoding (UTF-8) and nesting depth are checked before msgspec
sees the bytes (msgspec recurses per level and raises RecursionError near 1,000 levels, fewer on a
deeper stack); types and ranges (ingest/events.py) while it decodes; dates after.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import accumulate
from typing import Any, Generic, TypeVar

import msgspec

from ingest.events import TOPIC_TYPES, OpenF1, event_time
from ingest.recorded import RawLine

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 64 * 1024
MAX_JSON_DEPTH = 32  # OpenF1 documents nest 2 deep; the limit must not depend on the caller's stack
EARLIEST = datetime(1950, 1, 1, tzinfo=UTC)  # event dates outside these are never a real session's
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
E = TypeVar("E", bound=OpenF1)
DEFAULT_PREFIX = "v1/"


class Envelope(msgspec.Struct, frozen=True):
    """One line of a recorded feed: an MQTT message with its arrival time."""

    topic: str
    at: datetime
    payload: msgspec.Raw


@dataclass(frozen=True, slots=True)
class Message:
    """A decoded input: the event with where and when it arrived, and when it happened."""

    topic: str
    at: datetime
    offset: int
    event: OpenF1
    event_time: datetime


@dataclass(frozen=True, slots=True)
class Rejected:
    """An input that could not be used, kept with its reason so nothing is silently lost."""

    reason: str
    topic: str
    offset: int
    raw: bytes
    at: datetime

    @property
    def category(self) -> str:
        return self.reason.split(":", 1)[0]


_envelope_decoder = msgspec.json.Decoder(Envelope)
_payload_decoders = {topic: msgspec.json.Decoder(kind) for topic, kind in TOPIC_TYPES.items()}


class _Typed(msgspec.Struct, Generic[E], frozen=True):
    """A recorded line whose topic is known before decoding: envelope and payload in one pass."""

    topic: str
    at: datetime
    payload: E


_line_decoders: dict[bytes, msgspec.json.Decoder[Any]] = {
    topic.encode(): msgspec.json.Decoder(_Typed[kind])  # type: ignore[valid-type]
    for topic, kind in TOPIC_TYPES.items()
}
_TOPIC_FIRST = b'{"topic": "'  # how our recorder, and the shared feeds, begin every line


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"?', re.DOTALL)  # a JSON string, or one cut off at the end
_BRACKETS = b"[]{}"
_NOT_BRACKETS = bytes(b for b in range(256) if b not in _BRACKETS)
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def too_deep(document: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON `document` nests deeper than `limit` arrays and objects (linear time, no recursion).

    Counting every bracket bounds the depth from above, so a document with few brackets is done in
    two C-speed counts; only one with more than `limit` of them is scanned with its strings removed."""
    if document.count(b"[") + document.count(b"{") <= limit:
        return False
    bare = _STRING.sub(b"", document).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, bare)), default=0) > limit


def _not_utf8(data: bytes) -> str | None:
    """Why `data` is not UTF-8 (JSON must be), or None."""
    if data.isascii():
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 at byte {exc.start}"
    return None


def decode_payload(
    topic: str,
    payload: bytes,
    at: datetime,
    offset: int,
    prefix: str = DEFAULT_PREFIX,
) -> Message | Rejected:
    """Decode one MQTT message (topic and payload bytes)."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return Rejected(
            f"oversized: {len(payload)} bytes > {MAX_PAYLOAD_BYTES}", topic, offset, payload[:1024], at
        )
    collection = topic[len(prefix) :] if topic.startswith(prefix) else None
    decoder = _payload_decoders.get(collection or "")
    if decoder is None:
        return Rejected(f"unknown_topic: {topic}", topic, offset, payload, at)
    problem = _not_utf8(payload)
    if problem is None and too_deep(payload):
        problem = f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
    if problem is not None:
        return Rejected(f"malformed: {problem}", topic, offset, payload, at)
    try:
        event = decoder.decode(payload)
    except msgspec.ValidationError as exc:
        return Rejected(f"invalid: {exc}", topic, offset, payload, at)
    except (msgspec.DecodeError, RecursionError) as exc:
        return Rejected(f"malformed: {exc}", topic, offset, payload, at)
    checked = _normalise(event)
    if isinstance(checked, str):
        return Rejected(f"invalid: {checked}", topic, offset, payload, at)
    arrived = _as_utc(at)
    return Message(
        topic=topic, at=arrived, offset=offset, event=checked, event_time=event_time(checked, arrived)
    )


_DATE_FIELDS = {
    kind: tuple(f for f in ("date", "date_start", "date_end") if f in kind.__struct_fields__)
    for kind in TOPIC_TYPES.values()
}


def _normalise(event: OpenF1) -> OpenF1 | str:
    """Make every datetime timezone-aware (UTC if it had no zone) so that event times compare; a date
    outside [EARLIEST, LATEST) gives the reason instead (windows and clocks overflow near year 1 or 9999)."""
    changes = {}
    for name in _DATE_FIELDS[type(event)]:
        value = getattr(event, name)
        if value is None:
            continue
        if value.tzinfo is None:
            value = changes[name] = value.replace(tzinfo=UTC)
        if not EARLIEST <= value < LATEST:
            return (
                f"{name} {value.isoformat()} is not between {EARLIEST.year} and {LATEST.year} - at `$.{name}`"
            )
    return msgspec.structs.replace(event, **changes) if changes else event


def decode_line(line: bytes, offset: int, prefix: str = DEFAULT_PREFIX) -> Message | Rejected:
    """Decode one recorded-feed line (`{"topic", "at", "payload"}`)."""
    if len(line) > MAX_PAYLOAD_BYTES + 1024:
        return Rejected("oversized: line too long", "", offset, line[:1024], datetime.now(UTC))
    problem = _not_utf8(line)
    if problem is None and too_deep(line, MAX_JSON_DEPTH + 1):
        problem = f"JSON nested deeper than {MAX_JSON_DEPTH} levels"
    if problem is not None:
        return Rejected(f"malformed: {problem}", "", offset, line, datetime.now(UTC))
    fast = _decode_topic_first(line, offset, prefix)
    if fast is not None:
        return fast
    try:
        envelope = _envelope_decoder.decode(line)
        at = _as_utc(envelope.at)
    except (msgspec.ValidationError, OverflowError) as exc:
        return Rejected(f"invalid: envelope {exc}", "", offset, line, datetime.now(UTC))
    except (msgspec.DecodeError, RecursionError) as exc:
        return Rejected(f"malformed: {exc}", "", offset, line, datetime.now(UTC))
    return decode_payload(envelope.topic, bytes(envelope.payload), at, offset, prefix)


def _decode_topic_first(line: bytes, offset: int, prefix: str) -> Message | None:
    """One pass for a line that names its topic first; None (decode it the long way, which says
    what is wrong) for anything else or anything that does not decode."""
    if not line.startswith(_TOPIC_FIRST):
        return None
    end = line.find(b'"', len(_TOPIC_FIRST))
    topic = line[len(_TOPIC_FIRST) : end]
    if end < 0 or not topic.startswith(prefix.encode()):
        return None
    decoder = _line_decoders.get(topic[len(prefix) :])
    if decoder is None:
        return None
    try:
        typed = decoder.decode(line)
        arrived = _as_utc(typed.at)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError, OverflowError):
        return None
    if len(line) > MAX_PAYLOAD_BYTES or typed.topic != topic.decode():
        return None
    event = _normalise(typed.payload)
    if isinstance(event, str):
        return None
    return Message(typed.topic, arrived, offset, event, event_time(event, arrived))


_surprises: set[str] = set()


def decode_input(item: object, prefix: str = DEFAULT_PREFIX) -> Message | Rejected:
    """Decode whatever a source hands the flow: a recorded line or an MQTT message.

    The checks above are meant to cover every way a message can be wrong; should one still raise,
    it is rejected here (and the first of each kind logged) rather than ending the engine."""
    try:
        if isinstance(item, RawLine):
            return decode_line(item.data, item.offset, prefix)
        topic = getattr(item, "topic", None)
        payload = getattr(item, "payload", None)
        at = getattr(item, "at", None)
        offset = getattr(item, "offset", -1)
        if isinstance(topic, str) and isinstance(payload, bytes) and isinstance(at, datetime):
            return decode_payload(topic, payload, at, offset, prefix)
    except Exception as exc:  # one message must never stop the flow
        kind = type(exc).__name__
        if kind not in _surprises:
            _surprises.add(kind)
            log.exception("decoding raised %s; rejected as malformed (logged once per kind)", kind)
        data = item.data if isinstance(item, RawLine) else getattr(item, "payload", b"")
        raw = data[:1024] if isinstance(data, bytes) else b""
        where = getattr(item, "topic", "")
        return Rejected(
            f"malformed: {kind} while decoding",
            where if isinstance(where, str) else "",
            getattr(item, "offset", -1),
            raw,
            datetime.now(UTC),
        )
    return Rejected(f"invalid: unsupported input {type(item).__name__}", "", -1, b"", datetime.now(UTC))
