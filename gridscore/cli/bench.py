"""`gridscore bench --teams N [--json]` and `gridscore bench-api --teams N --clients C ...`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gridscore.base.settings import Settings


def bench(args: argparse.Namespace, settings: Settings) -> int:
    """Measure live refresh, the SQL baseline, final writes, memory and replay throughput."""
    from benchmarks.bench import run_bench
    from gridscore.base.services import running_services

    with running_services(settings) as urls:
        result = run_bench(
            settings,
            urls.database_url,
            urls.redis_url,
            args.teams,
            args.baseline_runs,
            args.speed,
            database=args.database,
            redis_db=args.redis_db,
            latency_s=args.latency_s,
        )
    if args.json:
        print(json.dumps(result.as_dict()))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"GridScore bench, {args.teams:,} teams")
        table.add_column("measure")
        table.add_column("value", justify="right")
        for key, value in result.as_dict().items():
            table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
        Console().print(table)
    return 0


def bench_api(args: argparse.Namespace, settings: Settings) -> int:
    """Race-time reads: the API under browser-like load and SSE streams while a race replays into it."""
    from benchmarks.api_load import run

    for name in ("teams", "clients", "seconds", "sse_clients"):
        if getattr(args, name) < (0 if name == "sse_clients" else 1):
            raise SystemExit(f"gridscore bench-api: --{name.replace('_', '-')} must be positive")
    if args.sse_processes is not None and args.sse_processes < 1:
        raise SystemExit("gridscore bench-api: --sse-processes must be positive")
    result = run(
        settings,
        teams=args.teams,
        clients=args.clients,
        seconds=args.seconds,
        sse_clients=args.sse_clients,
        feed=Path(args.feed) if args.feed else None,
        speed=args.speed,
        workers=args.workers,
        ceiling_s=args.ceiling_s,
        sse_processes=args.sse_processes,
    )
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>28}  {value}")
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("bench", help=bench.__doc__)
    p.add_argument("--teams", type=int, default=100_000)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--baseline-runs", type=int, default=3)
    p.add_argument("--speed", type=float, default=100.0, help="race pace (0: as fast as possible)")
    p.add_argument(
        "--database", default="gridscore_bench", help="the bench's own database (dropped and made again)"
    )
    p.add_argument("--redis-db", type=int, default=15, help="the bench's own Redis DB (emptied)")
    p.add_argument(
        "--latency-s",
        type=float,
        default=60.0,
        help="seconds of live race through MQTT_URL's broker for the publish_to_* keys (0: skip)",
    )

    p = sub.add_parser("bench-api", help=bench_api.__doc__)
    p.add_argument("--teams", type=int, default=10_000)
    p.add_argument(
        "--clients", type=int, default=50, help="concurrent HTTP clients (half leaderboard, half score)"
    )
    p.add_argument("--seconds", type=float, default=30.0, help="measured seconds of load")
    p.add_argument("--sse-clients", type=int, default=100, help="streams of the global league's leaderboard")
    p.add_argument(
        "--sse-processes",
        type=int,
        default=None,
        help="load processes the streams are shared among (default: one per 2,500 streams)",
    )
    p.add_argument("--speed", type=float, default=100.0, help="pace of the race replayed meanwhile")
    p.add_argument("--workers", type=int, default=None, help="API worker processes (default: API_WORKERS)")
    p.add_argument("--feed", default=None, help="the race to replay (default: Silverstone 2023)")
    p.add_argument(
        "--ceiling-s", type=float, default=2.0, help="seconds measuring the client's own ceiling (0: skip)"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")


COMMANDS = {"bench": bench, "bench-api": bench_api}
