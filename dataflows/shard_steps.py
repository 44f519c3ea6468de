"""The steps of a sharded flow (FlowConfig.shards = K > 1): a weekend's teams scored in K shards,
its leagues ordered in K league groups, nothing per team held in one place.

    weekend update (keyed by meeting) -> numbered, sent to each of its K shards ("meeting:shard")
    -> each shard scores its slots (ShardPart: totals, their points histogram, final rows)
    -> its histograms sent to every shard of the meeting; each shard, once it has the K of a
       window, ranks its own teams and places them in the leagues of every team (ShardTeams,
       which it writes itself) and sends each league group its members' totals
    -> each league group ("meeting:leagues:g"), once it has the K partials of a window, orders its
       leagues (GroupStandings, which it writes itself)
    -> a classification's final rows gathered by meeting, for PostgreSQL's one transaction

Shards and league groups are Bytewax keys, so a cluster spreads one weekend's rosters, totals and
league memberships over its processes; what travels between them per window is the histograms
(a few hundred numbers each) and each league group's members' totals.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from dataflows.scoring_steps import AssetPointsKey, asset_points_key
from dataflows.shard_books import ShardBooks
from scoring.facts import SessionKind
from scoring.outcomes import FinalTeams, ScoredWindow, TeamScores
from scoring.shards import (
    GroupStandings,
    HistogramNote,
    LeaguePartial,
    ShardPart,
    ShardTeams,
    group_standings,
    rank_shard,
    score_shard,
)
from scoring.teams import TeamBook
from scoring.weekend import WeekendUpdate

log = logging.getLogger(__name__)

ToShard = tuple[str, int, int, WeekendUpdate]  # (run, window number, shard, update)


def shard_key(item: ToShard) -> str:
    """A shard's Bytewax key: "meeting:shard"."""
    _, _, shard, update = item
    return f"{update.meeting_key}:{shard}"


def group_key(partial: LeaguePartial) -> str:
    """A league group's Bytewax key: "meeting:leagues:group"."""
    return f"{partial.update.meeting_key}:leagues:{partial.group}"


@dataclass(slots=True)
class FanOut:
    """A meeting's windows sent so far (each a number the shards put them back in order by), and
    this run's name (the shards' writes of a window are counted under both)."""

    sent: int = 0
    run: str = field(default_factory=lambda: uuid.uuid4().hex[:12])


FanOutStep = Callable[[FanOut | None, WeekendUpdate], tuple[FanOut, list[ToShard]]]


def fan_out(shards: int) -> FanOutStep:
    """The stateful_flat_map step: each weekend update numbered and sent to every shard."""

    def step(state: FanOut | None, update: WeekendUpdate) -> tuple[FanOut, list[ToShard]]:
        state = state or FanOut()
        seq = state.sent
        state.sent += 1
        return state, [(state.run, seq, s, update) for s in range(shards)]

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
        run, seq, shard, update = item
        state = state or ShardState()
        if update.session.points.kind is SessionKind.RACE and not state.race_started:
            state.race_started = True
            self.books.race_started(update.meeting_key, shard, self.shards)
        final = update.session.newly_final
        book = self.books.shard(update.meeting_key, shard, self.shards, final=final)
        if book is None:
            return state, score_shard(book, shard, seq, update, run)
        key, last = asset_points_key(update), self._last.get((update.meeting_key, shard))
        if not final and last is not None and last[0] is book and last[1] == key:
            part = dataclasses.replace(
                last[2],
                seq=seq,
                run=run,
                update=update,
                unchanged=True,
                final_session=None,
                final_weekend=None,
                final_histogram=None,
            )
        else:
            part = score_shard(book, shard, seq, update, run)
        self._last[(update.meeting_key, shard)] = (book, key, part)
        return state, part


def to_every_shard(shards: int) -> Callable[[ShardPart], list[tuple[str, ShardPart | HistogramNote]]]:
    """The flat_map step after scoring: the part stays with its shard, its histograms go to all."""

    def step(part: ShardPart) -> list[tuple[str, ShardPart | HistogramNote]]:
        note = part.note()
        own: list[tuple[str, ShardPart | HistogramNote]] = [(f"{part.meeting_key}:{part.shard}", part)]
        return own + [(f"{part.meeting_key}:{s}", note) for s in range(shards)]

    return step


@dataclass(slots=True)
class RankState:
    """A shard's parts that wait for the other shards' histograms of their window, and those."""

    next_seq: int = 0
    parts: dict[int, ShardPart] = field(default_factory=dict)
    notes: dict[int, dict[int, HistogramNote]] = field(default_factory=dict)


class ShardRanker:
    """The stateful_flat_map step that ranks a shard's teams among every team, a window at a time
    and in window order, once the K histograms of the window are in (its own among them)."""

    def __init__(self, books: ShardBooks, shards: int) -> None:
        self.books = books
        self.shards = shards

    def __call__(
        self, state: RankState | None, item: ShardPart | HistogramNote
    ) -> tuple[RankState, list[ShardTeams]]:
        state = state or RankState()
        if isinstance(item, ShardPart):
            state.parts[item.seq] = item
        else:
            state.notes.setdefault(item.seq, {})[item.shard] = item
        out: list[ShardTeams] = []
        while state.next_seq in state.parts and len(state.notes.get(state.next_seq, {})) == self.shards:
            part = state.parts.pop(state.next_seq)
            notes = state.notes.pop(state.next_seq)
            state.next_seq += 1
            out.append(self._ranked(part, [notes[s] for s in range(self.shards)]))
        return state, out

    def _ranked(self, part: ShardPart, notes: list[HistogramNote]) -> ShardTeams:
        meeting, shard = part.meeting_key, part.shard
        final = part.final_weekend is not None
        book = self.books.shard(meeting, shard, self.shards, final=final) if part.totals is not None else None
        return rank_shard(
            part,
            [n.histogram for n in notes],
            [n.final_histogram for n in notes],
            book,
            self.books.start(meeting, shard, self.shards),
            self.books.leagues(meeting, self.shards),
            self.shards,
        )


@dataclass(slots=True)
class GroupState:
    """A league group's partials that wait for the rest of their window, and the next to emit."""

    next_seq: int = 0
    waiting: dict[int, dict[int, LeaguePartial]] = field(default_factory=dict)


class LeagueGroup:
    """The stateful_flat_map step of a league group: its leagues ordered once the K shards' partials
    of a window are in, in window order (the shards' partials may come in any order)."""

    def __init__(self, books: ShardBooks, shards: int) -> None:
        self.books = books
        self.shards = shards

    def __call__(
        self, state: GroupState | None, partial: LeaguePartial
    ) -> tuple[GroupState, list[GroupStandings]]:
        state = state or GroupState()
        state.waiting.setdefault(partial.seq, {})[partial.shard] = partial
        out: list[GroupStandings] = []
        while len(state.waiting.get(state.next_seq, {})) == self.shards:
            parts = state.waiting.pop(state.next_seq)
            state.next_seq += 1
            table = self.books.leagues(partial.update.meeting_key, self.shards)
            if table is not None:
                out.append(group_standings(table, [parts[s] for s in range(self.shards)]))
        return state, out


@dataclass(slots=True)
class FinalState:
    """A meeting's classified windows that wait for the rest of their shards."""

    waiting: dict[int, dict[int, ShardTeams]] = field(default_factory=dict)


class FinalGather:
    """The stateful_flat_map step (keyed by meeting) that puts a classification's final rows back
    together for PostgreSQL's one transaction: every team's row, only at a classification (a
    handful of windows a weekend), let go once written."""

    def __init__(self, shards: int) -> None:
        self.shards = shards

    def __call__(self, state: FinalState | None, teams: ShardTeams) -> tuple[FinalState, list[ScoredWindow]]:
        state = state or FinalState()
        state.waiting.setdefault(teams.seq, {})[teams.shard] = teams
        if len(state.waiting[teams.seq]) < self.shards:
            return state, []
        parts = state.waiting.pop(teams.seq)
        return state, [gathered_final([parts[s] for s in range(self.shards)])]


def final_rows_only(teams: ShardTeams) -> ShardTeams:
    """A classified shard's window with its team ids and final rows alone: what the gather needs,
    and all that crosses to its process (not the shard's totals, ranks, runs or league partials)."""
    return dataclasses.replace(teams, totals=None, ranks=None, whole=[], partials=[], table=None)


def gathered_final(parts: list[ShardTeams]) -> ScoredWindow:
    """A classified window with every team's final rows, from its shards' (in shard order)."""
    update = parts[0].update
    held = [p for p in parts if p.team_ids is not None and p.final is not None]
    if not held:
        return ScoredWindow(update)
    team_ids = np.concatenate([p.team_ids for p in held if p.team_ids is not None])
    rows = tuple(np.concatenate([p.final[i] for p in held if p.final is not None]) for i in range(3))
    picks = np.zeros((team_ids.size, 0), dtype=np.int16)
    nobody = np.zeros(0, dtype=np.int32)
    index = TeamBook(team_ids, (), picks, picks.astype(np.int8), nobody, nobody)  # team ids alone
    teams = TeamScores(index, totals=rows[1])
    return ScoredWindow(update, teams, final=FinalTeams(teams, update, rows=(rows[0], rows[1], rows[2])))
