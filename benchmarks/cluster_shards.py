"""One weekend's teams on one process (K=1) and in K shards on P processes: peak memory per process
and refresh (a window's close -> every team's total and rank readable in Redis).

    flock /tmp/gridscore-bench.lock .venv/bin/python -m benchmarks.cluster_shards --teams 1000000

Generates the teams once in the bench database (gridscore_bench, Redis DB 15), then replays Bahrain
2023 lap by lap, paced like `gridscore bench`, through the cluster entry's flow (every process reads
its rosters from Postgres: the K=1 process the whole weekend, a shard its slots) in each layout, and
checks that both leave the same team totals, ranks and league standings in Redis. Prints one JSON
object: per layout, each process's peak RSS and the refresh p50/p99 (one process: a window's close
to its totals written; sharded: to the last of its K shards' slots written).
"""

from __future__ import annotations

import argparse
import atexit
import hashlib
import json
import multiprocessing
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import redis
from bytewax.dataflow import Dataflow

from benchmarks.bench import (
    BENCH_DB,
    BENCH_REDIS_DB,
    LAP_BATCH,
    LAP_BY_LAP,
    _generate,
    bench_urls,
    percentile,
)
from dataflows.assemble import Edges, assemble
from dataflows.config import ClockMode, flow_config
from dataflows.shard_books import StoreShardBooks
from dataflows.store_books import StoreTeamBooks
from gridscore.base.settings import get_settings
from ingest.feeds import summarise
from ingest.recorded import RecordedFeedSource
from scoring.outcomes import ScoredWindow
from scoring.shards import ShardTeams
from store import live_keys
from store.migrate import upgrade


def bench_flow(out: str, speed: float) -> Dataflow:
    """A cluster process's flow (`python -m bytewax.run "benchmarks.cluster_shards:bench_flow(...)"`):
    the cluster entry's, paced, that writes its refresh times and peak RSS to `out` at exit."""
    settings = get_settings()
    assert settings.database_url is not None
    assert settings.redis_url is not None
    config = flow_config(settings, ClockMode.PACED)
    refresh: list[float] = []
    shard_writes: list[tuple[int, str, int, float]] = []  # (meeting, window, shard, close -> written)

    def on_written(window: ScoredWindow) -> None:
        if window.teams is not None:
            refresh.append(window.visible_at["totals"] - window.weekend.session.closed_at)

    def on_shard_written(teams: ShardTeams, written: float) -> None:
        if teams.totals is not None:
            window = f"{teams.run}:{teams.seq}"
            shard_writes.append(
                (teams.meeting_key, window, teams.shard, written - teams.update.session.closed_at)
            )

    books = (
        StoreShardBooks(settings.database_url, config.rules.team)
        if config.shards > 1
        else StoreTeamBooks(settings.database_url, config.rules.team)
    )

    def report() -> None:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        held = books.held() if isinstance(books, StoreShardBooks) else {}
        Path(out).write_text(
            json.dumps({"refresh": refresh, "shard_writes": shard_writes, "peak_rss_mb": peak, "held": held})
        )

    atexit.register(report)
    return assemble(
        RecordedFeedSource([LAP_BY_LAP], speed=speed, batch_size=LAP_BATCH),
        config,
        settings.database_url,
        settings.redis_url,
        books,
        notify=False,
        edges=Edges(on_written=on_written, on_shard_written=on_shard_written),
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_layout(db: str, rurl: str, shards: int, processes: int, speed: float, folder: Path) -> dict[str, Any]:
    redis.Redis.from_url(rurl).flushdb(asynchronous=True)  # a big earlier state goes in the background
    addresses = ";".join(f"127.0.0.1:{_free_port()}" for _ in range(processes))
    outs = [folder / f"k{shards}-p{i}.json" for i in range(processes)]
    env = {**os.environ, "DATABASE_URL": db, "REDIS_URL": rurl, "GRIDSCORE_TEAM_SHARDS": str(shards)}
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bytewax.run",
                f"benchmarks.cluster_shards:bench_flow({str(out)!r}, {speed!r})",
                *(["-i", str(i), "-a", addresses] if processes > 1 else []),
            ],
            env=env,
        )
        for i, out in enumerate(outs)
    ]
    if any(p.wait() != 0 for p in procs):
        raise RuntimeError("a process of the layout failed")
    elapsed = time.perf_counter() - started
    reports = [json.loads(out.read_text()) for out in outs]
    refresh = [r for report in reports for r in report["refresh"]] + sharded_refresh(reports, shards)
    return {
        "shards": shards,
        "processes": processes,
        "peak_rss_mb": [round(r["peak_rss_mb"], 1) for r in reports],
        "held": [r["held"] for r in reports],
        "windows": len(refresh),
        "refresh_ms_p50": round(percentile(refresh, 50) * 1000, 2),
        "refresh_ms_p99": round(percentile(refresh, 99) * 1000, 2),
        "wall_s": round(elapsed, 1),
    }


def sharded_refresh(reports: list[dict[str, Any]], shards: int) -> list[float]:
    """A sharded window's refresh: its close -> the last of its K shards' totals written (every
    process's clock is the machine's monotonic clock); windows some shard skipped are left out."""
    by_window: dict[tuple[int, str], dict[int, float]] = {}
    for report in reports:
        for meeting, window, shard, seconds in report.get("shard_writes", []):
            by_window.setdefault((meeting, window), {})[shard] = seconds
    return [max(times.values()) for times in by_window.values() if len(times) == shards]


def live_digest(rurl: str, meeting: int) -> str:
    """The team arrays the API reads, hashed (totals, ranks, every league's order, ranks, points)."""
    client = redis.Redis.from_url(rurl)
    digest = hashlib.blake2b(digest_size=16)
    totals, ranks, table = (
        client.get(k(meeting))
        for k in (live_keys.team_totals, live_keys.team_ranks, live_keys.team_rank_table)
    )
    digest.update(totals or b"")
    digest.update(live_keys.ranks_as_read(totals, ranks, table))  # one process: a rank table
    for key in (
        live_keys.league_order,
        live_keys.league_ranks,
        live_keys.league_points,
    ):
        digest.update(client.get(key(meeting)) or b"")
    return digest.hexdigest()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--teams", type=int, default=1_000_000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--speed", type=float, default=100.0)
    parser.add_argument("--database", default=BENCH_DB, help="dropped and made again")
    parser.add_argument("--redis-db", type=int, default=BENCH_REDIS_DB)
    args = parser.parse_args()
    settings = get_settings()
    if settings.database_url is None or settings.redis_url is None:
        raise SystemExit("needs DATABASE_URL and REDIS_URL")
    db, rurl = bench_urls(settings.database_url, settings.redis_url, args.database, args.redis_db)
    upgrade(db)
    summary = summarise([LAP_BY_LAP])
    meeting = summary.meeting_keys[0]
    started = time.perf_counter()
    spawn = multiprocessing.get_context("spawn")
    timings, sent = spawn.Pipe(duplex=False)  # the generator's own timings, not reported here
    child = spawn.Process(
        target=_generate, args=(db, meeting, summary.drivers, summary.constructors, args.teams, sent)
    )
    child.start()
    timings.recv()
    child.join()
    generated_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        one = run_layout(db, rurl, 1, 1, args.speed, Path(folder))
        one_digest = live_digest(rurl, meeting)
        sharded = run_layout(db, rurl, args.shards, args.processes, args.speed, Path(folder))
        same = live_digest(rurl, meeting) == one_digest
    print(
        json.dumps(
            {
                "teams": args.teams,
                "generate_s": round(generated_s, 1),
                "one_process": one,
                "sharded": sharded,
                "rss_per_process_vs_one": round(max(sharded["peak_rss_mb"]) / one["peak_rss_mb"][0], 3),
                "redis_arrays_identical": same,
                "loadavg": Path("/proc/loadavg").read_text().split()[:3],
            }
        )
    )
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
