"""The steps of a sharded flow (FlowConfig.shards = K > 1): a weekend's teams scored in K shards.

    weekend update (keyed by meeting) -> numbered, sent to each of its K shards ("meeting:shard")
    -> each shard scores its slots (ShardPart: totals, their points histogram, final rows)
    -> keyed by meeting again: the K parts of each window merged, in window order -> ScoredWindow

Shards are Bytewax keys, so a cluster spreads one weekend's rosters over its processes; the merge
holds the weekend's index (team ids, league memberships) and, per window, every team's total: it
ranks them from the shards' histograms and sorts the leagues, as one process of every team would.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from dataflows.scoring_steps import AssetPointsKey, asset_points_key
from dataflows.shard_books import ShardBooks
from scoring.facts import SessionKind
from scoring.outcomes import FinalTeams, ScoredWindow, TeamScores
from scoring.shards import MergedScores, ShardPart, final_rows, score_shard
from scoring.teams import TeamBook
from scoring.weekend import WeekendUpdate

log = logging.getLogger(__name__)

ToShard = tuple[int, int, WeekendUpdate]  # (window number, shard, update)


def shard_key(item: ToShard) -> str:
    """A shard's Bytewax key: "meeting:shard"."""
    _, shard, update = item
    return f"{update.meeting_key}:{shard}"


@dataclass(slots=True)
class FanOut:
    """A meeting's windows sent so far (each a number the merge puts them back in order by)."""

    sent: int = 0


FanOutStep = Callable[[FanOut | None, WeekendUpdate], tuple[FanOut, list[ToShard]]]


def fan_out(shards: int) -> FanOutStep:
    """The stateful_flat_map step: each weekend update numbered and sent to every shard."""

    def step(state: FanOut | None, update: WeekendUpdate) -> tuple[FanOut, list[ToShard]]:
        state = state or FanOut()
        seq = state.sent
        state.sent += 1
        return state, [(seq, s, update) for s in range(shards)]

    return step


@dataclass(slots=True)
class ShardState:
    race_started: bool = False  # the Final Fixes of this shard's teams were read again


class ShardScorer:
    """The stateful_map step of a shard: its teams scored from each window's weekend points. A
    window that moved no asset's points (a running order that changed) reuses the shard's last
    numbers and says so, as TeamScorer does for one book."""

    def __init__(self, books: ShardBooks, shards: int) -> None:
        self.books = books
        self.shards = shards
        self._last: dict[tuple[int, int], tuple[TeamBook, AssetPointsKey, ShardPart]] = {}

    def __call__(self, state: ShardState | None, item: ToShard) -> tuple[ShardState, ShardPart]:
        seq, shard, update = item
        state = state or ShardState()
        if update.session.points.kind is SessionKind.RACE and not state.race_started:
            state.race_started = True
            self.books.race_started(update.meeting_key, shard, self.shards)
        final = update.session.newly_final
        book = self.books.shard(update.meeting_key, shard, self.shards, final=final)
        if book is None:
            return state, score_shard(book, shard, seq, update)
        key, last = asset_points_key(update), self._last.get((update.meeting_key, shard))
        if not final and last is not None and last[0] is book and last[1] == key:
            part = dataclasses.replace(
                last[2],
                seq=seq,
                update=update,
                unchanged=True,
                final_session=None,
                final_weekend=None,
                final_histogram=None,
            )
        else:
            part = score_shard(book, shard, seq, update)
        self._last[(update.meeting_key, shard)] = (book, key, part)
        return state, part


@dataclass(slots=True)
class MergeState:
    """A meeting's parts that wait for the rest of their window, and the next window to emit."""

    next_seq: int = 0
    waiting: dict[int, dict[int, ShardPart]] = field(default_factory=dict)


class ShardMerge:
    """The stateful_flat_map step that puts each window's K parts back together, in window order
    (a window whose parts are all in waits for the windows before it)."""

    def __init__(self, books: ShardBooks, shards: int) -> None:
        self.books = books
        self.shards = shards
        self._last: dict[int, TeamScores] = {}  # each meeting's last teams, for unchanged windows

    def __call__(self, state: MergeState | None, part: ShardPart) -> tuple[MergeState, list[ScoredWindow]]:
        state = state or MergeState()
        state.waiting.setdefault(part.seq, {})[part.shard] = part
        out: list[ScoredWindow] = []
        while len(state.waiting.get(state.next_seq, {})) == self.shards:
            parts = state.waiting.pop(state.next_seq)
            state.next_seq += 1
            out.append(self._window([parts[s] for s in range(self.shards)]))
        return state, out

    def _window(self, parts: list[ShardPart]) -> ScoredWindow:
        update = parts[0].update
        last = self._last.get(update.meeting_key)
        if last is not None and all(p.unchanged for p in parts):
            return ScoredWindow(update, last)  # totals, ranks and standings as they were
        self._last.pop(update.meeting_key, None)
        held = [p for p in parts if p.totals is not None]
        if not held:
            return ScoredWindow(update)
        size = sum(p.totals.size for p in held if p.totals is not None)
        index = self.books.index(update.meeting_key)
        if index is None or index.size != size:
            log.warning(
                "meeting %d: the shards scored %d teams, its index holds %s; window without teams",
                update.meeting_key,
                size,
                None if index is None else index.size,
            )
            return ScoredWindow(update)
        teams = MergedScores(index, held)  # merged when the writer asks (not for overtaken windows)
        self._last[update.meeting_key] = teams
        final = None
        rows = final_rows(held) if update.session.newly_final else None
        if rows is not None:
            final = FinalTeams(teams, update, rows=rows)
        return ScoredWindow(update, teams, final=final)
