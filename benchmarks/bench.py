"""`gridscore bench`: a million teams live on one machine, measured against a set-based SQL baseline.

One run, one process (team generation happens in a child so that it does not count in the
engine's peak memory):
- load N generated teams into Postgres and the TeamBook;
- replay a lap-by-lap race through the real flow into Redis and Postgres, timing each window from
  its close to every team's total and rank being readable in Redis, and the classification from
  its arrival to every team's final result committed;
- the baseline: the same refresh as one set-based UPDATE of every team total in Postgres;
- replay throughput with no teams and no pacing (median of three replays).
"""

from __future__ import annotations

import multiprocessing
import resource
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import numpy.typing as npt
import psycopg
import redis
from sqlalchemy.engine import make_url

from benchmarks.feeds import repeated_feed
from benchmarks.teams import AssetMarket, ensure_global_league, generate_roster_chunks, store_generated_teams
from dataflows.assemble import store_flow
from dataflows.runner import run_flow
from gridscore.base.services import ServiceUrls
from gridscore.base.settings import Settings
from ingest.feeds import summarise
from scoring.outcomes import ScoredWindow
from scoring.rules import load_ruleset
from store import live_keys
from store.live import BookIndexPublisher
from store.migrate import upgrade
from store.roster_stream import read_bigints
from store.teams import load_book
from store.urls import libpq_url

DATA = Path(__file__).resolve().parent.parent / "data" / "feeds"
LAP_BY_LAP = DATA / "2023-01-bahrain.jsonl"
BENCH_DB = "gridscore_bench"
BENCH_REDIS_DB = 15
LAP_BATCH = 40  # about one lap of the 20 cars (laps + positions) per source batch


@dataclass
class BenchResult:
    teams: int
    windows: int
    refresh_ms_p50: float
    refresh_ms_p99: float
    league_refresh_ms_p50: float
    league_refresh_ms_p99: float
    baseline_sql_ms_p50: float | None  # None: --baseline-runs 0
    speedup: float | None
    final_write_s: float
    peak_rss_mb: float
    replay_msgs_per_s: float
    teams_load_s: float
    book_load_s: float
    speed: float
    index_write_s: float | None = None  # the team index (ids, leagues) into Redis, before the race
    # teams_load_s's parts: chunks of teams made and stored, then constraints and indexes made again
    teams_chunks_s: float | None = None
    teams_constraints_s: float | None = None
    # Live, end to end through the broker (benchmarks/mqtt_latency.py): publish -> f1/scoring points,
    # -> every team's total and rank in Redis, -> every league's standings. None: not measured.
    publish_to_points_ms_p50: float | None = None
    publish_to_points_ms_p99: float | None = None
    publish_to_totals_ms_p50: float | None = None
    publish_to_totals_ms_p99: float | None = None
    publish_to_leagues_ms_p50: float | None = None
    publish_to_leagues_ms_p99: float | None = None
    latency_load_average: float | None = None  # the machine's 1-minute load average meanwhile

    def as_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q)) if values else float("nan")


def bench_urls(
    database_url: str, redis_url: str, database: str = BENCH_DB, redis_db: int = BENCH_REDIS_DB
) -> tuple[str, str]:
    """A database and a Redis DB of the bench's own, so a run never mixes with the demo's state."""
    admin = libpq_url(database_url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    db = make_url(database_url).set(database=database).render_as_string(hide_password=False)
    parts = urlsplit(redis_url)
    return db, urlunsplit(parts._replace(path=f"/{redis_db}"))


def _generate(
    database_url: str,
    meeting: int,
    drivers: tuple[str, ...],
    constructors: tuple[str, ...],
    teams: int,
    timings: Connection,
) -> None:
    rosters = generate_roster_chunks(AssetMarket.synthetic(drivers, constructors), teams, load_ruleset().team)
    spent: dict[str, float] = {}
    with psycopg.connect(libpq_url(database_url)) as conn:
        ensure_global_league(conn)
        store_generated_teams(conn, meeting, rosters, bulk=True, timings=spent)  # the bench's own database
        conn.commit()
    timings.send(spent)


def baseline_sql(database_url: str, meeting: int, points: dict[str, int], runs: int) -> list[float]:
    """How a team without GridScore refreshes: one set-based UPDATE of every total from asset points."""
    timings = []
    with psycopg.connect(libpq_url(database_url)) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_asset_points (asset text PRIMARY KEY, points int)")
        conn.execute("CREATE TABLE IF NOT EXISTS bench_team_total (team_id bigint PRIMARY KEY, total int)")
        conn.execute("TRUNCATE bench_asset_points, bench_team_total")
        conn.execute(
            "INSERT INTO bench_team_total SELECT team_id, 0 FROM roster WHERE meeting_key = %s", (meeting,)
        )
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO bench_asset_points VALUES (%s, %s)", list(points.items()))
        conn.commit()
        for _ in range(runs):
            started = time.perf_counter()
            conn.execute(
                "UPDATE bench_team_total t SET total = s.total FROM ("
                " SELECT r.team_id,"
                "  (SELECT sum(p.points * CASE WHEN d = r.boost_driver THEN 2 ELSE 1 END)"
                "     FROM unnest(r.drivers) AS d JOIN bench_asset_points p ON p.asset = 'driver:' || d)"
                "  + (SELECT sum(p.points) FROM unnest(r.constructors) AS c"
                "     JOIN bench_asset_points p ON p.asset = 'constructor:' || c) AS total"
                " FROM roster r WHERE r.meeting_key = %s) s WHERE t.team_id = s.team_id",
                (meeting,),
            )
            conn.commit()
            timings.append(time.perf_counter() - started)
    return timings


def baseline_totals(database_url: str) -> npt.NDArray[np.int64]:
    """The baseline's team totals in team id order (the order of the totals in Redis)."""
    parts: list[npt.NDArray[np.int64]] = []  # as numbers, never ten million Python tuples
    query = "SELECT team_id, coalesce(total, 0)::bigint FROM bench_team_total"
    with psycopg.connect(libpq_url(database_url)) as conn:
        read_bigints(
            conn, query, (), lambda rows: parts.append(np.stack([rows["c0"], rows["c1"]]).astype(np.int64))
        )
    pairs = np.concatenate(parts, axis=1) if parts else np.zeros((2, 0), dtype=np.int64)
    return pairs[1, np.argsort(pairs[0], kind="stable")]


def replay_throughput(database_url: str, redis_url: str, copies: int = 25, runs: int = 3) -> float:
    """Messages per second through the full flow (Redis and Postgres sinks), no teams, no pacing:
    the median of `runs` replays."""
    rates = []
    with tempfile.TemporaryDirectory() as folder:
        feed = repeated_feed(LAP_BY_LAP, copies, Path(folder) / "repeated.jsonl")
        messages = summarise([feed]).messages
        for _ in range(runs):
            flow = store_flow(database_url, redis_url, [feed], Settings(), book=None)
            started = time.perf_counter()
            run_flow(flow)
            rates.append(messages / (time.perf_counter() - started))
    return statistics.median(rates)


def run_bench(
    settings: Settings,
    database_url: str,
    redis_url: str,
    teams: int,
    baseline_runs: int = 3,
    speed: float = 100.0,
    database: str = BENCH_DB,
    redis_db: int = BENCH_REDIS_DB,
    latency_s: float = 60.0,
) -> BenchResult:
    """`speed` paces the race (100: a 95-minute race in under a minute) so that windows close as
    they would live, one after another; 0 replays as fast as possible, which piles windows up
    behind each other (and behind the Qualifying's final write) and measures queueing instead."""
    db, rurl = bench_urls(database_url, redis_url, database, redis_db)
    upgrade(db)
    redis.Redis.from_url(rurl).flushdb(asynchronous=True)  # a 10M state is freed in the background
    summary = summarise([LAP_BY_LAP])
    meeting = summary.meeting_keys[0]

    started = time.perf_counter()
    spawn = multiprocessing.get_context("spawn")
    received, sent = spawn.Pipe(duplex=False)
    child = spawn.Process(
        target=_generate, args=(db, meeting, summary.drivers, summary.constructors, teams, sent)
    )
    child.start()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(f"team generation failed with exit code {child.exitcode}")
    teams_load_s = time.perf_counter() - started
    generated: dict[str, float] = received.recv() if received.poll() else {}
    received.close()

    started = time.perf_counter()
    rules = load_ruleset(settings.ruleset)
    with psycopg.connect(libpq_url(db)) as conn:
        book = load_book(conn, meeting, rules.team.boost_multiplier, rules.team.extra_drs_multiplier)
    book_load_s = time.perf_counter() - started
    assert book is not None
    assert book.size == teams
    started = time.perf_counter()
    BookIndexPublisher(rurl)(meeting, book)  # as the live engine does, before the weekend's first window
    index_write_s = time.perf_counter() - started

    refresh: list[float] = []
    written: list[tuple[float, dict[str, float]]] = []
    finals: dict[str, float] = {}
    last_points: dict[str, int] = {}

    def on_written(window: ScoredWindow) -> None:
        if window.teams is not None:
            closed = window.weekend.session.closed_at
            refresh.append(window.visible_at["totals"] - closed)
            written.append((closed, window.visible_at))  # not the window: its arrays would pile up
            last_points.update(window.weekend.asset_points())

    def on_final(window: ScoredWindow) -> None:
        finals[window.weekend.session.session_name] = time.perf_counter() - window.weekend.session.closed_at

    flow = store_flow(
        db,
        rurl,
        [LAP_BY_LAP],
        settings,
        book=book,
        meeting_key=meeting,
        on_written=on_written,
        on_final=on_final,
        batch_size=LAP_BATCH,
        speed=speed,
    )
    run_flow(flow)  # returns once the standings thread has written what was waiting
    leagues = [visible["leagues"] - closed for closed, visible in written if "leagues" in visible]
    client = redis.Redis.from_url(rurl)
    stored = live_keys.unpack_int32(client.get(live_keys.team_totals(meeting)) or b"")
    assert stored.size == teams, "every team's total is in Redis"

    baseline = baseline_sql(db, meeting, last_points, baseline_runs) if baseline_runs > 0 else []
    if baseline and not np.array_equal(baseline_totals(db), stored):
        raise RuntimeError("the SQL baseline and GridScore disagree on the team totals: no speedup to report")
    throughput = replay_throughput(db, rurl)
    refresh_p50 = percentile(refresh, 50)
    baseline_p50 = statistics.median(baseline) * 1000 if baseline else None
    latency = live_latency(db, rurl, teams, latency_s) if latency_s > 0 else {}
    return BenchResult(
        teams=teams,
        windows=len(refresh),
        refresh_ms_p50=round(refresh_p50 * 1000, 2),
        refresh_ms_p99=round(percentile(refresh, 99) * 1000, 2),
        league_refresh_ms_p50=round(percentile(leagues, 50) * 1000, 2),
        league_refresh_ms_p99=round(percentile(leagues, 99) * 1000, 2),
        baseline_sql_ms_p50=round(baseline_p50, 1) if baseline_p50 is not None else None,
        speedup=None
        if baseline_p50 is None
        else round(baseline_p50 / (refresh_p50 * 1000), 1)
        if refresh_p50 > 0
        else float("inf"),
        final_write_s=round(finals.get("Race", float("nan")), 3),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        replay_msgs_per_s=round(throughput),
        teams_load_s=round(teams_load_s, 1),
        book_load_s=round(book_load_s, 2),
        index_write_s=round(index_write_s, 2),
        teams_chunks_s=round(generated["chunks_s"], 1) if "chunks_s" in generated else None,
        teams_constraints_s=round(generated["constraints_s"], 1) if "constraints_s" in generated else None,
        speed=speed,
        **{k: v for k, v in latency.items() if k in LATENCY_KEYS},
    )


LATENCY_KEYS = (
    "publish_to_points_ms_p50",
    "publish_to_points_ms_p99",
    "publish_to_totals_ms_p50",
    "publish_to_totals_ms_p99",
    "publish_to_leagues_ms_p50",
    "publish_to_leagues_ms_p99",
    "latency_load_average",
)


def live_latency(
    database_url: str, redis_url: str, teams: int, duration_s: float, data_dir: Path | None = None
) -> dict[str, Any]:
    """The live engine (`gridscore live`) on the bench's teams, with the race published through
    MQTT_URL's broker at 60x for `duration_s` seconds (benchmarks/mqtt_latency.py), once the engine
    has loaded the teams; its journal and log under `data_dir` (GRIDSCORE_DATA_DIR/bench when None)."""
    from benchmarks import mqtt_latency

    # The refresh bench replayed the race to its end in this database: the weekend is set in play
    # again, so that the engine loads its teams when it starts, as live (not at the first message).
    options = [
        "--teams",
        str(teams),
        "--duration",
        str(duration_s),
        "--feed",
        str(LAP_BY_LAP),
        "--reopen-weekend",
    ]
    args = mqtt_latency.parser().parse_args(options + (["--data-dir", str(data_dir)] if data_dir else []))
    result = mqtt_latency.run(args, ServiceUrls(database_url, redis_url))
    before, after = result["load_average_before"][0], result["load_average_after"][0]
    return {**result, "latency_load_average": round((before + after) / 2, 2)}
