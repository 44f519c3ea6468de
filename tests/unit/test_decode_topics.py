"""ingest/decode.py: every topic of the input contract decodes into its typed event with its event
time, and every way a message can be wrong comes back as a Rejected with its reason's category."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from ingest.decode import (
    MAX_JSON_DEPTH,
    MAX_PAYLOAD_BYTES,
    Message,
    Rejected,
    decode_input,
    decode_line,
    decode_payload,
)
from ingest.events import (
    TOPIC_TYPES,
    DriverInfo,
    DriverOfTheDay,
    GridSlot,
    Lap,
    OpenF1,
    Overtake,
    PitStop,
    Position,
    RaceControl,
    SessionInfo,
    SessionResult,
)
from ingest.recorded import RawLine

AT = datetime(2025, 4, 13, 15, 30, tzinfo=UTC)  # arrival
WHEN = datetime(2025, 4, 13, 15, 10, tzinfo=UTC)  # the payload's own date
DATE = WHEN.isoformat()

# topic -> (payload, type, fields it must decode to, event time)
HAPPY: dict[str, tuple[dict[str, Any], type[OpenF1], dict[str, Any], datetime]] = {
    "sessions": (
        {"session_key": 9, "meeting_key": 1, "session_name": "Race", "date_start": DATE, "year": 2025},
        SessionInfo,
        {"meeting_key": 1, "session_name": "Race", "date_start": WHEN, "year": 2025},
        WHEN,
    ),
    "drivers": (
        {"session_key": 9, "driver_number": 44, "name_acronym": "HAM", "team_name": "Ferrari"},
        DriverInfo,
        {"driver_number": 44, "name_acronym": "HAM", "team_name": "Ferrari", "full_name": None},
        AT,
    ),
    "starting_grid": (
        {"session_key": 9, "driver_number": 44, "position": 20, "pit_lane_start": True},
        GridSlot,
        {"driver_number": 44, "position": 20, "pit_lane_start": True},
        AT,
    ),
    "position": (
        {"session_key": 9, "driver_number": 44, "date": DATE, "position": 3},
        Position,
        {"driver_number": 44, "position": 3, "date": WHEN},
        WHEN,
    ),
    "laps": (
        {"session_key": 9, "driver_number": 44, "lap_number": 7, "date_start": DATE, "lap_duration": 91.25},
        Lap,
        {"lap_number": 7, "lap_duration": 91.25, "date_start": WHEN},
        WHEN,
    ),
    "overtakes": (
        {"session_key": 9, "overtaking_driver_number": 44, "overtaken_driver_number": 16, "date": DATE},
        Overtake,
        {"overtaking_driver_number": 44, "overtaken_driver_number": 16, "position": None},
        WHEN,
    ),
    "pit": (
        {"session_key": 9, "driver_number": 44, "date": DATE, "stop_duration": 2.4, "lane_duration": 21.9},
        PitStop,
        {"stop_duration": 2.4, "lane_duration": 21.9, "lap_number": None},
        WHEN,
    ),
    "race_control": (
        {"session_key": 9, "date": DATE, "flag": "CHEQUERED", "category": "Flag"},
        RaceControl,
        {"flag": "CHEQUERED", "category": "Flag", "driver_number": None},
        WHEN,
    ),
    "session_result": (
        {"session_key": 9, "driver_number": 44, "position": None, "dnf": True, "number_of_laps": 30},
        SessionResult,
        {"position": None, "dnf": True, "dns": False, "dsq": False, "number_of_laps": 30},
        AT,
    ),
    "driver_of_the_day": (
        {"session_key": 9, "meeting_key": 1, "driver_number": 44, "date": DATE},
        DriverOfTheDay,
        {"driver_number": 44, "meeting_key": 1},
        WHEN,
    ),
}


def test_every_topic_of_the_contract_has_a_happy_case() -> None:
    assert set(HAPPY) == set(TOPIC_TYPES)


def _check(result: Message | Rejected, collection: str, offset: int) -> None:
    _, kind, fields, event_time = HAPPY[collection]
    assert isinstance(result, Message), result
    assert type(result.event) is kind
    assert result.event.session_key == 9
    assert {name: getattr(result.event, name) for name in fields} == fields
    assert (result.topic, result.offset, result.at, result.event_time) == (
        f"v1/{collection}",
        offset,
        AT,
        event_time,
    )


@pytest.mark.parametrize("collection", sorted(HAPPY))
def test_each_topic_decodes_from_an_mqtt_message(collection: str) -> None:
    payload = json.dumps(HAPPY[collection][0]).encode()
    _check(decode_payload(f"v1/{collection}", payload, AT, 11), collection, 11)


@pytest.mark.parametrize("collection", sorted(HAPPY))
def test_each_topic_decodes_from_a_recorded_line(collection: str) -> None:
    line = json.dumps({"topic": f"v1/{collection}", "at": AT.isoformat(), "payload": HAPPY[collection][0]})
    _check(decode_line(line.encode(), 12), collection, 12)


@pytest.mark.parametrize("collection", sorted(HAPPY))
def test_each_topic_decodes_from_a_line_with_its_fields_in_another_order(collection: str) -> None:
    line = json.dumps({"payload": HAPPY[collection][0], "at": AT.isoformat(), "topic": f"v1/{collection}"})
    _check(decode_line(line.encode(), 13), collection, 13)


def test_event_time_is_arrival_when_the_payload_has_no_date() -> None:
    lap = decode_payload("v1/laps", b'{"session_key": 9, "driver_number": 4, "lap_number": 1}', AT, 0)
    assert isinstance(lap, Message)
    assert lap.event_time == AT
    dotd = decode_payload("v1/driver_of_the_day", b'{"session_key": 9, "driver_number": 4}', AT, 0)
    assert isinstance(dotd, Message)
    assert dotd.event_time == AT


def test_dates_without_a_zone_are_utc_and_others_keep_their_instant() -> None:
    naive = decode_payload(
        "v1/position",
        b'{"session_key": 9, "driver_number": 4, "position": 1, "date": "2025-04-13T15:10:00"}',
        AT,
        0,
    )
    assert isinstance(naive, Message)
    assert isinstance(naive.event, Position)
    assert naive.event.date == WHEN
    assert naive.event.date.tzinfo is not None
    offset = decode_payload(
        "v1/position",
        b'{"session_key": 9, "driver_number": 4, "position": 1, "date": "2025-04-13T17:10:00+02:00"}',
        AT,
        0,
    )
    assert isinstance(offset, Message)
    assert offset.event_time == WHEN


def test_arrival_is_made_utc() -> None:
    local = AT.astimezone(timezone(timedelta(hours=-5)))
    result = decode_payload("v1/drivers", json.dumps(HAPPY["drivers"][0]).encode(), local, 0)
    assert isinstance(result, Message)
    assert result.at == AT
    assert result.at.utcoffset() == timedelta(0)
    naive = decode_payload("v1/drivers", json.dumps(HAPPY["drivers"][0]).encode(), AT.replace(tzinfo=None), 0)
    assert isinstance(naive, Message)
    assert naive.at == AT


def test_unknown_fields_are_ignored_and_openf1_keys_kept() -> None:
    payload = HAPPY["overtakes"][0] | {"_key": "9_44_16_x", "_id": 1234, "broadcast": {"any": [1, 2]}}
    result = decode_payload("v1/overtakes", json.dumps(payload).encode(), AT, 0)
    assert isinstance(result, Message)
    assert (result.event.doc_key, result.event.doc_id) == ("9_44_16_x", 1234)


def test_a_custom_topic_prefix_is_honoured() -> None:
    payload = json.dumps(HAPPY["drivers"][0]).encode()
    assert isinstance(decode_payload("openf1/drivers", payload, AT, 0, prefix="openf1/"), Message)
    wrong = decode_payload("v1/drivers", payload, AT, 0, prefix="openf1/")
    assert isinstance(wrong, Rejected)
    assert wrong.category == "unknown_topic"


GOOD_LAP = HAPPY["laps"][0]


def _lap(**changes: Any) -> bytes:
    return json.dumps(GOOD_LAP | changes).encode()


# (payload topic, payload bytes, category, words the reason must hold)
PAYLOAD_REJECTIONS = [
    pytest.param("v1/laps", b"{" + b" " * MAX_PAYLOAD_BYTES + b"}", "oversized", "bytes >", id="oversized"),
    pytest.param("v1/weather", b"{}", "unknown_topic", "v1/weather", id="unknown-collection"),
    pytest.param("laps", _lap(), "unknown_topic", "laps", id="no-prefix"),
    pytest.param("v2/laps", _lap(), "unknown_topic", "v2/laps", id="other-prefix"),
    pytest.param("", _lap(), "unknown_topic", "", id="empty-topic"),
    pytest.param("v1/laps", b"not json", "malformed", "", id="not-json"),
    pytest.param("v1/laps", _lap()[:-5], "malformed", "", id="truncated"),
    pytest.param("v1/laps", b"", "malformed", "", id="empty"),
    pytest.param(
        "v1/laps", b'{"session_key": 9, "x": "\xff"}', "malformed", "not UTF-8 at byte", id="not-utf8"
    ),
    pytest.param(
        "v1/laps",
        b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1),
        "malformed",
        f"deeper than {MAX_JSON_DEPTH}",
        id="too-deep",
    ),
    pytest.param("v1/laps", b"[1, 2]", "invalid", "object", id="array-not-object"),
    pytest.param(
        "v1/laps", b'{"session_key": 9, "lap_number": 3}', "invalid", "driver_number", id="missing-field"
    ),
    pytest.param("v1/laps", _lap(driver_number="44"), "invalid", "driver_number", id="wrong-type"),
    pytest.param("v1/laps", _lap(lap_number=0), "invalid", "lap_number", id="out-of-range"),
    pytest.param("v1/laps", _lap(lap_duration=-1.0), "invalid", "lap_duration", id="negative-duration"),
    pytest.param("v1/laps", _lap(session_key=None), "invalid", "session_key", id="null-key"),
    pytest.param(
        "v1/laps", _lap(date_start="2100-01-01T00:00:00Z"), "invalid", "date_start", id="date-after-2100"
    ),
    pytest.param(
        "v1/laps", _lap(date_start="1949-12-31T23:59:59Z"), "invalid", "date_start", id="date-before-1950"
    ),
    pytest.param("v1/laps", _lap(date_start="yesterday"), "invalid", "date_start", id="not-a-date"),
    pytest.param(
        "v1/overtakes",
        json.dumps(HAPPY["overtakes"][0] | {"overtaken_driver_number": 44}).encode(),
        "invalid",
        "cannot overtake itself",
        id="self-overtake",
    ),
    pytest.param(
        "v1/session_result",
        json.dumps(HAPPY["session_result"][0] | {"duration": [1.0, 2.0, 3.0, 4.0]}).encode(),
        "invalid",
        "duration",
        id="four-qualifying-durations",
    ),
]


@pytest.mark.parametrize(("topic", "payload", "category", "words"), PAYLOAD_REJECTIONS)
def test_each_way_a_payload_is_wrong_is_a_reasoned_rejection(
    topic: str, payload: bytes, category: str, words: str
) -> None:
    result = decode_payload(topic, payload, AT, 21)
    assert isinstance(result, Rejected), result
    assert result.category == category, result.reason
    assert words in result.reason
    assert (result.topic, result.offset, result.at) == (topic, 21, AT)
    assert result.raw == payload[:1024] if category == "oversized" else result.raw == payload


def _line(topic: str = "v1/laps", at: object = "2025-04-13T15:30:00Z", payload: object = GOOD_LAP) -> bytes:
    return json.dumps({"topic": topic, "at": at, "payload": payload}).encode()


LINE_REJECTIONS = [
    pytest.param(
        b"{" + b" " * (MAX_PAYLOAD_BYTES + 1024) + b"}", "oversized", "line too long", id="oversized"
    ),
    pytest.param(b"hello", "malformed", "", id="not-json"),
    pytest.param(_line()[:-3], "malformed", "", id="truncated"),
    pytest.param(b'{"topic": "v1/laps", "at": "\xc3\x28"}', "malformed", "not UTF-8", id="not-utf8"),
    pytest.param(b"[" * 40 + b"]" * 40, "malformed", "deeper than", id="too-deep"),
    pytest.param(
        json.dumps({"topic": "v1/laps", "payload": GOOD_LAP}).encode(), "invalid", "envelope", id="no-at"
    ),
    pytest.param(_line(at="soon"), "invalid", "envelope", id="at-not-a-date"),
    pytest.param(_line(topic=7), "invalid", "envelope", id="topic-not-text"),  # type: ignore[arg-type]
    pytest.param(_line(topic="v1/weather"), "unknown_topic", "v1/weather", id="unknown-topic"),
    pytest.param(
        _line(payload=GOOD_LAP | {"position": 0, "lap_number": 0}),
        "invalid",
        "lap_number",
        id="payload-invalid",
    ),
    pytest.param(_line(payload=[]), "invalid", "", id="payload-not-an-object"),
]


@pytest.mark.parametrize(("line", "category", "words"), LINE_REJECTIONS)
def test_each_way_a_recorded_line_is_wrong_is_a_reasoned_rejection(
    line: bytes, category: str, words: str
) -> None:
    result = decode_line(line, 31)
    assert isinstance(result, Rejected), result
    assert result.category == category, result.reason
    assert words in result.reason
    assert result.offset == 31


@dataclass
class MqttLike:
    topic: str
    payload: bytes
    at: datetime
    offset: int = 5


def test_decode_input_takes_recorded_lines_and_mqtt_messages() -> None:
    line = decode_input(RawLine("feed.jsonl", 3, _line()))
    assert isinstance(line, Message)
    assert (line.offset, type(line.event)) == (3, Lap)
    mqtt = decode_input(MqttLike("v1/laps", _lap(), AT))
    assert isinstance(mqtt, Message)
    assert (mqtt.offset, mqtt.at) == (5, AT)


@pytest.mark.parametrize(
    ("item", "category", "words"),
    [
        pytest.param(42, "invalid", "unsupported input int", id="not-an-input"),
        pytest.param(MqttLike("v1/laps", "text", AT), "invalid", "unsupported input", id="payload-not-bytes"),  # type: ignore[arg-type]
        pytest.param(
            RawLine("feed", 1, "text"), "malformed", "TypeError while decoding", id="decoding-raises"
        ),  # type: ignore[arg-type],
    ],
)
def test_decode_input_rejects_anything_else_without_raising(item: object, category: str, words: str) -> None:
    result = decode_input(item)
    assert isinstance(result, Rejected)
    assert result.category == category
    assert words in result.reason
