"""`gridscore replay`: a recorded weekend through the full flow into Redis and Postgres, for N teams,
with the live top 10 on the terminal (benchmarks/replay.py does the replay; this adds the display)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Mapping
from datetime import timedelta
from pathlib import Path

import psycopg
from rich.console import Group
from rich.live import Live
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from benchmarks.replay import NoSessionError, replay_setup
from dataflows.metrics import MetricsPortError, serve_engine_metrics
from dataflows.runner import run_flow
from gridscore.base.settings import Settings
from gridscore.cli.display import console, leaderboard_table
from ingest.recorded import BATCH_SIZE
from scoring.outcomes import ScoredWindow
from store.live_read import LiveReader, Standing
from store.urls import libpq_url

REFRESH_EVERY_S = 0.25


def run_replay(
    settings: Settings,
    feeds: list[Path],
    teams: int,
    speed: float,
    window: timedelta | None,
    quiet: bool = False,
    metrics_port: int | None = None,
    batch_size: int = BATCH_SIZE,
) -> int:
    if metrics_port is not None:
        try:
            serve_engine_metrics(metrics_port)
        except MetricsPortError as exc:
            print(
                f"gridscore replay: --metrics-port {exc.port}: {exc}; give another, or 0 for a free one",
                file=sys.stderr,
            )
            return 2
    try:
        return _replay_with_display(settings, feeds, teams, speed, window, quiet, batch_size)
    except NoSessionError as exc:
        console.print(f"[red]gridscore: {exc}[/red]")
        return 2


def _replay_with_display(
    settings: Settings,
    feeds: list[Path],
    teams: int,
    speed: float,
    window: timedelta | None,
    quiet: bool,
    batch_size: int,
) -> int:
    with replay_setup(settings, feeds, teams) as ready:
        meeting = ready.meeting_key
        console.print(
            f"{ready.book.size if ready.book else 0:,} teams ready in {ready.teams_ready_s:.1f} s"
            f" ({ready.urls.describe()})"
        )
        reader = LiveReader(ready.urls.redis_url)
        names = TeamNames(ready.urls.database_url)
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
            count, top = reader.league(meeting, ready.global_league, 0, 10)
            shown = names.of(s.team_id for s in top)
            live.update(
                Group(progress, leaderboard_table(f"Live top 10 — {session_name}", top, count, shown))
            )

        def on_written(window: ScoredWindow) -> None:
            nonlocal last_refresh, session_name
            progress.advance(task)
            session_name = window.weekend.session.session_name
            now = time.monotonic()
            if live is None or now - last_refresh < REFRESH_EVERY_S:
                return
            last_refresh = now
            show_top()

        flow = ready.flow(settings, speed=speed, window=window, on_written=on_written, batch_size=batch_size)
        started = time.perf_counter()
        if live is not None:
            with live:
                run_flow(flow)
                show_top()  # the last windows may have come faster than the display refreshes
        else:
            run_flow(flow)
        elapsed = time.perf_counter() - started
        console.print()
        console.print(f"replayed {ready.summary.messages:,} messages in {elapsed:.2f} s")
        _print_final(ready.urls.database_url, meeting)
        reader.close()
    return 0


def _print_final(database_url: str, meeting: int) -> None:
    with psycopg.connect(libpq_url(database_url)) as conn:
        last = conn.execute(
            "SELECT session_key, name FROM race_session WHERE meeting_key = %s AND state = 'final'"
            # Sessions dated alike (the demo at speed 0 plays them at once): the later key, the Race.
            " ORDER BY date_start DESC NULLS LAST, session_key DESC LIMIT 1",
            (meeting,),
        ).fetchone()
        if last is None:
            console.print("no session of this weekend is final yet")
            return
        rows = conn.execute(
            "SELECT r.rank, r.team_id, r.weekend_points, t.name FROM team_result r"
            " LEFT JOIN team t ON t.id = r.team_id WHERE r.session_key = %s"
            " ORDER BY r.rank, r.team_id LIMIT 10",
            (last[0],),
        ).fetchall()
        count = conn.execute("SELECT count(*) FROM team_result WHERE session_key = %s", (last[0],)).fetchone()
    standings = [Standing(r[0], r[1], r[2]) for r in rows]
    names = {r[1]: r[3] for r in rows if r[3] is not None}
    title = f"Final standings after the {last[1]}"
    console.print(leaderboard_table(title, standings, int(count[0]) if count else 0, names))


class TeamNames:
    """The names of the teams the terminal shows, read from Postgres once per team (the live top 10
    changes every window; names do not, and a player knows their team by name, not by id)."""

    def __init__(self, database_url: str) -> None:
        self._url = libpq_url(database_url)
        self._names: dict[int, str] = {}

    def of(self, team_ids: Iterable[int]) -> Mapping[int, str]:
        missing = [t for t in team_ids if t not in self._names]
        if missing:
            with psycopg.connect(self._url) as conn:
                rows = conn.execute("SELECT id, name FROM team WHERE id = ANY(%s)", (missing,)).fetchall()
            self._names.update((int(i), str(n)) for i, n in rows)
        return self._names
