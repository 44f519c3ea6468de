"""A recorded weekend replayed into Redis and Postgres for N generated teams: what `gridscore
replay` (the demo), the benchmarks and the tests share. The command adds only its display.

    with replay_setup(settings, feeds, teams) as ready:   # servers, migrations, N teams
        run_flow(ready.flow(settings, speed=0.0))          # the flow into the store
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psycopg
from bytewax.dataflow import Dataflow

from benchmarks.teams import AssetMarket, ensure_global_league, generate_roster_chunks, store_generated_teams
from dataflows.assemble import store_flow
from dataflows.runner import run_flow
from gridscore.base.services import ServiceUrls, running_services
from gridscore.base.settings import Settings
from ingest.feeds import FeedSummary, summarise
from ingest.recorded import BATCH_SIZE
from scoring.outcomes import ScoredWindow
from scoring.rules import load_ruleset
from scoring.teams import TeamBook
from store.migrate import upgrade
from store.teams import load_book
from store.urls import libpq_url


def prepare_teams(
    database_url: str,
    meeting_key: int,
    drivers: tuple[str, ...],
    constructors: tuple[str, ...],
    teams: int,
    ruleset: str | None,
) -> TeamBook | None:
    """Use the rosters stored for the weekend, generating more until there are `teams` of them."""
    rules = load_ruleset(ruleset)
    with psycopg.connect(libpq_url(database_url)) as conn:
        row = conn.execute("SELECT count(*) FROM roster WHERE meeting_key = %s", (meeting_key,)).fetchone()
        existing = int(row[0]) if row else 0
        if existing < teams:
            market = AssetMarket.synthetic(drivers, constructors)
            rosters = generate_roster_chunks(
                market, teams - existing, rules.team, seed=meeting_key + existing
            )
            store_generated_teams(conn, meeting_key, rosters, seed=meeting_key + existing)
        ensure_global_league(conn)
        conn.commit()
        return load_book(conn, meeting_key, rules.team.boost_multiplier, rules.team.extra_drs_multiplier)


@dataclass(frozen=True, slots=True)
class ReplayReady:
    """A weekend ready to replay: the servers, the feeds' summary, its teams and global league."""

    urls: ServiceUrls
    feeds: list[Path]
    summary: FeedSummary
    meeting_key: int
    book: TeamBook | None
    global_league: int
    teams_ready_s: float

    def flow(
        self,
        settings: Settings,
        speed: float = 0.0,
        window: timedelta | None = None,
        on_written: Callable[[ScoredWindow], None] | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> Dataflow:
        """The feeds into the store, scoring the weekend's teams (`speed` 0: as fast as possible)."""
        return store_flow(
            self.urls.database_url,
            self.urls.redis_url,
            self.feeds,
            settings,
            book=self.book,
            meeting_key=self.meeting_key,
            speed=speed,
            window=window,
            on_written=on_written,
            batch_size=batch_size,
        )


class NoSessionError(ValueError):
    """The feeds announce no session (no v1/sessions message)."""


@contextmanager
def replay_setup(settings: Settings, feeds: list[Path], teams: int) -> Iterator[ReplayReady]:
    """Servers (embedded unless configured), migrations, and `teams` teams for the feeds' first
    weekend, for as long as the block runs."""
    summary = summarise(feeds)
    if not summary.meeting_keys:
        raise NoSessionError("the feed has no v1/sessions message; nothing to score")
    meeting = summary.meeting_keys[0]
    with running_services(settings) as urls:
        upgrade(urls.database_url)
        started = time.perf_counter()
        book = prepare_teams(
            urls.database_url, meeting, summary.drivers, summary.constructors, teams, settings.ruleset
        )
        ready_s = time.perf_counter() - started
        with psycopg.connect(libpq_url(urls.database_url)) as conn:
            league = ensure_global_league(conn)
        yield ReplayReady(urls, feeds, summary, meeting, book, league, ready_s)


def replay(
    settings: Settings,
    feeds: list[Path],
    teams: int,
    speed: float = 0.0,
    window: timedelta | None = None,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Replay without display; the meeting key replayed."""
    with replay_setup(settings, feeds, teams) as ready:
        run_flow(ready.flow(settings, speed=speed, window=window, batch_size=batch_size))
        return ready.meeting_key
