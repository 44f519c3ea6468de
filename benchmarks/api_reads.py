"""API read latency under load: a 10,000-team league's live leaderboard and team scores.

    python -m benchmarks.api_reads [--teams 10000] [--seconds 10] [--concurrency 32]

A scratch database on the DATABASE_URL server (embedded Postgres and Valkey when the URLs are
unset) gets a weekend and N generated teams, all in the global league; a replay of the feed puts
their live totals in Redis. The API is served by uvicorn in a child process, and this process
loads it over HTTP with an authenticated client: pages of the league's live leaderboard, then
random teams' live scores with their per-asset breakdown. Prints one JSON object: p50, p99 and
requests per second of each. A measurement, not a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

from api.config import ApiConfig
from gridscore.base.services import ServiceUrls, running_services
from gridscore.base.settings import Settings
from store.urls import libpq_url

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FEED = ROOT / "data" / "feeds" / "2025-03-japan.jsonl"
PAGE = 50


@dataclass(frozen=True, slots=True)
class Result:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    first_error: str | None = None

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def as_json(self) -> dict[str, float | int | str]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "requests_per_s": round(self.per_second, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "mean_ms": round(self.mean_ms, 2),
        } | ({"first_error": self.first_error} if self.first_error else {})


def _serve(config: ApiConfig, port: int) -> None:  # in the child process
    import uvicorn

    from api.app import create_app

    uvicorn.run(create_app(config), host="127.0.0.1", port=port, log_level="warning")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _scratch_database(server_url: str) -> str:
    name = f"gridscore_bench_api_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _drop_database(server_url: str, url: str) -> None:
    name = make_url(url).database
    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(database_url: str, redis_url: str, feed: Path, teams: int) -> tuple[int, int, list[int]]:
    """(meeting key, global league id, team ids): the weekend, N teams and their live totals."""
    from benchmarks.replay import replay
    from benchmarks.seed import seed_from_feed
    from store.migrate import upgrade

    upgrade(database_url)
    seeded = seed_from_feed(database_url, feed, datetime.now(UTC) + timedelta(days=1))
    settings = Settings(database_url=database_url, redis_url=redis_url)
    replay(settings, [feed], teams=teams)
    with psycopg.connect(libpq_url(database_url)) as conn:
        league = conn.execute("SELECT id FROM league WHERE is_global").fetchone()
        ids = [
            r[0]
            for r in conn.execute("SELECT team_id FROM roster WHERE meeting_key = %s", (seeded.meeting_key,))
        ]
    assert league is not None
    return seeded.meeting_key, int(league[0]), ids


async def load(
    base_url: str, headers: dict[str, str], paths: Callable[[], str], seconds: float, concurrency: int
) -> Result:
    latencies: list[float] = []
    errors = 0
    first_error: list[str] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, limits=limits, timeout=30) as client:

        async def worker(until: float) -> None:
            nonlocal errors
            while time.perf_counter() < until:
                started = time.perf_counter()
                response = await client.get(paths())
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    errors += 1
                    if not first_error:
                        first_error.append(f"{response.status_code} {response.text[:300]}")

        warm = time.perf_counter() + min(2.0, seconds / 5)
        await asyncio.gather(*(worker(warm) for _ in range(concurrency)))
        latencies.clear()
        errors = 0
        first_error.clear()
        started = time.perf_counter()
        await asyncio.gather(*(worker(started + seconds) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return Result(
        requests=len(ordered),
        errors=errors,
        seconds=elapsed,
        p50_ms=ordered[len(ordered) // 2] * 1000,
        p99_ms=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        mean_ms=statistics.fmean(ordered) * 1000,
        first_error=first_error[0] if first_error else None,
    )


def _wait_until_up(base_url: str, server: multiprocessing.process.BaseProcess) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code in (200, 503):
                return
        except httpx.TransportError:
            pass
        if not server.is_alive() or time.monotonic() > deadline:
            raise SystemExit("benchmarks.api_reads: the API server did not start")
        time.sleep(0.2)


def _player(base_url: str) -> dict[str, str]:
    email, password = f"bench-{uuid.uuid4().hex[:8]}@example.com", "benchmark password"
    httpx.post(
        f"{base_url}/api/auth/register", json={"email": email, "password": password, "display_name": "Bench"}
    ).raise_for_status()
    tokens = httpx.post(f"{base_url}/api/auth/login", json={"email": email, "password": password})
    tokens.raise_for_status()
    return {"Authorization": f"Bearer {tokens.json()['access_token']}"}


def run(args: argparse.Namespace) -> dict[str, Any]:
    settings = Settings.from_env()
    with running_services(settings) as urls:
        database_url = _scratch_database(urls.database_url)
        server: multiprocessing.process.BaseProcess | None = None
        try:
            started = time.perf_counter()
            meeting, league, team_ids = prepare(database_url, urls.redis_url, Path(args.feed), args.teams)
            prepared_s = time.perf_counter() - started
            port = _free_port()
            for_bench = {"jwt_secret": uuid.uuid4().hex * 2, "api_auth_rate_limit": 1_000}
            config = ApiConfig.from_settings(
                settings.model_copy(update=for_bench), ServiceUrls(database_url, urls.redis_url)
            )
            server = multiprocessing.get_context("spawn").Process(
                target=_serve, args=(config, port), daemon=True
            )
            server.start()
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_up(base_url, server)
            headers = _player(base_url)
            rng = random.Random(7)
            pages = max(1, len(team_ids) // PAGE)

            def leaderboard() -> str:
                offset = rng.randrange(pages) * PAGE
                return f"/api/leagues/{league}/leaderboard?meeting_key={meeting}&offset={offset}&limit={PAGE}"

            def team_score() -> str:
                return f"/api/teams/{rng.choice(team_ids)}/score?meeting_key={meeting}"

            results = {
                name: asyncio.run(load(base_url, headers, paths, args.seconds, args.concurrency)).as_json()
                for name, paths in (("league_leaderboard_live", leaderboard), ("team_score_live", team_score))
            }
            return {
                "teams_in_league": len(team_ids),
                "page_size": PAGE,
                "concurrency": args.concurrency,
                "seconds_per_read": args.seconds,
                "setup_s": round(prepared_s, 1),
                "server": "uvicorn, 1 worker, child process; load: httpx from this process",
                **results,
            }
        finally:
            if server is not None:
                server.terminate()
                server.join(10)
            _drop_database(urls.database_url, database_url)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.api_reads", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--teams", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per kind of read")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--feed", default=str(DEFAULT_FEED))
    args = parser.parse_args(argv)
    print(json.dumps(run(args), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
