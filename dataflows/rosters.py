"""Roster re-reads, a step of the flow of their own (`reread_final_fixes`).

Rosters change once after the lock: a Final Fix, which closes when the Race starts. At each
meeting's first Race window the store's books are told to read that meeting's Final Fixes again;
they do it on their loader's thread, so the flow never waits here (the rosters held so far serve
until the patched book is swapped in). The Race's classification waits for the patch
(`TeamScorer` asks the books for the final book), so final results count every Final Fix.
"""

from __future__ import annotations

from dataflows.scoring_steps import ReloadableBooks
from scoring.facts import SessionKind
from scoring.weekend import WeekendUpdate


class FinalFixRereads:
    """Passes every weekend update on unchanged; the first Race update of a meeting starts the
    re-read of its Final Fixes. Updates are keyed by meeting upstream, so a meeting's updates
    all pass through the same worker's instance."""

    def __init__(self, books: ReloadableBooks) -> None:
        self.books = books
        self._races_seen: set[int] = set()

    def __call__(self, update: WeekendUpdate) -> WeekendUpdate:
        if update.session.points.kind is SessionKind.RACE and update.meeting_key not in self._races_seen:
            self._races_seen.add(update.meeting_key)
            self.books.reload(update.meeting_key)
        return update
