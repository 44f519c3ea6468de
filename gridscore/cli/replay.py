"""`gridscore replay`: a recorded weekend through the full flow into Redis and Postgres, for N teams."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import psycopg
from bytewax.dataflow import Dataflow
from bytewax.testing import run_main
from rich.console import Group
from rich.live import Live
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from benchmarks.teams import AssetMarket, ensure_global_league, generate_rosters, store_generated_teams
from dataflows.flow import ClockMode, FlowConfig, FlowOutputs, build_flow
from dataflows.metrics import serve_engine_metrics
from dataflows.sinks import FinalPostgresSink, LiveRedisSink, RejectedRedisSink
from gridscore.base.services import running_services
from gridscore.base.settings import Settings
from gridscore.cli.display import console, leaderboard_table
from ingest.feeds import summarise
from ingest.recorded import BATCH_SIZE, RecordedFeedSource
from scoring.outcomes import ScoredWindow
from scoring.rules import load_ruleset
from scoring.teams import TeamBook
from store.live_read import LiveReader
from store.migrate import upgrade
from store.teams import load_book
from store.urls import libpq_url

REFRESH_EVERY_S = 0.25


def prepare_teams(
    database_url: str,
    meeting_key: int,
    drivers: tuple[str, ...],
    constructors: tuple[str, ...],
    teams: int,
    ruleset: str,
) -> TeamBook | None:
    """Use the rosters stored for the weekend, generating more until there are `teams` of them."""
    rules = load_ruleset(ruleset)
    with psycopg.connect(libpq_url(database_url)) as conn:
        row = conn.execute("SELECT count(*) FROM roster WHERE meeting_key = %s", (meeting_key,)).fetchone()
        existing = int(row[0]) if row else 0
        if existing < teams:
            market = AssetMarket.synthetic(drivers, constructors)
            rosters = generate_rosters(market, teams - existing, rules.team, seed=meeting_key + existing)
            store_generated_teams(conn, meeting_key, rosters, seed=meeting_key + existing)
        ensure_global_league(conn)
        conn.commit()
        return load_book(conn, meeting_key, rules.team.boost_multiplier, rules.team.extra_drs_multiplier)


def run_replay(
    settings: Settings,
    feeds: list[Path],
    teams: int,
    speed: float,
    window: timedelta,
    quiet: bool = False,
    metrics_port: int | None = None,
    batch_size: int = BATCH_SIZE,
) -> int:
    summary = summarise(feeds)
    if not summary.meeting_keys:
        console.print("[red]gridscore: the feed has no v1/sessions message; nothing to score[/red]")
        return 2
    meeting = summary.meeting_keys[0]
    if metrics_port is not None:
        serve_engine_metrics(metrics_port)
    with running_services(settings) as urls:
        upgrade(urls.database_url)
        started = time.perf_counter()
        book = prepare_teams(
            urls.database_url, meeting, summary.drivers, summary.constructors, teams, settings.ruleset
        )
        console.print(
            f"{book.size if book else 0:,} teams ready in {time.perf_counter() - started:.1f} s"
            f" (embedded: {', '.join(urls.embedded) or 'none'})"
        )
        reader = LiveReader(urls.redis_url)
        global_league = _global_league_id(urls.database_url)
        progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,.0f} windows"),
            TimeElapsedColumn(),
        )
        task = progress.add_task(f"replaying meeting {meeting}", total=None)
        live = Live(progress, console=console, refresh_per_second=8, transient=False) if not quiet else None
        last_refresh = 0.0
        session_name = ""

        def show_top() -> None:
            assert live is not None
            count, top = reader.league(meeting, global_league, 0, 10)
            live.update(Group(progress, leaderboard_table(f"Live top 10 — {session_name}", top, count)))

        def on_written(window: ScoredWindow) -> None:
            nonlocal last_refresh, session_name
            progress.advance(task)
            session_name = window.weekend.session.session_name
            now = time.monotonic()
            if live is None or now - last_refresh < REFRESH_EVERY_S:
                return
            last_refresh = now
            show_top()

        flow = store_flow(
            urls.database_url,
            urls.redis_url,
            feeds,
            settings,
            book=book,
            meeting_key=meeting,
            speed=speed,
            window=window,
            on_written=on_written,
            batch_size=batch_size,
        )
        started = time.perf_counter()
        if live is not None:
            with live:
                run_main(flow)
                show_top()  # the last windows may have come faster than the display refreshes
        else:
            run_main(flow)
        elapsed = time.perf_counter() - started
        console.print()
        console.print(f"replayed {summary.messages:,} messages in {elapsed:.2f} s")
        _print_final(urls.database_url, meeting)
        reader.close()
    return 0


def store_flow(
    database_url: str,
    redis_url: str,
    feeds: list[Path],
    settings: Settings,
    book: TeamBook | None,
    meeting_key: int | None = None,
    speed: float = 0.0,
    window: timedelta | None = None,
    on_written: Callable[[ScoredWindow], None] | None = None,
    on_final: Callable[[ScoredWindow], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> Dataflow:
    """The replay flow: a feed into Redis (live) and Postgres (final), scoring `book` for `meeting_key`."""
    return build_flow(
        RecordedFeedSource(feeds, speed=speed, batch_size=batch_size),
        FlowOutputs(
            live=LiveRedisSink(redis_url, on_written),
            final=FinalPostgresSink(database_url, on_final, notify=settings.notifications_enabled),
            rejected=RejectedRedisSink(redis_url),
        ),
        FlowConfig(
            load_ruleset(settings.ruleset),
            window=window or timedelta(milliseconds=settings.window_ms),
            lateness=timedelta(milliseconds=settings.lateness_ms),
            mode=ClockMode.PACED if speed > 0 else ClockMode.REPLAY,
        ),
        team_books=lambda key: book if key == meeting_key else None,
    )


def _global_league_id(database_url: str) -> int:
    with psycopg.connect(libpq_url(database_url)) as conn:
        return ensure_global_league(conn)


def _print_final(database_url: str, meeting: int) -> None:
    with psycopg.connect(libpq_url(database_url)) as conn:
        last = conn.execute(
            "SELECT session_key, name FROM race_session WHERE meeting_key = %s AND state = 'final'"
            " ORDER BY date_start DESC NULLS LAST LIMIT 1",
            (meeting,),
        ).fetchone()
        if last is None:
            console.print("no session of this weekend is final yet")
            return
        rows = conn.execute(
            "SELECT rank, team_id, weekend_points FROM team_result WHERE session_key = %s"
            " ORDER BY rank, team_id LIMIT 10",
            (last[0],),
        ).fetchall()
        count = conn.execute("SELECT count(*) FROM team_result WHERE session_key = %s", (last[0],)).fetchone()
    from store.live_read import Standing

    standings = [Standing(r[0], r[1], r[2]) for r in rows]
    console.print(
        leaderboard_table(f"Final standings after the {last[1]}", standings, int(count[0]) if count else 0)
    )
