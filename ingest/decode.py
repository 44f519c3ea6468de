"""Decode recorded-feed lines and MQTT messages into typed events, or a reasoned rejection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import msgspec

from ingest.events import TOPIC_TYPES, OpenF1, event_time
from ingest.recorded import RawLine

MAX_PAYLOAD_BYTES = 64 * 1024
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
    try:
        event = decoder.decode(payload)
    except msgspec.ValidationError as exc:
        return Rejected(f"invalid: {exc}", topic, offset, payload, at)
    except msgspec.DecodeError as exc:
        return Rejected(f"malformed: {exc}", topic, offset, payload, at)
    event = _normalise(event)
    arrived = _as_utc(at)
    return Message(topic=topic, at=arrived, offset=offset, event=event, event_time=event_time(event, arrived))


_DATE_FIELDS = {
    kind: tuple(f for f in ("date", "date_start", "date_end") if f in kind.__struct_fields__)
    for kind in TOPIC_TYPES.values()
}


def _normalise(event: OpenF1) -> OpenF1:
    """Make every datetime timezone-aware UTC so that event times compare."""
    changes = {}
    for name in _DATE_FIELDS[type(event)]:
        value = getattr(event, name)
        if value is not None and value.tzinfo is None:
            changes[name] = value.replace(tzinfo=UTC)
    return msgspec.structs.replace(event, **changes) if changes else event


def decode_line(line: bytes, offset: int, prefix: str = DEFAULT_PREFIX) -> Message | Rejected:
    """Decode one recorded-feed line (`{"topic", "at", "payload"}`)."""
    if len(line) > MAX_PAYLOAD_BYTES + 1024:
        return Rejected("oversized: line too long", "", offset, line[:1024], datetime.now(UTC))
    fast = _decode_topic_first(line, offset, prefix)
    if fast is not None:
        return fast
    try:
        envelope = _envelope_decoder.decode(line)
    except msgspec.ValidationError as exc:
        return Rejected(f"invalid: envelope {exc}", "", offset, line, datetime.now(UTC))
    except msgspec.DecodeError as exc:
        return Rejected(f"malformed: {exc}", "", offset, line, datetime.now(UTC))
    return decode_payload(envelope.topic, bytes(envelope.payload), _as_utc(envelope.at), offset, prefix)


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
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    if len(line) > MAX_PAYLOAD_BYTES or typed.topic != topic.decode():
        return None
    event = _normalise(typed.payload)
    arrived = _as_utc(typed.at)
    return Message(typed.topic, arrived, offset, event, event_time(event, arrived))


def decode_input(item: object, prefix: str = DEFAULT_PREFIX) -> Message | Rejected:
    """Decode whatever a source hands the flow: a recorded line or an MQTT message."""
    if isinstance(item, RawLine):
        return decode_line(item.data, item.offset, prefix)
    topic = getattr(item, "topic", None)
    payload = getattr(item, "payload", None)
    at = getattr(item, "at", None)
    offset = getattr(item, "offset", -1)
    if isinstance(topic, str) and isinstance(payload, bytes) and isinstance(at, datetime):
        return decode_payload(topic, payload, at, offset, prefix)
    return Rejected(f"invalid: unsupported input {type(item).__name__}", "", -1, b"", datetime.now(UTC))
