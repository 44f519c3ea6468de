"""`gridscore bench-api`, run as a user runs it, tiny: the API in its own process under browser-like
reads and SSE streams while a race replays; every figure is reported and no read failed (speed is
reported, never asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from gridscore.base.services import ServiceUrls

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--teams", "2000", "--clients", "4", "--seconds", "3", "--sse-clients", "20", "--ceiling-s", "1"]
REPORTED = {
    "teams",
    "clients",
    "req_per_s",
    "p50_ms",
    "p99_ms",
    "errors",
    "not_modified_share",
    "sse_clients",
    "sse_lag_ms_p50",
    "sse_lag_ms_p99",
    "sse_missed_updates",
    "api_rss_mb",
    "sse_processes",
    "sse_lag_from_points_ms_p50",
    "sse_client_loop_lag_ms_p99",
    "windows_during_load",
    "standings_during_load",
}


def test_bench_api_reports_every_figure_with_no_error(servers: ServiceUrls, redis_url: str) -> None:
    env = dict(os.environ, DATABASE_URL=servers.database_url, REDIS_URL=redis_url)
    done = subprocess.run(
        [sys.executable, "-m", "gridscore.cli", "bench-api", *TINY, "--json"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result.keys() >= REPORTED
    assert (result["teams"], result["clients"], result["sse_clients"]) == (2_000, 4, 20)
    assert result["errors"] == 0, result["first_error"]
    assert result["requests"] > 0
    assert result["req_per_s"] > 0
    assert 0 < result["p50_ms"] <= result["p99_ms"]
    assert 0.0 <= result["not_modified_share"] <= 1.0
    assert result["sse_failed"] == 0, result["sse_first_failure"]
    assert result["sse_events"] >= 20, "every stream sends the state it opens on"
    assert 0 <= result["sse_missed_updates"] <= result["sse_expected_updates"]
    assert 0 <= result["standings_during_load"] <= result["windows_during_load"]
    assert result["api_rss_mb"] > 0
    assert result["client_ceiling_req_per_s"] > 0
