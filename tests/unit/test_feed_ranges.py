"""Feed values are range-checked where they are decoded (issue 12, finding 9), and no payload raises
out of the decoder or the journal (finding 1): a table of values just inside and just outside each
range, one field wrong at a time, on top of a message that decodes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ingest.decode import MAX_JSON_DEPTH, Message, Rejected, decode_line, decode_payload, too_deep
from ingest.events import MAX_CARS, MAX_LAPS, MAX_SECONDS
from ingest.journal import JournalTail, JournalWriter, encode_line
from ingest.recorded import iter_lines
from tests.conftest import SHARED_FEEDS

AT = datetime(2025, 4, 6, 5, 0, tzinfo=UTC)
DATE = "2025-04-06T05:10:00+00:00"
GOOD: dict[str, dict[str, Any]] = {
    "sessions": {
        "session_key": 9,
        "meeting_key": 1,
        "session_name": "Race",
        "date_start": DATE,
        "year": 2025,
    },
    "drivers": {"session_key": 9, "driver_number": 44, "name_acronym": "HAM", "team_name": "Ferrari"},
    "starting_grid": {"session_key": 9, "driver_number": 44, "position": 5},
    "position": {"session_key": 9, "driver_number": 44, "date": DATE, "position": 3},
    "laps": {
        "session_key": 9,
        "driver_number": 44,
        "lap_number": 7,
        "date_start": DATE,
        "lap_duration": 91.2,
    },
    "overtakes": {
        "session_key": 9,
        "overtaking_driver_number": 44,
        "overtaken_driver_number": 16,
        "date": DATE,
        "position": 4,
    },
    "pit": {"session_key": 9, "driver_number": 44, "lap_number": 20, "date": DATE, "stop_duration": 2.4},
    "race_control": {"session_key": 9, "date": DATE, "flag": "YELLOW", "driver_number": 44},
    "session_result": {
        "session_key": 9,
        "driver_number": 44,
        "position": 2,
        "number_of_laps": 57,
        "duration": 5400.5,
    },
    "driver_of_the_day": {"session_key": 9, "meeting_key": 1, "driver_number": 44, "date": DATE},
}
HUGE = 2**63 + 5
# (collection, field, accepted values, rejected values)
RANGES: list[tuple[str, str, list[Any], list[Any]]] = [
    ("position", "position", [1, MAX_CARS], [0, -5, MAX_CARS + 1, HUGE]),
    ("position", "driver_number", [1, 99], [0, -1, 100, HUGE]),
    ("position", "session_key", [1, 2**31 - 1], [0, -9, 2**31, HUGE, 10**40]),
    ("starting_grid", "position", [1, MAX_CARS], [0, MAX_CARS + 1, HUGE]),
    ("laps", "lap_number", [1, MAX_LAPS], [0, -1, MAX_LAPS + 1, HUGE]),
    ("laps", "lap_duration", [0.001, MAX_SECONDS, None], [0, -1.0, MAX_SECONDS + 1, 1e308]),
    ("overtakes", "overtaking_driver_number", [1, 99], [0, 100, HUGE]),
    ("overtakes", "overtaken_driver_number", [1, 99, None], [0, 100, 44]),  # 44 overtakes 44: itself
    ("overtakes", "position", [1, MAX_CARS, None], [0, MAX_CARS + 1]),
    ("pit", "stop_duration", [0.5, None], [0, -2.4, MAX_SECONDS * 2]),
    ("pit", "lane_duration", [20.1, None], [-20.1, 1e300]),
    ("pit", "lap_number", [1, None], [0, MAX_LAPS + 1]),
    ("race_control", "driver_number", [1, None], [0, 100]),
    ("session_result", "position", [1, MAX_CARS, None], [0, -3, MAX_CARS + 1, HUGE]),
    ("session_result", "number_of_laps", [0, MAX_LAPS, None], [-1, MAX_LAPS + 1]),
    ("session_result", "duration", [[90.1, None, 88.0], None], [-5.0, [1.0, -1.0, None], [1.0] * 4]),
    ("sessions", "year", [1950, 2100], [1949, 2101, HUGE]),
    ("sessions", "meeting_key", [1], [0, 2**31]),
    (
        "sessions",
        "date_start",
        [DATE, "1950-01-01T00:00:00Z"],
        ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00"],
    ),
    ("position", "date", ["2099-12-31T23:59:59Z"], ["2100-01-01T00:00:00Z", "1949-12-31T23:59:59Z"]),
    ("driver_of_the_day", "driver_number", [99], [0, 100]),
    ("drivers", "driver_number", [1], [0, HUGE]),
    ("drivers", "_id", [0, 2**63 - 1], [-1, 2**63]),
]
CASES = [
    pytest.param(collection, field, value, ok, id=f"{collection}.{field}={value!r:.20}")
    for collection, field, good, bad in RANGES
    for ok, values in ((True, good), (False, bad))
    for value in values
]


@pytest.mark.parametrize(("collection", "field", "value", "accepted"), CASES)
def test_each_value_outside_its_range_is_rejected_as_invalid_naming_the_field(
    collection: str, field: str, value: Any, accepted: bool
) -> None:
    payload = json.dumps(GOOD[collection] | {field: value}).encode()
    result = decode_payload(f"v1/{collection}", payload, AT, 3)
    if accepted:
        assert isinstance(result, Message), result
        return
    assert isinstance(result, Rejected)
    assert result.category == "invalid", result.reason
    assert field in result.reason, result.reason
    assert (result.offset, result.raw) == (3, payload)


@pytest.mark.parametrize("feed", SHARED_FEEDS, ids=lambda p: p.stem)
def test_every_line_of_the_bundled_weekends_is_in_range(feed: Path) -> None:
    rejected = [
        r.reason for i, line in enumerate(iter_lines(feed)) if isinstance(r := decode_line(line, i), Rejected)
    ]
    assert rejected == []


def nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1000, 5000, 10_000])
def test_deep_nesting_is_malformed_everywhere_and_raises_nowhere(tmp_path: Path, depth: int) -> None:
    payload = nested(depth)
    result = decode_payload("v1/session_result", payload, AT, 0)
    assert isinstance(result, Rejected)
    assert result.reason == f"malformed: JSON nested deeper than {MAX_JSON_DEPTH} levels"
    line = b'{"topic": "v1/laps", "at": "2025-04-06T05:00:00Z", "payload": ' + payload + b"}"
    from_line = decode_line(line, 0)
    assert isinstance(from_line, Rejected)
    assert from_line.category in ("malformed", "oversized")
    journal = tmp_path / "journal.jsonl"
    writer = JournalWriter(journal)
    writer.append([("v1/session_result", payload, AT)])
    writer.close()
    assert b'"raw_b64"' in encode_line("v1/session_result", AT, payload)
    tail = JournalTail(journal, 0)
    [message] = tail.read(10)
    tail.close()
    assert message.payload == payload  # under the size limit: kept whole


def test_nesting_up_to_the_limit_decodes_and_brackets_in_strings_do_not_count() -> None:
    assert not too_deep(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    assert too_deep(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1))
    in_strings = json.dumps(GOOD["race_control"] | {"message": "[{" * 500 + '\\"' + "]}" * 500}).encode()
    assert not too_deep(in_strings)
    assert isinstance(decode_payload("v1/race_control", in_strings, AT, 0), Message)
    escaped_quote_then_deep = b'{"m": "\\"", "x": ' + b"[" * 40 + b"]" * 40 + b"}"
    assert too_deep(escaped_quote_then_deep)


@pytest.mark.parametrize(
    "payload",
    [
        b'{"session_key": 9, "driver_number": 44, "name_acronym": "H\xffM", "team_name": "Ferrari"}',
        b'{"session_key": 9, "driver_number": 44, "name_acronym": "HAM", "team_name": "F", "x": "\xc3\x28"}',
        b'{"session_key": 9, "driver_number": 44, "name_acronym": "HAM", "team_name": "\xed\xa0\x80"}',
    ],
)
def test_invalid_utf8_anywhere_in_a_payload_is_malformed(payload: bytes) -> None:
    result = decode_payload("v1/drivers", payload, AT, 0)
    assert isinstance(result, Rejected)
    assert result.category == "malformed"
    assert "UTF-8" in result.reason
