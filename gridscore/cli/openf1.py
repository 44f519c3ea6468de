"""`gridscore feed openf1`: any weekend from OpenF1's REST API as a recorded feed, with a progress bar."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from gridscore.base.settings import Settings


def feed(args: argparse.Namespace, settings: Settings) -> int:
    """Build a recorded feed of one race weekend from OpenF1 (gridscore feed openf1 --meeting KEY)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ingest.openf1_auth import TokenSource
    from ingest.openf1_feed import SCORED_SESSIONS, FeedError, build_feed, requests_planned, write_feed
    from ingest.openf1_rest import OpenF1Error, OpenF1Rest, RestOptions

    wanted = [s.strip() for s in args.sessions.split(",") if s.strip()] if args.sessions else SCORED_SESSIONS
    unknown = [s for s in wanted if s not in SCORED_SESSIONS]
    if unknown:
        print(
            f"gridscore feed openf1: unknown session(s) {unknown}; choose from {SCORED_SESSIONS}",
            file=sys.stderr,
        )
        return 2
    bearer = None
    if settings.openf1_username and settings.openf1_password:  # an account: higher rate limits
        bearer = TokenSource(
            settings.openf1_token_url, settings.openf1_username, settings.openf1_password
        ).bearer
    cache = None if args.no_cache else (Path(args.cache_dir) if args.cache_dir else settings.openf1_cache)
    options = RestOptions(pace_s=settings.openf1_pace_ms / 1000)
    console = Console(stderr=True)
    out = Path(args.out)
    with (
        OpenF1Rest(args.base_url or settings.openf1_api_url, cache, options, bearer) as rest,
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=not console.is_terminal,
        ) as progress,
    ):
        task = progress.add_task(f"OpenF1 meeting {args.meeting}", total=requests_planned(1))
        try:
            built = build_feed(
                rest,
                args.meeting,
                wanted,
                args.driver_of_the_day,
                on_sessions=lambda n: progress.update(task, total=requests_planned(n)),
                on_request=lambda what: progress.update(task, advance=1, description=what),
            )
        except (OpenF1Error, FeedError) as exc:
            progress.stop()
            print(f"gridscore feed openf1: {exc}", file=sys.stderr)
            return 1
        write_feed(built, out)
        stats = rest.stats
    names = ", ".join(f"{s['session_name']} ({s['session_key']})" for s in built.sessions)
    print(
        f"wrote {len(built.lines)} lines to {out}: {names}; {stats.requests} requests"
        f" ({stats.retries} retried), {stats.cached} answered from the cache",
        file=sys.stderr,
    )
    return 0


def add_commands(sub: Any) -> None:
    p = sub.add_parser("feed", help="build recorded feeds from outside sources")
    sources = p.add_subparsers(dest="feed_source", required=True)
    o = sources.add_parser("openf1", help=feed.__doc__)
    o.add_argument("--meeting", type=int, required=True, metavar="KEY", help="OpenF1 meeting_key")
    o.add_argument("--out", required=True, metavar="FILE", help="the feed to write (.jsonl or .jsonl.gz)")
    o.add_argument(
        "--base-url", default=None, metavar="URL", help="OpenF1 REST API (default: OPENF1_API_URL)"
    )
    o.add_argument(
        "--sessions",
        default=None,
        metavar="NAMES",
        help="comma-separated session names (default: Qualifying,Sprint Qualifying,Sprint,Race)",
    )
    o.add_argument(
        "--driver-of-the-day",
        default=None,
        metavar="ACRONYM",
        help="the race's Driver of the Day (not in OpenF1)",
    )
    o.add_argument(
        "--cache-dir", default=None, metavar="DIR", help="answers cached here (default: OPENF1_CACHE_DIR)"
    )
    o.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")


COMMANDS = {"feed": feed}
