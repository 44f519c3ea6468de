"""`gridscore demo` (what `make demo` runs), as a newcomer runs it but without a terminal (no waiting):
it prints the URL and the login, the demo player's team plays in a league with three rivals, the race is
scored for them, the inbox is filled, and it ends by itself with the server stopped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import psycopg

from gridscore.cli.demo import DEMO_EMAIL, DEMO_PASSWORD, LEAGUE, affordable_roster
from store.urls import libpq_url
from tests.api.server import free_port

ROOT = Path(__file__).resolve().parents[2]
BRITAIN = ROOT / "data" / "feeds" / "2023-10-britain.jsonl"


def test_the_demo_serves_a_player_in_a_league_then_ends(fresh: str, redis_url: str) -> None:
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
