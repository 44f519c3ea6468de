"""`gridscore feed openf1` against a local server that answers OpenF1's REST shapes (tests/openf1_stub.py)
with the documents of each bundled weekend: the feed it writes scores exactly as the bundled one.

The stand-in behaves as OpenF1 does where it matters: the starting grid hangs off the qualifying
session (as OpenF1 serves it) for some weekends, nothing found is `[]` or a 404 "No results found",
Driver of the Day is missing on some (then `--driver-of-the-day` gives it), and 429s with
`Retry-After` and 500s are injected. A second run with the server stopped proves the disk cache.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from gridscore.cli.main import main
from ingest.openf1_rest import OpenF1Error, OpenF1Rest, RestOptions
from tests.conftest import FEEDS, SHARED_FEEDS
from tests.openf1_stub import Fault, OpenF1RestStub, documents_of
from tests.sprint_weekend import SPRINT_EXPECTED, build_sprint_weekend


@pytest.fixture(autouse=True)
def _no_account_no_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENF1_USERNAME", "OPENF1_PASSWORD", "OPENF1_CACHE_DIR", "OPENF1_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENF1_PACE_MS", "0")


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _score(capsys: pytest.CaptureFixture[str], feed: Path) -> dict[str, dict[str, int]]:
    capsys.readouterr()
    assert main(["score", str(feed), "--json"]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def _race_dotd_acronym(documents: dict[str, list[dict[str, Any]]]) -> str:
    (dotd,) = documents["driver_of_the_day"]
    for driver in documents["drivers"]:
        if driver["session_key"] == dotd["session_key"] and driver["driver_number"] == dotd["driver_number"]:
            return str(driver["name_acronym"])
    raise AssertionError("the feed's Driver of the Day is not among its drivers")


def _grid_on_qualifying(documents: dict[str, list[dict[str, Any]]]) -> None:
    """As OpenF1 serves it: the Race's grid under the Qualifying's session_key."""
    sessions = {s["session_name"]: s["session_key"] for s in documents["sessions"]}
    documents["starting_grid"] = [
        {**slot, "session_key": sessions["Qualifying"]} for slot in documents["starting_grid"]
    ]


def _feed(meeting: int, url: str, out: Path, *extra: str) -> list[str]:
    return ["feed", "openf1", "--meeting", str(meeting), "--base-url", url, "--out", str(out), *extra]


def _key(line: dict[str, Any]) -> str:
    return json.dumps([line["topic"], line["payload"]], sort_keys=True)


@pytest.mark.parametrize("index", range(len(SHARED_FEEDS)), ids=[p.stem for p in SHARED_FEEDS])
def test_every_bundled_weekend_served_by_openf1_scores_as_bundled(
    index: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundled = SHARED_FEEDS[index]
    documents = documents_of(bundled)
    meeting = documents["sessions"][0]["meeting_key"]
    offers_dotd = index % 2 == 0
    args = []
    if not offers_dotd:
        args = ["--driver-of-the-day", _race_dotd_acronym(documents)]
    if index % 2 == 1:
        _grid_on_qualifying(documents)
    server = OpenF1RestStub(
        documents, empty_as_404=index >= 2, missing=() if offers_dotd else ("driver_of_the_day",)
    )
    cache, out = tmp_path / "cache", tmp_path / "imported.jsonl"
    try:
        code = main(_feed(meeting, server.url, out, "--cache-dir", str(cache), *args))
        assert code == 0, capsys.readouterr().err
    finally:
        server.stop()

    expected = json.loads((FEEDS / "expected" / f"{bundled.stem}.json").read_text())
    assert _score(capsys, out) == expected
    imported, original = _lines(out), _lines(bundled)
    # Every document, nothing more: the same (topic, payload) lines as the bundled feed.
    assert Counter(map(_key, imported)) == Counter(map(_key, original))
    # In the order they happened, each session announced before anything of it.
    times = [line["at"] for line in imported]
    assert times == sorted(times)
    announced: set[int] = set()
    for line in imported:
        if line["topic"] == "v1/sessions":
            announced.add(line["payload"]["session_key"])
        assert line["payload"]["session_key"] in announced, line

    # The server is gone: the rerun is answered from the cache alone, byte for byte the same feed.
    again = tmp_path / "again.jsonl"
    code = main(_feed(meeting, server.url, again, "--cache-dir", str(cache), *args))
    assert code == 0, capsys.readouterr().err
    assert again.read_bytes() == out.read_bytes()
    assert "0 requests" in capsys.readouterr().err


def test_429_and_500_are_retried_honouring_retry_after(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundled = FEEDS / "2025-03-japan.jsonl"
    documents = documents_of(bundled)
    server = OpenF1RestStub(documents)
    server.faults = [
        Fault("/v1/sessions", 429, 1, retry_after="2"),
        Fault("/v1/sessions", 500, 1),
        Fault("/v1/overtakes", 503, 2),
        Fault("/v1/session_result", 429, 1, retry_after="0"),
    ]
    out = tmp_path / "imported.jsonl"
    try:
        code = main(_feed(202503, server.url, out, "--cache-dir", str(tmp_path / "cache")))
        assert code == 0, capsys.readouterr().err
    finally:
        server.stop()
    assert _score(capsys, out) == json.loads((FEEDS / "expected" / "2025-03-japan.json").read_text())
    assert all(fault.times == 0 for fault in server.faults), "every injected fault was served"
    hits = server.hits()
    assert hits["/v1/sessions"] == 3  # 429, 500, then the answer
    assert hits["/v1/overtakes"] == 2 + 2  # two sessions: one 503 twice then answered, one answered
    first_429 = next(t for t, path, status in server.requests if status == 429)
    after = next(t for t, path, status in server.requests if t > first_429)
    assert after - first_429 >= 1.9, "the retry came before Retry-After: 2 had passed"


def test_sprint_shootout_and_a_corrected_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """2023's name for Sprint Qualifying is taken as such; a later result for the same car still wins."""
    documents = documents_of(build_sprint_weekend(tmp_path / "sprint.jsonl"))
    for session in documents["sessions"]:
        if session["session_name"] == "Sprint Qualifying":
            session["session_name"] = "Sprint Shootout"
    meeting = documents["sessions"][0]["meeting_key"]
    server = OpenF1RestStub(documents)
    out = tmp_path / "imported.jsonl"
    try:
        assert (
            main(
                [
                    "feed",
                    "openf1",
                    "--meeting",
                    str(meeting),
                    "--base-url",
                    server.url,
                    "--out",
                    str(out),
                    "--no-cache",
                ]
            )
            == 0
        )
    finally:
        server.stop()
    assert _score(capsys, out) == SPRINT_EXPECTED
    names = [line["payload"]["session_name"] for line in _lines(out) if line["topic"] == "v1/sessions"]
    assert names == ["Sprint Qualifying", "Sprint", "Qualifying", "Race"]


def test_sessions_option_and_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    documents = documents_of(FEEDS / "2025-04-bahrain.jsonl")
    server = OpenF1RestStub(documents)
    out = tmp_path / "race.jsonl"
    base = ["feed", "openf1", "--base-url", server.url, "--no-cache"]
    try:
        assert main([*base, "--meeting", "202504", "--out", str(out), "--sessions", "Race"]) == 0
        keys = {line["payload"]["session_key"] for line in _lines(out)}
        assert keys == {2025044}, "only the Race was asked for"

        missing = tmp_path / "none.jsonl"
        assert main([*base, "--meeting", "999999", "--out", str(missing)]) == 1
        assert "no sessions for meeting 999999" in capsys.readouterr().err
        assert not missing.exists(), "nothing is written when nothing could be built"

        assert main([*base, "--meeting", "202504", "--out", str(missing), "--driver-of-the-day", "XXX"]) == 1
        assert "no driver 'XXX'" in capsys.readouterr().err
        assert main([*base, "--meeting", "202504", "--out", str(missing), "--sessions", "Practice 1"]) == 2
        assert not missing.exists()
    finally:
        server.stop()


def test_a_server_that_stays_down_is_a_clear_error(tmp_path: Path) -> None:
    server = OpenF1RestStub({})
    url = server.url
    server.stop()
    options = RestOptions(attempts=2, backoff_first_s=0.05, backoff_max_s=0.1)
    with (
        OpenF1Rest(url, tmp_path / "cache", options) as rest,
        pytest.raises(OpenF1Error, match="gave up after 2"),
    ):
        rest.get("sessions", meeting_key=1)
    assert not list(tmp_path.rglob("*.json")), "a failed request leaves nothing in the cache"


def test_overtakes_of_a_car_in_the_pit_lane_are_kept_in_the_feed_and_not_scored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """OpenF1 reports the places a car loses in the pits as overtakes: one such pass per stop is
    added to the served documents (a rival passing the car a few seconds into its stop). The feed
    keeps them as OpenF1 has them; scoring leaves them out, so the totals are the official ones."""
    bundled = FEEDS / "2025-04-bahrain.jsonl"
    documents = documents_of(bundled)
    stops = documents["pit"]
    for stop in stops:
        rival = 1 if stop["driver_number"] != 1 else 4
        moment = datetime.fromisoformat(stop["date"]) + timedelta(seconds=3)
        documents["overtakes"].append(
            {
                "meeting_key": stop["meeting_key"],
                "session_key": stop["session_key"],
                "overtaking_driver_number": rival,
                "overtaken_driver_number": stop["driver_number"],
                "date": moment.isoformat(),
                "position": 1,
            }
        )
    server = OpenF1RestStub(documents)
    out = tmp_path / "imported.jsonl"
    try:
        assert main(_feed(202504, server.url, out, "--no-cache")) == 0
    finally:
        server.stop()
    capsys.readouterr()
    topics = Counter(json.loads(line)["topic"] for line in out.read_text().splitlines())
    assert topics["v1/overtakes"] == len(documents["overtakes"]), "the feed keeps what OpenF1 sent"
    assert _score(capsys, out) == json.loads((FEEDS / "expected" / "2025-04-bahrain.json").read_text())
