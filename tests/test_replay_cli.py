"""`gridscore replay` end to end as a user runs it: on embedded servers (a fresh machine) and on
the servers named by DATABASE_URL / REDIS_URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg

from store.urls import libpq_url
from tests.conftest import FEEDS

GRIDSCORE = str(Path(sys.executable).parent / "gridscore")


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = dict(env, COLUMNS="200")  # rich wraps titles on a narrow terminal
    return subprocess.run(
        [GRIDSCORE, *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


def test_replay_on_embedded_servers(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["GRIDSCORE_DATA_DIR"] = str(tmp_path / "data")
    done = run(["replay", str(FEEDS / "2025-03-japan.jsonl"), "--teams", "300", "--quiet"], env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "300 teams ready" in done.stdout
    assert "(embedded PostgreSQL, embedded Valkey)" in done.stdout
    assert "Final standings after the Race" in done.stdout
    assert not list((tmp_path / "data").glob("postgres/postmaster.pid")), (
        "the embedded server stopped on exit"
    )


def test_replay_on_configured_servers(db: str, redis_url: str) -> None:
    env = dict(os.environ, DATABASE_URL=db, REDIS_URL=redis_url)
    done = run(["replay", str(FEEDS / "2025-04-bahrain.jsonl"), "--teams", "250", "--quiet"], env)
    assert done.returncode == 0, done.stderr[-3000:]
    ready = next(line for line in done.stdout.splitlines() if "teams ready" in line)
    assert f"PostgreSQL at {urlsplit(db).hostname}" in ready, ready
    assert f"Redis at {urlsplit(redis_url).hostname}" in ready, ready
    assert "embedded" not in ready, "the machine's servers named as such"
    with psycopg.connect(libpq_url(db)) as conn:
        row = conn.execute("SELECT count(*) FROM team_result WHERE session_key = 2025044").fetchone()
        top = conn.execute(
            "SELECT t.name FROM team_result r JOIN team t ON t.id = r.team_id WHERE r.session_key = 2025044"
            " ORDER BY r.rank, r.team_id LIMIT 10"
        ).fetchall()
    assert row == (250,)
    # The final top 10 names its teams, as the web app does: a player knows their team by name.
    final = done.stdout.split("Final standings after the Race", 1)[1]
    assert [cells[1] for cells in table_rows(final)] == [name for (name,) in top]


def table_rows(text: str) -> list[list[str]]:
    """The cells of each body row of the first rich table in `text`."""
    return [[c.strip() for c in line.split("│")[1:-1]] for line in text.splitlines() if line.startswith("│")]


def test_migrate_command(db: str) -> None:
    done = run(["migrate"], dict(os.environ, DATABASE_URL=db))
    assert done.returncode == 0, done.stderr[-3000:]
    with psycopg.connect(libpq_url(db)) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall()
