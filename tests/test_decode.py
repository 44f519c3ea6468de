"""The decoder: every input either decodes into a typed event or comes back as a reasoned
rejection; nothing raises (hypothesis over payloads)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.decode import MAX_PAYLOAD_BYTES, Message, Rejected, decode_line, decode_payload
from ingest.events import TOPIC_TYPES, Lap, SessionResult
from tests.conftest import FEEDS

AT = datetime(2025, 4, 6, 5, 0, tzinfo=UTC)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=20,
)
topics = st.sampled_from([f"v1/{t}" for t in TOPIC_TYPES] + ["v1/weather", "x/y", ""])


@settings(max_examples=500, deadline=None)
@given(
    topic=topics,
    payload=st.dictionaries(
        st.sampled_from(
            [
                "session_key",
                "driver_number",
                "position",
                "date",
                "date_start",
                "lap_duration",
                "dsq",
                "meeting_key",
                "session_name",
                "name_acronym",
                "team_name",
                "lap_number",
                "overtaking_driver_number",
                "_key",
                "_id",
            ]
        ),
        json_values,
        max_size=8,
    ),
)
def test_any_json_payload_decodes_or_is_rejected(topic: str, payload: dict[str, object]) -> None:
    result = decode_payload(topic, json.dumps(payload).encode(), AT, 7)
    assert isinstance(result, (Message, Rejected))
    if isinstance(result, Rejected):
        assert result.reason
        assert result.offset == 7


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_as_a_line_are_rejected_or_decoded(line: bytes) -> None:
    assert isinstance(decode_line(line, 1), (Message, Rejected))


def test_null_number_of_laps_and_qualifying_durations_decode() -> None:
    payload = {
        "session_key": 2025044,
        "driver_number": 27,
        "position": None,
        "number_of_laps": None,
        "dnf": False,
        "dns": False,
        "dsq": True,
        "duration": [None, 90.1, None],
    }
    result = decode_payload("v1/session_result", json.dumps(payload).encode(), AT, 0)
    assert isinstance(result, Message)
    assert isinstance(result.event, SessionResult)
    assert result.event.dsq is True
    assert result.event.number_of_laps is None


def test_reasons_name_what_is_wrong() -> None:
    wrong_type = decode_payload(
        "v1/laps", b'{"session_key": 1, "driver_number": "four", "lap_number": 1}', AT, 0
    )
    assert isinstance(wrong_type, Rejected)
    assert wrong_type.category == "invalid"
    assert "driver_number" in wrong_type.reason
    oversized = decode_payload("v1/laps", b"{" + b" " * MAX_PAYLOAD_BYTES + b"}", AT, 0)
    assert isinstance(oversized, Rejected)
    assert oversized.category == "oversized"
    unknown = decode_payload("v1/weather", b"{}", AT, 0)
    assert isinstance(unknown, Rejected)
    assert unknown.category == "unknown_topic"
    naive = decode_payload(
        "v1/laps",
        b'{"session_key": 1, "driver_number": 4, "lap_number": 1, "date_start": "2025-04-06T05:00:00"}',
        AT,
        0,
    )
    assert isinstance(naive, Message)
    assert isinstance(naive.event, Lap)
    assert naive.event.date_start is not None
    assert naive.event.date_start.tzinfo is not None


SHARED_LINES = [line for feed in sorted(FEEDS.glob("*.jsonl")) for line in feed.read_bytes().splitlines()]


def _apart(line: bytes, offset: int) -> Message | Rejected:
    """The long way: envelope first, then the payload by its topic."""
    document = json.loads(line)
    at = datetime.fromisoformat(document["at"].replace("Z", "+00:00"))
    return decode_payload(document["topic"], json.dumps(document["payload"]).encode(), at, offset)


@settings(max_examples=300, deadline=None)
@given(index=st.integers(0, len(SHARED_LINES) - 1), payload_first=st.booleans())
def test_one_pass_decode_of_a_line_equals_decoding_envelope_and_payload_apart(
    index: int, payload_first: bool
) -> None:
    line = SHARED_LINES[index]
    if payload_first:  # not topic first: the long way
        document = json.loads(line)
        line = json.dumps(
            {"payload": document["payload"], "at": document["at"], "topic": document["topic"]}
        ).encode()
    assert decode_line(line, index) == _apart(line, index)
