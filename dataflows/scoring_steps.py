"""The stateful steps of the flow, as small classes: session facts -> points -> weekend -> teams."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Protocol, runtime_checkable

from bytewax.operators import StatefulBatchLogic

from dataflows.session_state import SessionState
from dataflows.weekend_state import SessionUpdate, WeekendState, WeekendUpdate
from ingest.decode import Message, Rejected
from scoring.facts import SessionKind
from scoring.points import SessionPoints, score_session
from scoring.rules import RuleSet
from scoring.teams import Int32Array, LeagueStandings, TeamBook, competition_ranks, league_standings


@dataclass(frozen=True, slots=True)
class SessionStep:
    update: SessionUpdate | None
    rejected: list[Rejected]


@dataclass(slots=True)
class ScoredSession:
    """Session state plus the last points it emitted, so unchanged windows emit nothing."""

    state: SessionState
    last_points: SessionPoints | None = None
    last_final: SessionPoints | None = None


@dataclass(frozen=True, slots=True)
class WindowBatch:
    """The messages of one closed window of a session (or one late message, with no window end)."""

    window_end: datetime | None
    closed_at: float  # time.perf_counter() when the window closed, to measure refresh latency
    messages: list[Message]


class SessionLogic(StatefulBatchLogic[WindowBatch, SessionStep, ScoredSession]):
    """Applies every window that closed in a batch, then scores the session once.

    Coalescing windows that close together keeps replay fast (one scoring per session per batch),
    while live, where windows close one at a time, every window is scored.
    """

    def __init__(self, rules: RuleSet, lateness: timedelta, resume: ScoredSession | None) -> None:
        self.rules = rules
        self.lateness = lateness
        self.scored = resume

    def on_batch(self, values: list[WindowBatch]) -> tuple[list[SessionStep], bool]:
        if self.scored is None:
            self.scored = ScoredSession(SessionState(values[0].messages[0].event.session_key, self.lateness))
        scored = self.scored
        rejected: list[Rejected] = []
        for batch in values:
            rejected.extend(scored.state.apply(batch.messages))
        facts = scored.state.facts
        if not scored.state.described:
            return [SessionStep(None, rejected)], StatefulBatchLogic.RETAIN
        points = score_session(facts, self.rules)
        if points == scored.last_points:
            return [SessionStep(None, rejected)], StatefulBatchLogic.RETAIN
        scored.last_points = points
        newly_final = points.final and points != scored.last_final
        if newly_final:
            scored.last_final = points
        ends = [b.window_end for b in values if b.window_end is not None]
        update = SessionUpdate(
            points,
            facts.name,
            facts.date_start,
            facts.date_end,
            max(ends) if ends else None,
            newly_final,
            closed_at=min(b.closed_at for b in values),
        )
        return [SessionStep(update, rejected)], StatefulBatchLogic.RETAIN

    def snapshot(self) -> ScoredSession:
        # A detached copy (pickling round trip: several times faster than deepcopy on these dicts).
        state = self.scored if self.scored is not None else ScoredSession(SessionState(0))
        return pickle.loads(pickle.dumps(state))  # noqa: S301 (our own object, not outside data)


def session_logic(rules: RuleSet, lateness: timedelta) -> Callable[[ScoredSession | None], SessionLogic]:
    return lambda resume: SessionLogic(rules, lateness, resume)


def weekend_step(state: WeekendState | None, update: SessionUpdate) -> tuple[WeekendState, WeekendUpdate]:
    if state is None:
        state = WeekendState(update.points.meeting_key or 0)
    return state, state.update(update)


@dataclass(frozen=True)
class TeamScores:
    """Every team's total and global rank; league standings are computed on first use, so the
    totals can be written (and read) before the heavier sort of every league is done."""

    book: TeamBook
    totals: Int32Array
    ranks: Int32Array
    precomputed_standings: LeagueStandings | None = None

    @cached_property
    def standings(self) -> LeagueStandings:
        if self.precomputed_standings is not None:
            return self.precomputed_standings
        return league_standings(self.book, self.totals)


@dataclass(frozen=True, slots=True)
class ScoredWindow:
    """One window's outcome for a meeting: asset points and, when teams are loaded, every team's."""

    weekend: WeekendUpdate
    teams: TeamScores | None = None
    scored_at: datetime | None = field(default=None, compare=False)
    # perf_counter() when each part became readable in Redis: "totals" (every team's total and rank)
    # and "leagues" (every league's standings). Filled in by the live writer, read by benchmarks.
    visible_at: dict[str, float] = field(default_factory=dict, compare=False)


TeamBookProvider = Callable[[int], TeamBook | None]


@runtime_checkable
class ReloadableBooks(Protocol):
    """A provider that reads rosters from the store, and can be told to read a meeting's again."""

    def reload(self, meeting_key: int) -> None: ...

    def wait_for_reloads(self, timeout_s: float = 60.0) -> None: ...


class TeamScorer:
    """Derives every team's total, global rank and league standings from the weekend's asset points.

    Rosters change once after the lock: a Final Fix, which closes when the Race starts. So a
    provider that reads the store is asked to read the meeting's rosters again at the Race's first
    window (in the background: the rosters held so far serve until the new ones are in)."""

    def __init__(self, books: TeamBookProvider | None) -> None:
        self.books = books
        self._races_seen: set[int] = set()

    def __call__(self, update: WeekendUpdate) -> ScoredWindow:
        if update.session.points.kind is SessionKind.RACE and update.meeting_key not in self._races_seen:
            self._races_seen.add(update.meeting_key)
            if isinstance(self.books, ReloadableBooks):
                self.books.reload(update.meeting_key)
        if update.session.newly_final and isinstance(self.books, ReloadableBooks):
            self.books.wait_for_reloads()  # final results with the rosters in force, even in a fast replay
        book = self.books(update.meeting_key) if self.books else None
        if book is None or book.size == 0:
            return ScoredWindow(update)
        totals = book.totals(
            update.asset_points(),
            update.asset_positive_points(),
            before_race=update.asset_points_before_race(),
        )
        return ScoredWindow(update, TeamScores(book, totals, competition_ranks(totals)))
