"""`gridscore bench --teams N [--json]`."""

from __future__ import annotations

import argparse
import json

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


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("bench", help=bench.__doc__)
    p.add_argument("--teams", type=int, default=100_000)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--baseline-runs", type=int, default=3)
    p.add_argument("--speed", type=float, default=100.0, help="race pace (0: as fast as possible)")
    p.add_argument(
        "--latency-s",
        type=float,
        default=60.0,
        help="seconds of live race through MQTT_URL's broker for the publish_to_* keys (0: skip)",
    )


COMMANDS = {"bench": bench}
