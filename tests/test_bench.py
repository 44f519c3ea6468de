"""`gridscore bench` measures what the scale report needs, over real Postgres and Redis, and its
baseline computes the same team totals as the engine (timings are reported, never asserted)."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from benchmarks.bench import run_bench
from gridscore.base.services import ServiceUrls
from gridscore.base.settings import Settings
from store.urls import libpq_url
from tests.conftest import TEST_REDIS_DB

REPORTED = {
    "teams",
    "refresh_ms_p50",
    "refresh_ms_p99",
    "baseline_sql_ms_p50",
    "speedup",
    "final_write_s",
    "peak_rss_mb",
    "replay_msgs_per_s",
}


def test_bench_reports_every_figure_against_a_baseline_that_agrees(servers: ServiceUrls) -> None:
    database = f"gridscore_bench_test_{uuid.uuid4().hex[:8]}"
    try:
        result = run_bench(
            Settings(),
            servers.database_url,
            servers.redis_url,
            teams=2_000,
            baseline_runs=2,
            speed=0,
            database=database,
            redis_db=TEST_REDIS_DB,
            latency_s=0,  # the live latency keys: tests/mqtt/test_bench_latency.py
        ).as_dict()
    finally:
        with psycopg.connect(libpq_url(servers.database_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    assert result.keys() >= REPORTED
    assert result["teams"] == 2_000
    assert result["windows"] > 10, "a lap-by-lap race is many windows"
    assert 0 < result["refresh_ms_p50"] <= result["refresh_ms_p99"]
    # The speedup is computed before the figures are rounded for the report, and reported to 0.1: at
    # 2,000 teams on a loaded machine it can be near 1 (1.1 reported for 1.14 from the rounded figures).
    assert result["speedup"] == pytest.approx(
        result["baseline_sql_ms_p50"] / result["refresh_ms_p50"], rel=0.02, abs=0.06
    )
    assert result["final_write_s"] > 0
    assert result["peak_rss_mb"] > 0
    assert result["replay_msgs_per_s"] > 0
    # Generation's two parts come back from its child process and fit in the time it took.
    assert result["teams_chunks_s"] is not None
    assert result["teams_constraints_s"] is not None
    assert 0 < result["teams_chunks_s"] + result["teams_constraints_s"] <= result["teams_load_s"] + 0.1
