"""The `gridscore` command: score, replay, migrate, and the services (api, live, worker, ...)."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

from gridscore.base.settings import Settings, get_settings

Handler = Callable[[argparse.Namespace, Settings], int]
_COMMANDS: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _COMMANDS[name] = handler
        return handler

    return register


def _feeds(values: Sequence[str]) -> list[Path]:
    paths = [Path(v) for v in values]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise SystemExit(f"gridscore: no such feed file: {', '.join(missing)}")
    return paths


@command("score")
def score(args: argparse.Namespace, settings: Settings) -> int:
    """Score recorded feeds with no external service and print the weekend totals."""
    from dataflows.runner import score_feeds

    totals = score_feeds(_feeds(args.feeds), settings, ruleset=args.ruleset)
    if args.json:
        print(json.dumps(totals.as_json(), sort_keys=True))
    else:
        from gridscore.cli.display import print_totals

        print_totals(totals)
    if totals.rejected:
        print(f"{totals.rejected} message(s) rejected: {dict(totals.rejected_by_reason)}", file=sys.stderr)
    return 0


@command("migrate")
def migrate(args: argparse.Namespace, settings: Settings) -> int:
    """Apply the Alembic migrations to DATABASE_URL (or the embedded server)."""
    from gridscore.base.services import running_services
    from store.migrate import upgrade

    with running_services(settings) as urls:
        upgrade(urls.database_url)
    print("migrations applied")
    return 0


@command("replay")
def replay(args: argparse.Namespace, settings: Settings) -> int:
    """The main job: replay a feed into Redis and Postgres for N teams with a live leaderboard."""
    from gridscore.cli.replay import run_replay

    return run_replay(
        settings,
        _feeds([args.feed]),
        teams=args.teams,
        speed=args.speed,
        window=timedelta(milliseconds=args.window_ms) if args.window_ms else None,
        quiet=args.quiet,
        metrics_port=args.metrics_port,
    )


@command("backup")
def backup(args: argparse.Namespace, settings: Settings) -> int:
    """Dump PostgreSQL (custom format, with a manifest) and apply the retention policy."""
    from gridscore.base.services import running_services
    from store.backup import RetentionPolicy, apply_retention
    from store.backup import backup as write_backup

    directory = Path(args.to) if args.to else settings.backups
    with running_services(settings) as urls:
        dump = write_backup(urls.database_url, directory)
    print(f"backup written: {dump}")
    policy = RetentionPolicy(
        settings.backup_keep_daily, settings.backup_keep_weekly, settings.backup_keep_monthly
    )
    for old in apply_retention(directory, policy):
        print(f"retention: deleted {old.name}")
    return 0


@command("restore")
def restore(args: argparse.Namespace, settings: Settings) -> int:
    """Restore a dump into an empty database (refuses a non-empty one unless --replace)."""
    from gridscore.base.services import running_services
    from store.backup import BackupError
    from store.backup import restore as restore_dump

    dump = Path(args.file)
    if not dump.is_file():
        raise SystemExit(f"gridscore: no such dump: {dump}")
    with running_services(settings) as urls:
        try:
            manifest = restore_dump(dump, urls.database_url, replace=args.replace)
        except BackupError as exc:
            print(f"gridscore restore: {exc}", file=sys.stderr)
            return 2
    print(
        f"restored {dump.name} (schema {manifest.get('schema_revision')}, taken {manifest.get('created_at')})"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gridscore", description=__doc__)
    parser.add_argument("--log-level", default=None, help="override LOG_LEVEL")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("score", help=score.__doc__)
    p.add_argument("feeds", nargs="+", metavar="FEED")
    p.add_argument("--json", action="store_true", help="print one JSON object of weekend totals")
    p.add_argument("--ruleset", default=None)

    sub.add_parser("migrate", help=migrate.__doc__)

    p = sub.add_parser("replay", help=replay.__doc__)
    p.add_argument("feed", metavar="FEED")
    p.add_argument(
        "--teams",
        type=int,
        default=10_000,
        help="the weekend's stored teams, with generated ones added up to this many (none dropped)",
    )
    p.add_argument("--speed", type=float, default=0.0, help="0: as fast as possible; 1: real time")
    p.add_argument("--window-ms", type=int, default=None)
    p.add_argument("--quiet", action="store_true", help="no live display (for scripts)")
    p.add_argument(
        "--metrics-port",
        type=int,
        default=None,
        help="serve Prometheus metrics on this port (0: a free one, logged; default: off)",
    )

    p = sub.add_parser("backup", help=backup.__doc__)
    p.add_argument("--to", default=None, metavar="DIR", help="folder of dumps (default: BACKUP_DIR)")

    p = sub.add_parser("restore", help=restore.__doc__)
    p.add_argument("file", metavar="FILE", help="a gridscore-*.dump written by `gridscore backup`")
    p.add_argument("--replace", action="store_true", help="drop the tables of a non-empty database first")

    for extend in _EXTENSIONS:
        extend(sub)
    return parser


# Other modules add their subcommands here (api, live, publish, record, worker, beat, sync, bench).
_EXTENSIONS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = []


def _load_extensions() -> None:
    import importlib

    _EXTENSIONS.clear()
    for module in (
        "gridscore.cli.api",
        "gridscore.cli.engine",
        "gridscore.cli.worker",
        "gridscore.cli.bench",
        "gridscore.cli.demo",
    ):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        _EXTENSIONS.append(mod.add_commands)
        _COMMANDS.update(mod.COMMANDS)


def main(argv: Sequence[str] | None = None) -> int:
    _load_extensions()
    args = build_parser().parse_args(argv)
    settings = get_settings()
    from gridscore.base.logs import configure_logging

    configure_logging(args.log_level or settings.log_level, settings.log_format)
    logging.getLogger(__name__).debug("running %s", args.command)
    return _COMMANDS[args.command](args, settings)


if __name__ == "__main__":
    raise SystemExit(main())
