"""The stateful steps of the flow, as small classes: session facts -> points -> weekend -> teams."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from bytewax.operators import StatefulBatchLogic

from dataflows.session_state import SessionState
from dataflows.state_limits import StateBudget
from dataflows.weekend_state import SessionRetired, WeekendState
from ingest.decode import Message, Rejected
from scoring.order import Place, running_order
from scoring.outcomes import FinalTeams, ScoredWindow, TeamScores
from scoring.points import SessionPoints, score_session
from scoring.rules import RuleSet
from scoring.teams import TeamBook
from scoring.weekend import SessionUpdate, WeekendUpdate


@dataclass(frozen=True, slots=True)
class SessionStep:
    update: SessionUpdate | None
    rejected: list[Rejected]
    retired: SessionRetired | None = None  # the session was let go (idle): its weekend may follow


@dataclass(slots=True)
class ScoredSession:
    """Session state plus the last points it emitted, so unchanged windows emit nothing."""

    state: SessionState
    last_points: SessionPoints | None = None
    last_final: SessionPoints | None = None
    last_input: datetime | None = None  # wall time of the session's latest window
    published_through: datetime | None = None  # the newest event time in the points last emitted
    revisions: int = 0
    last_order: tuple[Place, ...] = ()  # the running order last emitted
    last_final_order: tuple[Place, ...] = ()  # and the one last emitted as final


@dataclass(frozen=True, slots=True)
class StatePolicy:
    """How the session step bounds its state: the budget it shares with the process's other
    sessions; whether a wall clock wakes it (live and paced: waiting messages expire, idle
    sessions are let go); whether it rejects what still waits when input ends (a recorded feed);
    whether updates that correct published points are marked as revisions (live)."""

    budget: StateBudget  # over the flow's state limits (FlowConfig)
    wall_clock: bool = False
    drain_at_eof: bool = True
    mark_revisions: bool = False  # live: points go out before the lateness bound, late events revise them


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

    State is bounded: a session key that holds only messages waiting for an announcement is
    discarded once they are used or rejected (expired, or over the process's budget); on a wall
    clock, the logic wakes itself to expire them and to let an idle session go.
    """

    def __init__(
        self, rules: RuleSet, lateness: timedelta, resume: ScoredSession | None, policy: StatePolicy
    ) -> None:
        self.rules = rules
        self.lateness = lateness
        self.policy = policy
        self.limits = policy.budget.limits
        self.scored = resume
        self._waiting = 0  # what this key has counted in the budget
        self._unannounced = 0
        if resume is not None:
            _backfill(resume)
            if resume.state.described and resume.state.facts.meeting_key is not None:
                policy.budget.restore(resume.state.session_key, resume.state.facts.meeting_key)
            self._count()

    def on_batch(self, values: list[WindowBatch]) -> tuple[list[SessionStep], bool]:
        now = datetime.now(UTC)
        if self.scored is None:
            key = values[0].messages[0].event.session_key
            self.scored = ScoredSession(SessionState(key, self.lateness, self.limits.date_slack))
        scored = self.scored
        scored.last_input = now
        budget = self.policy.budget
        rejected: list[Rejected] = []
        late = self.policy.mark_revisions and self._late(values)
        for batch in values:
            room = budget.room() - (len(scored.state.pending) - self._waiting)
            rejected.extend(scored.state.apply(batch.messages, now, room, budget.admit))
        facts = scored.state.facts
        if not scored.state.described:
            return [SessionStep(None, rejected)], self._count()
        points = score_session(facts, self.rules)
        order = running_order(facts)
        if points == scored.last_points and order == scored.last_order:
            return [SessionStep(None, rejected)], self._count()
        moved = points != scored.last_points  # else only the order moved (a Qualifying's cars run)
        revision = late and moved and scored.last_points is not None
        scored.revisions += revision
        scored.last_points, scored.last_order = points, order
        scored.published_through = scored.state.high_water
        # Final again when the classification's points or its order change (a correction).
        newly_final = points.final and (points, order) != (scored.last_final, scored.last_final_order)
        if newly_final:
            scored.last_final, scored.last_final_order = points, order
        ends = [b.window_end for b in values if b.window_end is not None]
        update = SessionUpdate(
            points,
            facts.name,
            facts.date_start,
            facts.date_end,
            # A late message has no window: the session's clock is then its newest event.
            max(ends) if ends else scored.state.high_water,
            newly_final,
            closed_at=min(b.closed_at for b in values),
            revision=revision,
            revisions=scored.revisions,
            order=order,
        )
        return [SessionStep(update, rejected)], self._count()

    def _late(self, values: list[WindowBatch]) -> bool:
        """Whether an event of these batches is dated more than the lateness bound before the
        newest event of the points already published (the same bound the replay's windows keep)."""
        assert self.scored is not None
        through = self.scored.published_through
        if through is None:
            return False
        return any(m.event_time + self.lateness < through for b in values for m in b.messages)

    def on_notify(self) -> tuple[list[SessionStep], bool]:
        scored = self.scored
        if scored is None:
            return [], StatefulBatchLogic.DISCARD
        now = datetime.now(UTC)
        rejected = scored.state.expire(now, self.limits.pending_ttl)
        state = scored.state
        idle = scored.last_input is not None and scored.last_input + self.limits.session_idle <= now
        if state.described and idle and state.facts.meeting_key is not None:
            rejected.extend(state.drain())
            retired = SessionRetired(state.session_key, state.facts.meeting_key)
            self.policy.budget.release(state.session_key)
            self._forget()
            return [SessionStep(None, rejected, retired)], StatefulBatchLogic.DISCARD
        return ([SessionStep(None, rejected)] if rejected else []), self._count()

    def on_eof(self) -> tuple[list[SessionStep], bool]:
        if self.scored is None or not self.policy.drain_at_eof:
            return [], StatefulBatchLogic.RETAIN
        rejected = self.scored.state.drain()
        return ([SessionStep(None, rejected)] if rejected else []), self._count()

    def notify_at(self) -> datetime | None:
        if not self.policy.wall_clock or self.scored is None:
            return None
        wakes = [self.scored.state.next_expiry(self.limits.pending_ttl)]
        if self.scored.state.described and self.scored.last_input is not None:
            wakes.append(self.scored.last_input + self.limits.session_idle)
        return min((w for w in wakes if w is not None), default=None)

    def _count(self) -> bool:
        """Bring the budget up to date with this key's state; True (discard) when it holds nothing
        but the wait for an announcement that has nothing left waiting."""
        assert self.scored is not None
        state = self.scored.state
        if not state.described and not state.pending:
            self._forget()
            return StatefulBatchLogic.DISCARD
        waiting, unannounced = len(state.pending), 0 if state.described else 1
        self.policy.budget.change(waiting - self._waiting, unannounced - self._unannounced)
        self._waiting, self._unannounced = waiting, unannounced
        return StatefulBatchLogic.RETAIN

    def _forget(self) -> None:
        self.policy.budget.change(-self._waiting, -self._unannounced)
        self._waiting = self._unannounced = 0

    def snapshot(self) -> ScoredSession:
        # A detached copy (pickling round trip: several times faster than deepcopy on these dicts).
        state = (
            self.scored
            if self.scored is not None
            else ScoredSession(SessionState(0, self.lateness, self.limits.date_slack))
        )
        return pickle.loads(pickle.dumps(state))  # noqa: S301 (our own object, not outside data)


def _backfill(resumed: ScoredSession) -> None:
    """A snapshot written before the running order (an engine upgraded over its recovery folder)
    unpickles without it: it starts empty, and the next window sends the order."""
    for name in ("last_order", "last_final_order"):
        if not hasattr(resumed, name):
            setattr(resumed, name, ())


def session_logic(
    rules: RuleSet, lateness: timedelta, policy: StatePolicy
) -> Callable[[ScoredSession | None], SessionLogic]:
    return lambda resume: SessionLogic(rules, lateness, resume, policy)


def weekend_step(
    state: WeekendState | None, event: SessionUpdate | SessionRetired
) -> tuple[WeekendState | None, list[WeekendUpdate]]:
    """A session's new points update its weekend; once every session of it is let go, so is the weekend."""
    if isinstance(event, SessionRetired):
        if state is None:
            return None, []
        return (None if state.retire(event.session_key) else state), []
    if state is None:
        state = WeekendState(event.points.meeting_key or 0)
    return state, [state.update(event)]


TeamBookProvider = Callable[[int], TeamBook | None]


@runtime_checkable
class ReloadableBooks(Protocol):
    """A provider that reads rosters from the store: told to read a meeting's Final Fixes again,
    and asked for the book a classification is written with (never None while teams exist)."""

    def reload(self, meeting_key: int) -> None: ...

    def wait_for_reloads(self, timeout_s: float = 60.0) -> None: ...

    def book_for_final(self, meeting_key: int) -> TeamBook | None: ...


AssetPointsKey = tuple[tuple[tuple[str, int], ...], ...]


def asset_points_key(update: WeekendUpdate) -> AssetPointsKey:
    """Everything a team's points depend on besides its roster: the weekend's points of each asset,
    their positive items (No Negative) and the part before the Race (Final Fix)."""
    return tuple(
        tuple(sorted(points.items()))
        for points in (
            update.asset_points(),
            update.asset_positive_points(),
            update.asset_points_before_race(),
        )
    )


class TeamScorer:
    """Derives every team's total, global rank and league standings from the weekend's asset points.

    A classification is scored with the book a provider that reads the store gives for finals:
    it waits for the Final Fixes read again at the Race's first window (the flow's
    `reread_final_fixes` step, dataflows/rosters.py), so final results count them even in a
    fast replay."""

    def __init__(self, books: TeamBookProvider | None) -> None:
        self.books = books
        # Each meeting's last team numbers and the asset points they came from: a window that moved
        # no asset's points (a running order that changed, a message with nothing to score) reuses
        # them, so a million teams' totals, ranks and league sorts are not computed again for it.
        self._last: dict[int, tuple[TeamBook, AssetPointsKey, TeamScores]] = {}

    def __call__(self, update: WeekendUpdate) -> ScoredWindow:
        if update.session.newly_final and isinstance(self.books, ReloadableBooks):
            book = self.books.book_for_final(update.meeting_key)
        else:
            book = self.books(update.meeting_key) if self.books else None
        if book is None or book.size == 0:
            return ScoredWindow(update)
        key = asset_points_key(update)
        last = self._last.get(update.meeting_key)
        if last is not None and last[0] is book and last[1] == key:
            teams = last[2]
        else:
            teams = TeamScores(book, weekend=update)
            self._last[update.meeting_key] = (book, key, teams)
        return ScoredWindow(
            update, teams, final=FinalTeams(teams, update) if update.session.newly_final else None
        )
