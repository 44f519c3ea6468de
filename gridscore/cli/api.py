"""`gridscore api` (serve), `gridscore api-seed FEED` (calendar and prices), `gridscore lock MEETING`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from gridscore.base.settings import Settings

Handler = Callable[[argparse.Namespace, Settings], int]
GRACEFUL_SHUTDOWN_S = 5
APP_FACTORY = "gridscore.cli.api:app_from_env"
WORKER_HEALTHCHECK_S = 60
COMING_IN_DAYS = 7  # a past weekend seeded without --start-at starts this many days from now


def serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the API with uvicorn (embedded Postgres and Valkey when DATABASE_URL / REDIS_URL are unset)."""
    import uvicorn

    from api.app import create_app
    from api.config import ApiConfig
    from gridscore.base.error_tracking import init_error_tracking
    from gridscore.base.services import running_services
    from store.migrate import upgrade

    init_error_tracking(settings, "api")
    with running_services(settings) as urls:
        if urls.embedded:
            upgrade(urls.database_url)
        workers = args.workers or settings.api_workers
        config = ApiConfig.from_settings(settings, urls)  # refuses a bad setting before uvicorn starts
        if workers > 1:  # each worker process builds its own app (pools, Redis subscription) from these URLs
            os.environ["DATABASE_URL"], os.environ["REDIS_URL"] = urls.database_url, urls.redis_url
            # ... and signs with this secret: a random one made per worker (JWT_SECRET unset on a developer's
            # machine) refused every token that reached another worker than the one that signed it.
            os.environ["JWT_SECRET"] = config.jwt_secret
        uvicorn.run(
            create_app(config) if workers == 1 else APP_FACTORY,
            factory=workers > 1,
            host=args.host or settings.api_host,
            port=args.port or settings.api_port,
            log_config=None,  # keep gridscore's logging (no headers, bodies or tokens are logged)
            proxy_headers=args.proxy_headers,
            workers=workers,
            # A worker answers the supervisor's ping while it imports and builds its app, which takes
            # seconds on a loaded machine; uvicorn's 5 s default restarts it in a loop there.
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
            # Live streams never finish by themselves: on shutdown, give requests this long, then cut them
            # (an EventSource reconnects, to another instance or to this one restarted).
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
    return 0


def app_from_env() -> Any:
    """The app of one uvicorn worker process (API_WORKERS > 1): settings and service URLs from the
    environment, which `serve` has set to the servers it started or was given."""
    from api.app import create_app
    from api.config import ApiConfig
    from gridscore.base.error_tracking import init_error_tracking
    from gridscore.base.services import ServiceUrls

    settings = Settings.from_env()
    init_error_tracking(settings, "api")
    if settings.database_url is None or settings.redis_url is None:
        raise SystemExit("gridscore api: a worker needs DATABASE_URL and REDIS_URL")
    return create_app(
        ApiConfig.from_settings(settings, ServiceUrls(settings.database_url, settings.redis_url))
    )


def seed(args: argparse.Namespace, settings: Settings) -> int:
    """Store a feed's weekend (meeting, sessions), its drivers and constructors, and their prices."""
    from benchmarks.seed import seed_from_feed
    from gridscore.base.services import running_services
    from store.migrate import upgrade

    feed = Path(args.feed)
    if not feed.is_file():
        raise SystemExit(f"gridscore: no such feed file: {feed}")
    start = datetime.fromisoformat(args.start_at) if args.start_at else None
    if start is not None and start.tzinfo is None:
        raise SystemExit("gridscore: --start-at needs a time zone, e.g. 2026-03-14T06:00:00+00:00")
    if start is None and not args.keep_dates:
        start = coming_start(feed)
    with running_services(settings) as urls:
        upgrade(urls.database_url)
        seeded = seed_from_feed(urls.database_url, feed, start)
    print(
        json.dumps(
            {
                "meeting_key": seeded.meeting_key,
                "sessions": {k: v.isoformat() if v else None for k, v in seeded.sessions.items()},
                "drivers": len(seeded.drivers),
                "constructors": len(seeded.constructors),
                "prices": seeded.prices,
            }
        )
    )
    return 0


def coming_start(feed: Path) -> datetime | None:
    """A recorded weekend that is over starts a week from now instead (at the hour it started), so that
    rosters can be picked for it; None for a weekend still to come (its own dates)."""
    from benchmarks.seed import read_feed

    starts = [s.date_start for s in read_feed(feed)[0] if s.date_start is not None]
    now = datetime.now(UTC)
    if not starts or min(starts) > now:
        return None
    first = min(starts)
    moved = (now + timedelta(days=COMING_IN_DAYS)).replace(
        hour=first.hour, minute=first.minute, second=0, microsecond=0
    )
    print(
        f"gridscore: the feed's weekend is over; it starts {moved.isoformat()} (--keep-dates keeps its own)",
        file=sys.stderr,
    )
    return moved


def lock(args: argparse.Namespace, settings: Settings) -> int:
    """Lock a weekend's rosters now (idempotent): each team's picks become what the flow scores."""
    from gridscore.base.services import running_services
    from store.lock import lock_rosters_now

    with running_services(settings) as urls:
        try:
            result = lock_rosters_now(urls.database_url, args.meeting_key)
        except LookupError as exc:
            raise SystemExit(f"gridscore: {exc}") from exc
    state = "was already locked" if result.already_locked else "locked"
    print(f"meeting {result.meeting_key} {state} at {result.locked_at.isoformat()}: {result.rosters} rosters")
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("api", help=serve.__doc__)
    p.add_argument("--host", default=None, help="override API_HOST")
    p.add_argument("--port", type=int, default=None, help="override API_PORT")
    p.add_argument("--proxy-headers", action="store_true", help="trust X-Forwarded-For (behind a proxy)")
    p.add_argument("--workers", type=int, default=None, help="override API_WORKERS (worker processes)")
    p = sub.add_parser("api-seed", help=seed.__doc__)
    p.add_argument("feed", metavar="FEED")
    p.add_argument("--start-at", default=None, help="move the weekend so that its first session starts then")
    p.add_argument(
        "--keep-dates",
        action="store_true",
        help="keep a past weekend's own dates (default: it starts a week from now, open for rosters)",
    )
    p = sub.add_parser("lock", help=lock.__doc__)
    p.add_argument("meeting_key", type=int, metavar="MEETING")


COMMANDS: dict[str, Handler] = {"api": serve, "api-seed": seed, "lock": lock}
