"""The season sync, one function for the nightly task and `gridscore sync`: read it all, then
write it all in one transaction, with opening prices for the weekends that have none (a weekend's
prices are written here, by the seed or by the price moves, never by a read)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from gridscore.base.settings import Settings
from store.sync import SyncCounts, write_season
from tasks.jolpica import JolpicaClient, fetch_season
from tasks.prices import opening_prices
from tasks.runtime import connect
from tasks.season import season_rows

log = logging.getLogger(__name__)


def default_season(settings: Settings) -> int:
    return settings.sync_season or datetime.now(UTC).year


def run_sync(settings: Settings, season: int, database_url: str | None = None) -> SyncCounts:
    client = JolpicaClient(settings.sync_source_url, settings.sync_timeout_s, settings.sync_pace_ms / 1000)
    rows = season_rows(fetch_season(client, season))  # raises SourceError before any write
    with connect(database_url or settings.database_url) as conn:
        counts = write_season(conn, rows, opening=opening_prices)
    log.info(
        "synced season %s from %s: %d meetings, %d sessions, %d constructors, %d drivers; changed %s",
        season,
        settings.sync_source_url,
        len(rows.meetings),
        len(rows.sessions),
        len(rows.constructors),
        len(rows.drivers),
        counts,
    )
    return counts
