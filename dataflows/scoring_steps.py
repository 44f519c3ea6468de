"""The stateful steps of the flow, as small classes: session facts -> points -> weekend -> teams."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from dataflows.session_state import SessionState
from dataflows.weekend_state import SessionUpdate, WeekendState, WeekendUpdate
from ingest.decode import Message, Rejected
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


class SessionScorer:
    def __init__(self, rules: RuleSet) -> None:
        self.rules = rules

    def __call__(
        self, scored: ScoredSession | None, batch: tuple[datetime | None, list[Message]]
    ) -> tuple[ScoredSession, SessionStep]:
        window_end, messages = batch
        if scored is None:
            scored = ScoredSession(SessionState(messages[0].event.session_key))
        rejected = scored.state.apply(messages)
        facts = scored.state.facts
        if not scored.state.described:
            return scored, SessionStep(None, rejected)
        points = score_session(facts, self.rules)
        if points == scored.last_points:
            return scored, SessionStep(None, rejected)
        scored.last_points = points
        newly_final = points.final and points != scored.last_final
        if newly_final:
            scored.last_final = points
        update = SessionUpdate(points, facts.name, facts.date_start, facts.date_end, window_end, newly_final)
        return scored, SessionStep(update, rejected)


def weekend_step(state: WeekendState | None, update: SessionUpdate) -> tuple[WeekendState, WeekendUpdate]:
    if state is None:
        state = WeekendState(update.points.meeting_key or 0)
    return state, state.update(update)


@dataclass(frozen=True, slots=True)
class TeamScores:
    book: TeamBook
    totals: Int32Array
    ranks: Int32Array
    standings: LeagueStandings


@dataclass(frozen=True, slots=True)
class ScoredWindow:
    """One window's outcome for a meeting: asset points and, when teams are loaded, every team's."""

    weekend: WeekendUpdate
    teams: TeamScores | None = None
    scored_at: datetime | None = field(default=None, compare=False)


TeamBookProvider = Callable[[int], TeamBook | None]


class TeamScorer:
    """Derives every team's total, global rank and league standings from the weekend's asset points."""

    def __init__(self, books: TeamBookProvider | None) -> None:
        self.books = books

    def __call__(self, update: WeekendUpdate) -> ScoredWindow:
        book = self.books(update.meeting_key) if self.books else None
        if book is None or book.size == 0:
            return ScoredWindow(update)
        totals = book.totals(update.asset_points())
        return ScoredWindow(
            update, TeamScores(book, totals, competition_ranks(totals), league_standings(book, totals))
        )
