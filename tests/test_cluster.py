"""A weekend's teams in K=4 shards on two Bytewax processes (a cluster via -i/-a) give the results
of one process scoring every team as one book (K=1): the same Redis state, array for array (totals,
ranks, every league's standings, leagues spread over several shards), and the same final rows."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import psycopg
import pytest
import redis
from bytewax.testing import run_main

from benchmarks.replay import prepare_teams
from dataflows.cluster import replay_flow
from ingest.feeds import summarise
from store import live_keys
from store.urls import libpq_url
from tests.conftest import SHARED_FEEDS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def snapshot(db: str, client: redis.Redis, meetings: list[int]) -> dict[str, object]:
    with psycopg.connect(libpq_url(db)) as conn:
        assets = conn.execute(
            "SELECT session_key, asset_kind::text, asset_name, points, breakdown::text"
            " FROM asset_result ORDER BY 1, 2, 3"
        ).fetchall()
        teams = conn.execute(
            "SELECT session_key, team_id, session_points, weekend_points, rank FROM team_result ORDER BY 1, 2"
        ).fetchall()
    arrays = (
        live_keys.meeting_points,
        live_keys.team_totals,
        live_keys.totals_points,
        live_keys.league_order,
        live_keys.league_ranks,
        live_keys.league_points,
        live_keys.team_ids,
    )
    live: dict[tuple[int, str], object] = {
        (m, k.__name__): client.get(k(m)) for m in meetings for k in arrays
    }
    live.update({(m, "league_index"): client.hgetall(live_keys.league_index(m)) for m in meetings})
    for m in meetings:  # one process writes a rank table, shards their slots' ranks: the same reads
        totals, ranks, table = (
            client.get(k(m)) for k in (live_keys.team_totals, live_keys.team_ranks, live_keys.team_rank_table)
        )
        live[(m, "ranks")] = live_keys.ranks_as_read(totals, ranks, table)
    return {"assets": assets, "teams": teams, "live": live}


def clear_results(db: str, client: redis.Redis) -> None:
    with psycopg.connect(libpq_url(db), autocommit=True) as conn:
        conn.execute("TRUNCATE asset_result, team_result")
    for key in client.scan_iter("gs:m:*"):
        if not key.endswith((b":team_ids", b":league_index")):
            client.delete(key)


def test_four_shards_on_two_processes_give_the_results_of_one_book(
    db: str, redis_client: redis.Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    meetings = []
    for feed in SHARED_FEEDS:
        summary = summarise([feed])
        meetings.append(summary.meeting_keys[0])
        prepare_teams(db, meetings[-1], summary.drivers, summary.constructors, 120, "f1fantasy-2025")
    monkeypatch.setenv("DATABASE_URL", db)
    monkeypatch.setenv("REDIS_URL", redis_url)
    monkeypatch.setenv("GRIDSCORE_TEAM_SHARDS", "1")
    run_main(replay_flow(*map(str, SHARED_FEEDS)))
    one = snapshot(db, redis_client, meetings)
    assert len(one["teams"]) == 120 * 10  # type: ignore[arg-type]
    assert all(one["live"].values()), "every array written"  # type: ignore[attr-defined]

    clear_results(db, redis_client)
    monkeypatch.setenv("GRIDSCORE_TEAM_SHARDS", "4")
    addresses = ";".join(f"127.0.0.1:{free_port()}" for _ in range(2))
    flow_ref = f"dataflows.cluster:replay_flow({', '.join(repr(str(f)) for f in SHARED_FEEDS)})"
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bytewax.run", flow_ref, "-i", str(i), "-a", addresses],
            env=dict(os.environ),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in range(2)
    ]
    outputs = [p.communicate(timeout=240)[0] for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    two = snapshot(db, redis_client, meetings)
    live_one, live_two = one["live"], two["live"]
    assert isinstance(live_one, dict)
    assert isinstance(live_two, dict)
    assert [k for k in live_one if live_one[k] != live_two[k]] == [], "live arrays that differ"
    assert two == one
