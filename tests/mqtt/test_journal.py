"""The journal: a recorded feed that gives back exactly the messages written, whatever they held."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dataflows.runner import score_feeds
from ingest.decode import Rejected, decode_input
from ingest.journal import JournalTail, JournalWriter, encode_line, repair_and_count
from ingest.recorded import iter_lines
from tests.conftest import FEEDS

AT = datetime(2025, 4, 6, 5, 0, 0, 123456, tzinfo=UTC)
PAYLOADS = {
    "json": b'{"session_key": 9, "driver_number": 1, "date": "2025-04-06T05:00:00Z", "position": 1}',
    "malformed": b'{"session_key": 9,',
    "binary": bytes(range(256)),
    "multiline": b'{\n  "session_key": 9\n}',
    "not utf-8": b'{"name": "\xff"}',
    "oversized": b'{"x": "' + b"y" * 70_000 + b'"}',
    "empty": b"",
}


def _write(path: Path, items: list[tuple[str, bytes]]) -> None:
    writer = JournalWriter(path)
    writer.append([(topic, payload, AT) for topic, payload in items])
    writer.close()


@pytest.mark.parametrize("kind", list(PAYLOADS))
def test_every_payload_comes_back_as_the_flow_saw_it(tmp_path: Path, kind: str) -> None:
    journal = tmp_path / "journal.jsonl"
    payload = PAYLOADS[kind]
    _write(journal, [("v1/position", payload)])
    [line] = journal.read_bytes().splitlines()
    assert json.loads(line)["topic"] == "v1/position"  # every line is JSON, in the recorded-feed shape
    tail = JournalTail(journal, 0)
    [message] = tail.read(10)
    assert (message.topic, message.at, message.offset) == ("v1/position", AT, 0)
    if kind == "oversized":
        assert len(message.payload) == len(payload)
        assert message.payload[:1024] == payload[:1024]
    else:
        assert message.payload == payload
    decoded = decode_input(message)
    original = decode_input(type(message)(message.topic, payload, AT, 0))
    if isinstance(original, Rejected):
        assert isinstance(decoded, Rejected)
        assert decoded.reason == original.reason
    else:
        assert decoded == original


def test_valid_payloads_are_written_byte_for_byte() -> None:
    payload = PAYLOADS["json"]
    assert payload in encode_line("v1/position", AT, payload)


def test_a_journal_is_a_recorded_feed(tmp_path: Path) -> None:
    feed = FEEDS / "2025-03-japan.jsonl"
    journal = tmp_path / "journal.jsonl"
    items = [
        (json.loads(line)["topic"], json.dumps(json.loads(line)["payload"]).encode())
        for line in iter_lines(feed)
    ]
    _write(journal, items)
    assert score_feeds([journal]).as_json() == score_feeds([feed]).as_json()


def test_a_torn_last_line_is_cut_and_numbering_goes_on(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    _write(journal, [("v1/a", b"1"), ("v1/b", b"2")])
    with journal.open("ab") as fh:
        fh.write(b'{"topic":"v1/c","at":"2025')  # killed mid-write
    assert repair_and_count(journal) == 2
    writer = JournalWriter(journal)
    [third] = writer.append([("v1/c", b"3", AT)])
    writer.close()
    assert third.offset == 2
    assert [m.payload for m in JournalTail(journal, 0).read(10)] == [b"1", b"2", b"3"]


def test_the_tail_follows_appends_and_waits_for_whole_lines(tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    _write(journal, [("v1/a", b"1"), ("v1/b", b"2")])
    tail = JournalTail(journal, 1)  # resume after the first message
    assert [m.offset for m in tail.read(10)] == [1]
    assert tail.read(10) == []
    line = encode_line("v1/c", AT, b"3")
    with journal.open("ab") as fh:
        fh.write(line[:10])
        fh.flush()
        assert tail.read(10) == []  # half a line is not a message yet
        fh.write(line[10:])
    [message] = tail.read(10)
    assert (message.offset, message.payload) == (2, b"3")
    assert tail.offset == 3
    tail.close()
