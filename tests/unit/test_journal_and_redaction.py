"""The MQTT journal's line codec (ingest/journal.py: whatever the broker delivers is written and read
back as it was, JSON verbatim, anything else in base64, oversized payloads cut with their size kept),
a journal torn mid-line, and the pure HTTP helpers: URL secrets out of logs, weak ETags."""

from __future__ import annotations

import gzip
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from api.lib.http_cache import etag_of
from api.lib.log_redaction import REDACTED, RedactUrlSecrets, redact
from ingest.decode import MAX_JSON_DEPTH, MAX_PAYLOAD_BYTES
from ingest.journal import KEEP_OF_OVERSIZED, JournalTail, JournalWriter, decode_line, encode_line

AT = datetime(2025, 4, 13, 15, 0, 0, 123000, tzinfo=UTC)

PAYLOADS = [
    pytest.param(b'{"session_key": 9, "driver_number": 44}', True, id="json"),
    pytest.param(b"[1, 2, 3]", True, id="json-array"),
    pytest.param(b"", False, id="empty"),
    pytest.param(b"not json", False, id="not-json"),
    pytest.param(b'{"a": 1,\n "b": 2}', False, id="json-with-a-newline"),
    pytest.param(b'{"name": "\xff"}', False, id="not-utf8"),
    pytest.param(b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), False, id="too-deep"),
    pytest.param(bytes(range(256)), False, id="binary"),
]


@pytest.mark.parametrize(("payload", "verbatim"), PAYLOADS)
def test_a_journal_line_gives_back_the_message_it_was(payload: bytes, verbatim: bool) -> None:
    line = encode_line("v1/laps", AT, payload)
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    stored = json.loads(line)
    assert (stored["payload"] is not None) is verbatim
    message = decode_line(line[:-1], 17)
    assert (message.topic, message.payload, message.at, message.offset) == ("v1/laps", payload, AT, 17)


def test_an_oversized_payload_keeps_its_head_and_size() -> None:
    payload = b"x" * (MAX_PAYLOAD_BYTES + 10)
    stored = json.loads(encode_line("v1/laps", AT, payload))
    assert stored["raw_size"] == len(payload)
    message = decode_line(encode_line("v1/laps", AT, payload)[:-1], 0)
    assert len(message.payload) == len(payload)  # as large as it was: the decoder rejects it as oversized
    assert message.payload[:KEEP_OF_OVERSIZED] == payload[:KEEP_OF_OVERSIZED]


@pytest.mark.parametrize(
    "line",
    [
        b"garbage",
        b'{"topic": "v1/laps"}',
        b'{"topic": "v1/laps", "at": "2025-04-13T15:00:00Z", "payload": null, "raw_b64": "!!"}',
    ],
    ids=["not-json", "no-at", "bad-base64"],
)
def test_a_damaged_line_becomes_a_message_the_flow_rejects(line: bytes) -> None:
    message = decode_line(line, 4)
    assert (message.topic, message.payload, message.offset) == ("", line, 4)


def test_a_journal_torn_mid_line_is_repaired_on_open_and_tailed_by_lines(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    writer = JournalWriter(path)
    assert [m.offset for m in writer.append([("v1/laps", b"{}", AT), ("v1/pit", b"[]", AT)])] == [0, 1]
    writer.close()
    with path.open("ab") as fh:
        fh.write(b'{"topic": "v1/laps", "at": "2025')  # a crash mid-write
    tail = JournalTail(path, 1)
    assert [(m.topic, m.offset) for m in tail.read(10)] == [("v1/pit", 1)]  # the torn line is no message
    tail.close()
    writer = JournalWriter(path)
    assert writer.next_offset == 2
    writer.append([("v1/drivers", b'{"x": 1}', AT)])
    writer.close()
    tail_again = JournalTail(path, 1)
    assert [(m.topic, m.offset) for m in tail_again.read(10)] == [("v1/pit", 1), ("v1/drivers", 2)]
    tail_again.close()


@pytest.mark.parametrize(
    ("text", "clean"),
    [
        ("GET /api/live/x?ticket=abc123 HTTP/1.1", f"GET /api/live/x?ticket={REDACTED} HTTP/1.1"),
        ("/a?x=1&token=t0k&y=2", f"/a?x=1&token={REDACTED}&y=2"),
        ("/a?ACCESS_TOKEN=s3cret", f"/a?ACCESS_TOKEN={REDACTED}"),
        ("/a?refresh_token=r&ticket=t", f"/a?refresh_token={REDACTED}&ticket={REDACTED}"),
        ("/a?tickets=1&my_token=2", "/a?tickets=1&my_token=2"),  # other names stay
        ("no url here: token=abc", "no url here: token=abc"),  # only URL parameters
    ],
)
def test_url_secrets_are_redacted(text: str, clean: str) -> None:
    assert redact(text) == clean


def test_the_log_filter_redacts_the_message_and_its_arguments() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s "%s"', ("1.2.3.4", "/s?ticket=x"), None
    )
    assert RedactUrlSecrets().filter(record)
    assert record.getMessage() == f'1.2.3.4 "/s?ticket={REDACTED}"'


def test_an_etag_is_weak_and_the_same_gzipped_or_not() -> None:
    body = b'{"items": [1, 2, 3]}'
    tag = etag_of(body, None)
    assert tag.startswith('W/"')
    assert tag.endswith('"')
    assert etag_of(gzip.compress(body), "gzip") == tag
    assert etag_of(body + b" ", None) != tag
