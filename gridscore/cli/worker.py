"""`gridscore worker`, `gridscore beat` and `gridscore sync --season Y`."""

from __future__ import annotations

import argparse
import os
import signal
import sys

from gridscore.base.settings import Settings

_NEEDS_SERVERS = (
    "gridscore {command}: set CELERY_BROKER_URL or REDIS_URL, and DATABASE_URL: the worker and beat"
    " of a deployment share one broker and one database, which embedded servers cannot be"
)


def worker(args: argparse.Namespace, settings: Settings) -> int:
    """Run a Celery worker: the nightly sync, price moves and notifications (never scoring)."""
    _require_servers("worker", settings, database=True)
    from tasks.app import app

    # Gossip and mingle only add broker traffic and start-up delay: no task here relies on revokes.
    argv = ["worker", f"--loglevel={settings.log_level}", "--without-gossip", "--without-mingle"]
    if args.concurrency:
        argv.append(f"--concurrency={args.concurrency}")
    return app.start([*argv, *_extra(args)]) or 0


def beat(args: argparse.Namespace, settings: Settings) -> int:
    """Run Celery beat, the scheduler (UTC). Exactly one per deployment, or every task runs twice."""
    _require_servers("beat", settings, database=False)
    from tasks.app import app, broker_url
    from tasks.beat_lock import BeatLock

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    schedule = settings.data_dir / "celerybeat-schedule"
    argv = ["beat", f"--loglevel={settings.log_level}", f"--schedule={schedule}"]
    url = broker_url(settings)
    assert url is not None
    lock = BeatLock(url)
    lock.acquire()
    lock.keep(on_lost=lambda: os.kill(os.getpid(), signal.SIGTERM))
    try:
        return app.start([*argv, *_extra(args)]) or 0
    finally:
        lock.release()


def sync(args: argparse.Namespace, settings: Settings) -> int:
    """Sync a season's calendar, drivers, constructors and line-ups now, in this process."""
    from tasks.jolpica import SourceError
    from tasks.sync import default_season, run_sync

    season = args.season or default_season(settings)
    try:
        if settings.database_url is not None:
            counts = run_sync(settings, season)
        else:
            from gridscore.base.services import embedded_postgres
            from store.migrate import upgrade

            with embedded_postgres(settings.data_dir) as database_url:
                upgrade(database_url)
                counts = run_sync(settings, season, database_url)
    except SourceError as exc:
        print(f"gridscore sync: the source failed, nothing was written: {exc}", file=sys.stderr)
        return 1
    print(
        f"season {season} synced from {settings.sync_source_url}; rows changed:"
        f" {counts.meetings} meetings, {counts.sessions} sessions,"
        f" {counts.constructors} constructors, {counts.drivers} drivers, {counts.prices} prices"
    )
    return 0


def _extra(args: argparse.Namespace) -> list[str]:
    extra: list[str] = args.celery_args
    return extra[1:] if extra[:1] == ["--"] else extra


def _require_servers(command: str, settings: Settings, database: bool) -> None:
    if not (settings.celery_broker_url or settings.redis_url) or (database and not settings.database_url):
        raise SystemExit(_NEEDS_SERVERS.format(command=command))


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("worker", help=worker.__doc__)
    p.add_argument("--concurrency", type=int, default=None, help="worker processes (default: CPUs)")
    p.add_argument("celery_args", nargs=argparse.REMAINDER, help="after --: more `celery worker` options")
    p = sub.add_parser("beat", help=beat.__doc__)
    p.add_argument("celery_args", nargs=argparse.REMAINDER, help="after --: more `celery beat` options")
    p = sub.add_parser("sync", help=sync.__doc__)
    p.add_argument("--season", type=int, default=None, help="default: SYNC_SEASON or the current year")


COMMANDS = {"worker": worker, "beat": beat, "sync": sync}
