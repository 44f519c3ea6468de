"""`gridscore demo` (what `make demo` runs), as a newcomer runs it but without a terminal (no waiting):
it prints the URL and the login, the demo player's team plays in a league with three rivals, the race is
scored for them, the inbox is filled, and it ends by itself with the server stopped."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg

from benchmarks.seed import schedule_as_replayed, seed_from_feed
from gridscore.cli.demo import DEMO_EMAIL, DEMO_PASSWORD, LEAGUE, affordable_roster
from ingest.recorded import iter_lines
from store.urls import libpq_url
from tests.api.server import free_port

ROOT = Path(__file__).resolve().parents[2]
BRITAIN = ROOT / "data" / "feeds" / "2023-10-britain.jsonl"


def test_the_demo_serves_a_player_in_a_league_then_ends(fresh: str, redis_url: str) -> None:
    began = datetime.now(UTC)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "JWT_SECRET"}
    env |= {"DATABASE_URL": fresh, "REDIS_URL": redis_url}
    gridscore = str(Path(sys.executable).parent / "gridscore")
    options = ["--teams", "200", "--speed", "0", "--port", str(port), "--wait", "0", "--linger", "0"]
    done = subprocess.run(
        [gridscore, "demo", str(BRITAIN), *options],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ended = datetime.now(UTC)
    assert f"GridScore is at http://127.0.0.1:{port}/" in done.stdout
    assert f"log in as {DEMO_EMAIL} / {DEMO_PASSWORD}" in done.stdout
    assert "The race is over" in done.stdout
    assert "JWT_SECRET" not in done.stdout + done.stderr, "no deployment warning in a demo's first lines"
    try:
        httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
        raise AssertionError("the demo's server still answers after it ended")
    except httpx.TransportError:
        pass
    with psycopg.connect(libpq_url(fresh)) as conn:
        rows = conn.execute(
            """
            SELECT u.email, t.name, count(r.session_key)
            FROM league l
            JOIN league_member m ON m.league_id = l.id
            JOIN team t ON t.id = m.team_id
            JOIN user_account u ON u.id = t.user_id
            LEFT JOIN team_result r ON r.team_id = t.id
            WHERE l.name = %s
            GROUP BY u.email, t.name ORDER BY t.name
            """,
            (LEAGUE,),
        ).fetchall()
        inbox = conn.execute(
            "SELECT count(*) FROM notification n JOIN user_account u ON u.id = n.user_id WHERE u.email = %s",
            (DEMO_EMAIL,),
        ).fetchone()
        names = {name for (name,) in conn.execute("SELECT name FROM team").fetchall()}
        dates = conn.execute("SELECT name, date_start, date_end FROM race_session").fetchall()
    # The weekend is dated when the demo played it (it was a day ahead: the pages said "tomorrow").
    assert {name for name, _, _ in dates} == {"Qualifying", "Race"}
    assert all(began <= start <= end <= ended for _, start, end in dates), dates
    # The terminal's live top 10 names the teams (their ids meant nothing to a player).
    last_top = done.stdout.split("Live top 10")[-1].split("replayed ")[0]  # the final standings follow
    live = [line for line in last_top.splitlines() if line.startswith("│")]
    shown = [line.split("│")[2].strip() for line in live]
    assert len(shown) == 10
    assert set(shown) <= names, shown
    assert {name for _, name, _ in rows} == {"Demo Racing", "Lando GP", "Oscar GP", "Charles GP"}
    assert all(scored == 2 for _, _, scored in rows), f"every team scored in both sessions: {rows}"
    assert inbox is not None
    assert inbox[0] == 2, "a notification per final session"


def test_a_weekend_dated_as_replayed_plays_each_session_when_the_paced_replay_reaches_it(fresh: str) -> None:
    """At 60x, each session starts when the replay's source hands out its first line: the recorded gaps
    at the speed, each cut to 5 s of wall time at most (the night before the Race: 5 s, not 20 minutes)."""
    seed_from_feed(fresh, BRITAIN, datetime.now(UTC) + timedelta(days=1))
    start = datetime(2030, 7, 9, 12, 0, tzinfo=UTC)
    schedule = schedule_as_replayed(fresh, BRITAIN, start, speed=60.0)
    wall, last, starts = 0.0, None, dict[str, datetime]()
    for line in iter_lines(BRITAIN):
        record = json.loads(line)
        at = datetime.fromisoformat(record["at"].replace("Z", "+00:00"))
        if last is not None:
            wall += min((at - last).total_seconds() / 60.0, 5.0)
        last = at
        if record["topic"] == "v1/sessions":
            starts.setdefault(record["payload"]["session_name"], start + timedelta(seconds=wall))
    with psycopg.connect(libpq_url(fresh)) as conn:
        stored = {
            n: (s, e) for n, s, e in conn.execute("SELECT name, date_start, date_end FROM race_session")
        }
    assert stored == schedule
    assert {name: s for name, (s, _) in schedule.items()} == starts
    qualifying, race = schedule["Qualifying"], schedule["Race"]
    assert qualifying[1] <= race[0], "a session ends by the next one's start"
    assert race[0] - qualifying[0] < timedelta(minutes=1), "the night before the Race cut short"
    recorded = timedelta(minutes=87, seconds=16.938)
    assert abs((race[1] - race[0]) - recorded / 60) < timedelta(milliseconds=1), "the Race's length at 60x"


def test_the_demo_rosters_are_within_the_budget() -> None:
    assets = {
        "budget": 100.0,
        "drivers": [{"name": f"D{i:02d}", "price": 30.0 - i} for i in range(20)],
        "constructors": [{"name": f"C{i}", "price": 25.0 - 2 * i} for i in range(10)],
    }
    price = {a["name"]: a["price"] for a in [*assets["drivers"], *assets["constructors"]]}
    for skip in range(4):
        roster = affordable_roster(assets, skip)
        picks = roster["drivers"] + roster["constructors"]
        assert (len(roster["drivers"]), len(roster["constructors"])) == (5, 2)
        assert len(set(picks)) == 7
        assert sum(price[n] for n in picks) <= 100.0
        assert roster["boost_driver"] == roster["drivers"][0]
    assert affordable_roster(assets, 0)["drivers"][0] == "D00", "the dearest driver first"
