"""The season sync against the recorded Jolpica responses: by hand (`gridscore sync`) and as the
nightly task on a real worker, including a failing source."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from gridscore.cli.worker import sync as sync_command
from tasks.app import make_app
from tasks.jolpica import Driver, JolpicaClient, SourceError
from tasks.prices import opening_prices
from tasks.schedule import SYNC_TASK
from tests.conftest import FEEDS
from tests.fixtures.jolpica.build import OUT, build
from tests.tasks.conftest import GRIDSCORE, Service, settings_for, wait_for
from tests.tasks.recorded import RecordedSource

SYNCED = ("meeting", "race_session", "constructor", "driver", "asset_price")
LAST_RESULTS = "/ergast/f1/2025/last/results.json"


def snapshot(conn: psycopg.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the synced tables with its row version (xmin): equal means nothing was rewritten."""
    return {
        table: conn.execute(f"SELECT xmin::text, t.* FROM {table} t ORDER BY 2").fetchall()  # noqa: S608
        for table in SYNCED
    }


@pytest.fixture
def sync_env(db: str, recorded: RecordedSource) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": db, "SYNC_SOURCE_URL": recorded.url, "SYNC_PACE_MS": "0"}


def run_sync(env: dict[str, str], capsys: pytest.CaptureFixture[str] | None = None) -> tuple[int, str]:
    """`gridscore sync --season 2025`: in its own process as a user runs it, or (with capsys) the
    same command handler in this process, which is faster."""
    if capsys is not None:
        code = sync_command(argparse.Namespace(season=2025), settings_for(env))
        captured = capsys.readouterr()
        return code, captured.out + captured.err
    done = subprocess.run(
        [str(GRIDSCORE), "sync", "--season", "2025"], env=env, capture_output=True, text=True, timeout=60
    )
    return done.returncode, done.stdout + done.stderr


def test_recorded_responses_are_built_from_the_feeds() -> None:
    for relative, document in build().items():
        assert json.loads((OUT / relative).read_text()) == document, f"rebuild {relative}: see build.py"


def test_sync_writes_the_season_under_the_feeds_keys(
    sync_env: dict[str, str], recorded: RecordedSource, conn: psycopg.Connection
) -> None:
    assert run_sync(sync_env)[0] == 0
    feed_sessions = {
        (p["session_key"], p["meeting_key"], p["session_name"], p["date_start"])
        for path in sorted(FEEDS.glob("2025-*.jsonl"))
        for line in path.read_text().splitlines()
        if (m := json.loads(line))["topic"] == "v1/sessions" and (p := m["payload"])
    }
    rows = conn.execute(
        "SELECT session_key, meeting_key, name, date_start, state FROM race_session"
    ).fetchall()
    assert {(k, m, n, d.isoformat()) for k, m, n, d, _ in rows} == feed_sessions
    assert {state for *_, state in rows} == {"upcoming"}
    meetings = conn.execute("SELECT meeting_key, name, circuit, country, date_start FROM meeting ORDER BY 1")
    first = meetings.fetchall()[0]
    assert first == (202501, "Australian Grand Prix", "Melbourne", "Australia", session_start(conn, 2025013))
    teams = dict(
        conn.execute(
            "SELECT d.acronym, c.name FROM driver d JOIN constructor c ON c.id = d.constructor_id"
        ).fetchall()
    )
    assert len(teams) == 20
    # Tsunoda and Lawson swapped seats after round 2: the latest classification decides.
    assert teams["TSU"] == "Red Bull Racing"
    assert teams["LAW"] == "Racing Bulls"
    assert teams["DOO"] == "Alpine"
    constructors = {r[0] for r in conn.execute("SELECT name FROM constructor").fetchall()}
    expected = json.loads((FEEDS / "expected" / "2025-04-bahrain.json").read_text())["constructors"]
    assert constructors == set(expected), "constructors carry the names the scoring uses"
    assert conn.execute("SELECT number, full_name FROM driver WHERE acronym = 'VER'").fetchone() == (
        1,
        "Max Verstappen",
    )


def test_sync_gives_each_unpriced_weekend_its_opening_prices(
    sync_env: dict[str, str],
    recorded: RecordedSource,
    conn: psycopg.Connection,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_sync(sync_env, capsys)[0] == 0
    drivers = [r[0] for r in conn.execute("SELECT acronym FROM driver ORDER BY id").fetchall()]
    constructors = [r[0] for r in conn.execute("SELECT name FROM constructor ORDER BY id").fetchall()]
    opening = opening_prices(drivers, constructors)
    assert len(opening) == 30
    meetings = [r[0] for r in conn.execute("SELECT meeting_key FROM meeting ORDER BY 1").fetchall()]
    assert len(meetings) >= 2
    for meeting in meetings:
        rows = conn.execute(
            "SELECT asset_kind::text, asset_name, price FROM asset_price WHERE meeting_key = %s", (meeting,)
        ).fetchall()
        assert {(kind, name): price for kind, name, price in rows} == opening
    # A price set since (the price moves, an administrator) is the week's: the next sync keeps it.
    conn.execute("UPDATE asset_price SET price = 9.9 WHERE meeting_key = %s", (meetings[1],))
    code, out = run_sync(sync_env, capsys)
    assert code == 0
    assert "0 prices" in out
    assert conn.execute(
        "SELECT DISTINCT price FROM asset_price WHERE meeting_key = %s", (meetings[1],)
    ).fetchall() == [(Decimal("9.9"),)]


def session_start(conn: psycopg.Connection, session_key: int) -> Any:
    row = conn.execute(
        "SELECT date_start FROM race_session WHERE session_key = %s", (session_key,)
    ).fetchone()
    assert row is not None
    return row[0]


def test_second_sync_changes_nothing(
    sync_env: dict[str, str],
    recorded: RecordedSource,
    conn: psycopg.Connection,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_sync(sync_env, capsys)[0] == 0
    conn.execute("UPDATE race_session SET state = 'final', date_end = date_start WHERE session_key = 2025014")
    before = snapshot(conn)
    code, out = run_sync(sync_env, capsys)
    assert code == 0
    assert "0 meetings, 0 sessions, 0 constructors, 0 drivers" in out
    assert snapshot(conn) == before, "no row rewritten: same contents, updated_at and row versions"


def test_failing_source_leaves_the_database_as_it_was(
    sync_env: dict[str, str],
    recorded: RecordedSource,
    conn: psycopg.Connection,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_sync(sync_env, capsys)[0] == 0
    # Local state the next sync would correct, then a source that fails on its very last request.
    conn.execute("UPDATE driver SET constructor_id = NULL, full_name = 'stale' WHERE acronym = 'TSU'")
    conn.execute("UPDATE meeting SET name = 'stale' WHERE meeting_key = 202504")
    conn.execute("DELETE FROM race_session WHERE session_key = 2025044")
    before = snapshot(conn)
    recorded.fail(LAST_RESULTS, 1)
    code, out = run_sync(sync_env, capsys)
    assert code == 1
    assert "nothing was written" in out
    assert recorded.hits("/ergast/f1/2025/races.json"), "the failure came after other requests succeeded"
    assert snapshot(conn) == before


def test_client_reads_every_page(recorded: RecordedSource) -> None:
    drivers = json.loads((OUT / "drivers.json").read_text())["MRData"]
    rows = drivers["DriverTable"]["Drivers"]
    for offset in (0, 8, 16):  # pages of 8: the client follows `limit` and `total`
        page = {
            **drivers,
            "limit": "8",
            "offset": str(offset),
            "DriverTable": {"Drivers": rows[offset : offset + 8]},
        }
        target = f"/ergast/f1/2025/drivers.json?limit=100&offset={offset}"
        recorded.overrides[target] = json.dumps({"MRData": page}).encode()
    client = JolpicaClient(recorded.url, pace_s=0)
    got = client.fetch_list("/2025/drivers.json", "DriverTable", "Drivers", Driver)
    assert [d.driver_id for d in got] == [r["driverId"] for r in rows]
    assert len(recorded.hits("/ergast/f1/2025/drivers.json")) == 3


def test_client_turns_bad_answers_into_source_errors(recorded: RecordedSource) -> None:
    client = JolpicaClient(recorded.url, pace_s=0)
    recorded.overrides["/ergast/f1/2025/races.json?limit=100&offset=0"] = b"<html>maintenance</html>"
    with pytest.raises(SourceError, match="not an Ergast-shaped"):
        client.fetch_list("/2025/races.json", "RaceTable", "Races", Driver)
    with pytest.raises(SourceError, match="404"):
        client.fetch_list("/1949/races.json", "RaceTable", "Races", Driver)
    with pytest.raises(SourceError, match="refused"):
        JolpicaClient("http://127.0.0.1:9", pace_s=0).fetch_list(
            "/2025/races.json", "RaceTable", "Races", Driver
        )


def test_the_task_retries_a_failing_source_with_backoff(
    worker_env: dict[str, str],
    recorded: RecordedSource,
    conn: psycopg.Connection,
    services: Callable[..., Service],
) -> None:
    recorded.fail("/ergast/f1/2025/races.json", 2)
    services("worker", worker_env, "--concurrency", "1")
    make_app(settings_for(worker_env)).send_task(SYNC_TASK, args=(2025,))
    count = lambda: conn.execute("SELECT count(*) FROM driver").fetchone()[0]  # noqa: E731
    wait_for(lambda: count() == 20, 30, "the retried sync to write the drivers")
    attempts = recorded.hits("/ergast/f1/2025/races.json")
    assert len(attempts) == 3
    first_gap, second_gap = attempts[1] - attempts[0], attempts[2] - attempts[1]
    assert 0.9 <= first_gap < 5, f"first retry after {first_gap:.2f} s (backoff 1 s)"
    assert 1.9 <= second_gap < 6, f"second retry after {second_gap:.2f} s (backoff 2 s)"
    assert conn.execute("SELECT count(*) FROM race_session").fetchone() == (6,)


def test_rows_created_by_name_are_adopted_not_duplicated(
    sync_env: dict[str, str], conn: psycopg.Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    """The API's seeding (and older data) create constructors by name and drivers by acronym."""
    team = conn.execute(
        "INSERT INTO constructor (name, created_at, updated_at)"
        " VALUES ('Red Bull Racing', now(), now()) RETURNING id"
    ).fetchone()
    driver = conn.execute(
        "INSERT INTO driver (acronym, full_name, number, created_at, updated_at)"
        " VALUES ('VER', 'Max Verstappen', 1, now(), now()) RETURNING id"
    ).fetchone()
    assert team is not None
    assert driver is not None
    assert run_sync(sync_env, capsys)[0] == 0
    teams = conn.execute("SELECT id, ergast_id FROM constructor WHERE name = 'Red Bull Racing'").fetchall()
    assert teams == [(team[0], "red_bull")]
    drivers = conn.execute(
        "SELECT id, ergast_id, constructor_id FROM driver WHERE acronym = 'VER'"
    ).fetchall()
    assert drivers == [(driver[0], "max_verstappen", team[0])]
    assert conn.execute("SELECT count(*) FROM constructor").fetchone() == (10,)
