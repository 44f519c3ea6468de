"""Backups as an operator uses them: `gridscore backup` and `gridscore restore` against a real
PostgreSQL, a restore drill that must give back every row, and the retention policy."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from dataflows.runner import score_feeds
from gridscore.base.services import ServiceUrls, embedded_postgres
from store.backup import RetentionPolicy, apply_retention, backup, dump_path, kept_by_policy, manifest_path
from store.urls import libpq_url
from tests.conftest import FEEDS

GRIDSCORE = str(Path(sys.executable).parent / "gridscore")
BAHRAIN = FEEDS / "2025-04-bahrain.jsonl"
RACE = 2025044


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GRIDSCORE, *args], capture_output=True, text=True, env=env, timeout=600, check=False
    )


def table_checksums(url: str) -> dict[str, tuple[int, str]]:
    """Every public table's row count and an md5 of its rows in a stable order."""
    with psycopg.connect(libpq_url(url)) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            )
        ]
        out = {}
        for table in tables:
            query = sql.SQL(
                "SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {} t"
            ).format(sql.Identifier(table))
            row = conn.execute(query).fetchone()
            assert row is not None
            out[table] = (int(row[0]), str(row[1]))
    return out


@pytest.fixture
def drill_database(servers: ServiceUrls) -> Iterator[str]:
    """A database of the drill's own, since the drill drops it; dropped again at the end."""
    name = f"gridscore_drill_{uuid.uuid4().hex[:8]}"
    url = make_url(servers.database_url).set(database=name).render_as_string(hide_password=False)
    yield url
    with psycopg.connect(libpq_url(servers.database_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def drop_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    assert name
    with psycopg.connect(libpq_url(admin_url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def corrected_feed(tmp_path: Path) -> Path:
    """Bahrain with a steward's decision after the Race: the winner disqualified."""
    lines = BAHRAIN.read_text().splitlines()
    results = [json.loads(x) for x in lines if '"v1/session_result"' in x and f'"session_key": {RACE}' in x]
    winner = next(r for r in results if r["payload"]["position"] == 1)
    correction = dict(winner, at="2025-04-13T19:00:00.000Z")
    correction["payload"] = dict(winner["payload"], position=None, dsq=True)
    feed = tmp_path / "corrected.jsonl"
    feed.write_text("\n".join([*lines, json.dumps(correction)]) + "\n")
    return feed


def race_results(url: str) -> tuple[dict[str, int], dict[int, int]]:
    with psycopg.connect(libpq_url(url)) as conn:
        assets = dict(
            conn.execute(
                "SELECT asset_name, points FROM asset_result"
                " WHERE session_key = %s AND asset_kind = 'driver'",
                (RACE,),
            ).fetchall()
        )
        teams = dict(
            conn.execute("SELECT team_id, weekend_points FROM team_result WHERE session_key = %s", (RACE,))
        )
    return assets, teams


def test_restore_drill(
    servers: ServiceUrls, drill_database: str, redis_url: str, redis_client: object, tmp_path: Path
) -> None:
    env = dict(os.environ, DATABASE_URL=drill_database, REDIS_URL=redis_url)
    with psycopg.connect(libpq_url(servers.database_url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(make_url(drill_database).database)))
    replayed = run(["replay", str(BAHRAIN), "--teams", "300", "--quiet"], env)
    assert replayed.returncode == 0, replayed.stderr[-3000:]
    before = table_checksums(drill_database)
    for table in ("user_account", "team", "league", "league_member", "roster", "asset_result", "team_result"):
        assert before[table][0] > 0, f"the replay left {table} empty: nothing to drill on"

    backups = tmp_path / "backups"
    done = run(["backup", "--to", str(backups)], env)
    assert done.returncode == 0, done.stderr[-3000:]
    [dump] = sorted(backups.glob("gridscore-*.dump"))
    manifest = json.loads(manifest_path(dump).read_text())
    assert manifest["row_counts"] == {table: count for table, (count, _) in before.items()}
    assert manifest["schema_revision"], "the manifest names the Alembic revision"

    refused = run(["restore", str(dump)], env)
    assert refused.returncode == 2, "a non-empty database is refused"
    assert "not empty" in refused.stderr

    drop_database(servers.database_url, drill_database)
    restored = run(["restore", str(dump)], env)
    assert restored.returncode == 0, restored.stderr[-3000:]
    assert table_checksums(drill_database) == before

    # The engine goes on from the restored data: a corrected classification re-scores the Race.
    feed = corrected_feed(tmp_path)
    original_assets, original_teams = race_results(drill_database)
    rescored = run(["replay", str(feed), "--teams", "300", "--quiet"], env)
    assert rescored.returncode == 0, rescored.stderr[-3000:]
    assets, teams = race_results(drill_database)
    corrected = score_feeds([feed]).as_json()
    assert assets != original_assets
    assert sorted(teams) == sorted(original_teams), "the restored teams were scored, no new ones"
    assert teams != original_teams
    with psycopg.connect(libpq_url(drill_database)) as conn:
        weekend = dict(
            conn.execute(
                "SELECT a.asset_name, sum(a.points)"
                " FROM asset_result a JOIN race_session s USING (session_key)"
                " WHERE s.meeting_key = (SELECT meeting_key FROM race_session WHERE session_key = %s)"
                " AND a.asset_kind = 'driver' GROUP BY 1",
                (RACE,),
            ).fetchall()
        )
    assert {k: int(v) for k, v in weekend.items()} == corrected["drivers"]


def test_a_damaged_dump_is_refused(
    servers: ServiceUrls, drill_database: str, tmp_path: Path, database_url: str
) -> None:
    env = dict(os.environ, DATABASE_URL=database_url)
    done = run(["backup", "--to", str(tmp_path)], env)
    assert done.returncode == 0, done.stderr[-3000:]
    [dump] = sorted(tmp_path.glob("gridscore-*.dump"))
    with dump.open("r+b") as fh:
        fh.seek(100)
        fh.write(b"\x00damaged\x00")
    refused = run(["restore", str(dump)], dict(os.environ, DATABASE_URL=drill_database))
    assert refused.returncode == 2
    assert "checksum" in refused.stderr


def test_a_dump_of_a_newer_postgresql_is_refused_by_an_older_server_naming_both_versions(
    tmp_path: Path,
) -> None:
    """A backup of PostgreSQL 18 (the embedded server's default) restored into PostgreSQL 16 (compose's and
    CI's): pg_restore 16 says only 'unsupported version (1.16) in file header'; the restore refuses up
    front, says which versions and what to do, and creates nothing. Both servers real (bundled)."""
    folder = Path(tempfile.mkdtemp(prefix="gridscore-pgmajor-"))  # short: the servers' sockets live here
    with contextlib.ExitStack() as servers:
        servers.callback(shutil.rmtree, folder, ignore_errors=True)  # after both servers stop
        newer = servers.enter_context(embedded_postgres(folder / "18", version=18))
        older = servers.enter_context(embedded_postgres(folder / "16", version=16))
        with psycopg.connect(libpq_url(newer), autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (n int)")
            conn.execute("INSERT INTO kept VALUES (1), (2)")
        dump = backup(newer, tmp_path)
        assert json.loads(manifest_path(dump).read_text())["server_version"] // 10_000 == 18
        target = make_url(older).set(database="restored").render_as_string(hide_password=False)
        refused = run(["restore", str(dump)], dict(os.environ, DATABASE_URL=target))
        assert refused.returncode == 2, refused.stderr[-3000:]
        message = refused.stderr
        assert "made from PostgreSQL 18." in message, message
        assert "this server is PostgreSQL 16." in message, message
        assert "PostgreSQL 18 server or newer" in message
        assert "unsupported version" not in message
        with psycopg.connect(libpq_url(older), autocommit=True) as conn:
            made = conn.execute("SELECT 1 FROM pg_database WHERE datname = 'restored'").fetchone()
        assert made is None, "a refused restore creates no database"

        # Into a server of the same major version it restores (the check refuses only an older one).
        same = make_url(newer).set(database="restored").render_as_string(hide_password=False)
        restored = run(["restore", str(dump)], dict(os.environ, DATABASE_URL=same))
        assert restored.returncode == 0, restored.stderr[-3000:]
        with psycopg.connect(libpq_url(same)) as conn:
            assert conn.execute("SELECT sum(n) FROM kept").fetchone() == (3,)


def make_dumps(directory: Path, times: list[datetime]) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for at in times:
        dump = dump_path(directory, at)
        dump.write_bytes(b"dump")
        manifest_path(dump).write_text("{}")
        paths.append(dump)
    return paths


def test_retention_keeps_the_newest_of_each_recent_day(tmp_path: Path) -> None:
    now = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)  # the fake clock
    nightly = [now - timedelta(days=d, hours=10) for d in range(0, 60)]
    extra_today = [now - timedelta(hours=1), now - timedelta(hours=3)]
    dumps = make_dumps(tmp_path, nightly + extra_today)
    (tmp_path / "notes.txt").write_text("not a dump: never touched")

    deleted = apply_retention(tmp_path, RetentionPolicy(daily=30), now=now)

    left = sorted(tmp_path.glob("gridscore-*.dump"))
    days = sorted({datetime.strptime(p.name[10:25], "%Y%m%dT%H%M%S").date() for p in left})
    assert len(left) == 30, "one dump for each of the last 30 days"
    assert len(days) == 30
    assert dump_path(tmp_path, extra_today[0]) in left, "the newest of today is the one kept"
    assert dump_path(tmp_path, nightly[0]) not in left
    assert days[0] == (now - timedelta(days=29)).date()
    assert set(deleted) == set(dumps) - set(left)
    assert not any(manifest_path(p).exists() for p in deleted), "manifests go with their dumps"
    assert (tmp_path / "notes.txt").exists()


def test_retention_with_weeks_and_months_and_never_empty(tmp_path: Path) -> None:
    now = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
    dumps = make_dumps(tmp_path, [now - timedelta(days=d) for d in range(0, 400, 1)])
    kept = kept_by_policy(dumps, RetentionPolicy(daily=7, weekly=4, monthly=12), now)
    ages = sorted(
        (now - datetime.strptime(p.name[10:25], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)).days for p in kept
    )
    assert ages[:7] == list(range(7)), "the last 7 days"
    assert max(ages) < 366, "nothing older than 12 months"
    months = {(now - timedelta(days=a)).strftime("%Y-%m") for a in ages}
    assert len(months) == 12
    # A policy that keeps nothing still keeps the newest dump: a backup folder is never emptied.
    old = make_dumps(tmp_path / "old", [now - timedelta(days=100), now - timedelta(days=200)])
    assert kept_by_policy(old, RetentionPolicy(daily=30), now) == {old[0]}
