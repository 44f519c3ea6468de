"""The scoring dataflow, top to bottom.

    input -> decode -> (rejected) ----------------------------------------------> rejected sink
                    -> one chunk per session per input batch
                    -> event-time windows of chunks (coalesce bursts)
                    -> session facts and points (stateful, per session)
                    -> key by meeting -> weekend totals (stateful, per meeting)
                    -> (rosters from the store) the Final Fixes read again at the Race
                    -> every team's total and rank in bulk (numpy) -> live sink
                                                                    -> final sink (classified sessions)

Assets are about thirty, teams are millions: the flow is keyed by session and meeting, never
by team; teams are derived from asset points in one vectorised step. Bytewax's cost is per item
and per key touched, so messages travel as chunks: one per session per input batch (live, a batch
is a few milliseconds of arrivals; a replay hands out a thousand lines at once).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import bytewax.operators as op
import bytewax.operators.windowing as win
from bytewax.dataflow import Dataflow, Stream
from bytewax.inputs import Source
from bytewax.operators import KeyedStream
from bytewax.outputs import Sink

from dataflows.config import ClockMode, FlowConfig
from dataflows.metrics import decode_counter
from dataflows.rosters import FinalFixRereads
from dataflows.scoring_steps import (
    ReloadableBooks,
    SessionStep,
    StatePolicy,
    TeamBookProvider,
    TeamScorer,
    WindowBatch,
    session_logic,
    weekend_step,
)
from dataflows.shard_books import ShardBooks, shard_books
from dataflows.shard_steps import (
    FinalGather,
    LeagueGroup,
    ShardRanker,
    ShardScorer,
    fan_out,
    final_rows_only,
    group_key,
    shard_key,
    to_every_shard,
)
from dataflows.state_limits import StateBudget
from dataflows.weekend_state import SessionRetired
from ingest.decode import Message, Rejected, decode_input
from scoring.outcomes import ScoredWindow
from scoring.shards import GroupStandings, ShardTeams
from scoring.weekend import SessionUpdate, WeekendUpdate

ALIGN_TO = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class FlowOutputs:
    """Where results go; any may be None (for example `gridscore score` keeps only `live`)."""

    live: Sink[ScoredWindow] | None = None
    final: Sink[ScoredWindow] | None = None
    rejected: Sink[Rejected] | None = None
    # A sharded weekend's (FlowConfig.shards > 1): each shard's and each league group's arrays.
    shard_teams: Sink[ShardTeams] | None = None
    league_groups: Sink[GroupStandings] | None = None


@dataclass(frozen=True, slots=True)
class SessionChunk:
    """One session's messages from one input batch. Its time is its newest event's: the chunk
    belongs to the window in which all of it has happened (the session state orders its events)."""

    messages: list[Message]
    event_time: datetime


def _clock(config: FlowConfig) -> win.EventClock[SessionChunk]:
    if config.mode is ClockMode.PACED:
        after = config.window + config.lateness
        wake: Callable[[datetime], datetime | None] = lambda _ts: datetime.now(UTC) + after  # noqa: E731
    else:
        wake = lambda _ts: None  # noqa: E731
    return win.EventClock(
        lambda c: c.event_time, wait_for_system_duration=config.lateness, to_system_utc=wake
    )


def _window_batch(item: tuple[str, tuple[int, list[SessionChunk]]], config: FlowConfig) -> Any:
    key, (window_id, chunks) = item
    messages = chunks[0].messages if len(chunks) == 1 else [m for c in chunks for m in c.messages]
    return key, WindowBatch(ALIGN_TO + config.window * (window_id + 1), time.perf_counter(), messages)


def _late_batch(item: tuple[str, tuple[int, SessionChunk]]) -> Any:
    key, (_window_id, chunk) = item
    return key, WindowBatch(None, time.perf_counter(), chunk.messages)


def build_flow(
    source: Source[Any],
    outputs: FlowOutputs,
    config: FlowConfig,
    team_books: TeamBookProvider | ShardBooks | None = None,
) -> Dataflow:
    flow = Dataflow("gridscore")
    raw = op.input("input", flow, source)
    count_in = decode_counter(config.input_prefix)  # gridscore_messages_in_total, one tally per batch
    # Decoded messages come out as chunks keyed by session ("" for the undecodable), one step per batch.
    decoded = op.flat_map_batch(
        "decode", raw, lambda items: _chunked(count_in([decode_input(i, config.input_prefix) for i in items]))
    )
    split = op.branch("split_rejected", decoded, _is_chunk)
    by_session = cast(KeyedStream[SessionChunk], split.trues)
    undecodable: Stream[Rejected] = op.map("undecodable", split.falses, lambda kv: cast(Rejected, kv[1]))

    batches = _live_batches(by_session) if config.mode is ClockMode.LIVE else _windowed(by_session, config)
    policy = StatePolicy(
        StateBudget(config.limits),
        wall_clock=config.mode is not ClockMode.REPLAY,
        drain_at_eof=config.mode is not ClockMode.LIVE,
        mark_revisions=config.mode is ClockMode.LIVE,
    )
    steps = op.stateful_batch("session_points", batches, session_logic(config.rules, config.lateness, policy))
    session_events = cast(
        Stream[SessionUpdate | SessionRetired], op.filter_map("session_updates", steps, _weekend_event)
    )

    by_meeting = op.key_on("key_by_meeting", session_events, _meeting_of)
    weekend = op.stateful_flat_map("weekend_totals", by_meeting, weekend_step)
    if config.shards > 1 and team_books is not None:
        sharded = _sharded(weekend, config.shards, shard_books(team_books))
        scored, finals = sharded.points, sharded.finals
        if outputs.shard_teams is not None:
            op.output("shard_teams_out", sharded.teams, outputs.shard_teams)
        if outputs.league_groups is not None:
            op.output("league_groups_out", sharded.leagues, outputs.league_groups)
    else:
        updates = op.key_rm("unkey_meeting", weekend)
        if isinstance(team_books, ReloadableBooks):  # rosters from the store: Final Fixes read again
            updates = op.map("reread_final_fixes", updates, FinalFixRereads(team_books))
        scored = op.map("score_teams", updates, TeamScorer(cast(TeamBookProvider | None, team_books)))
        finals = op.filter("classified_sessions", scored, lambda s: s.weekend.session.newly_final)

    if outputs.live is not None:
        op.output("live_out", scored, outputs.live)
    if outputs.final is not None:
        op.output("final_out", finals, outputs.final)
    if outputs.rejected is not None:
        state_rejected: Stream[Rejected] = op.flat_map("state_rejected", steps, lambda kv: _step(kv).rejected)
        all_rejected: Stream[Rejected] = op.merge("all_rejected", undecodable, state_rejected)
        op.output("rejected_out", all_rejected, outputs.rejected)
    return flow


@dataclass(frozen=True, slots=True)
class ShardedStreams:
    """What a sharded weekend's steps give: each window's points (no teams: those are the shards'),
    each shard's teams and each league group's standings (written where they are computed), and
    each classification with every team's final rows."""

    points: Stream[ScoredWindow]
    teams: Stream[ShardTeams]
    leagues: Stream[GroupStandings]
    finals: Stream[ScoredWindow]


def _sharded(weekend: KeyedStream[WeekendUpdate], shards: int, books: ShardBooks) -> ShardedStreams:
    """Every team's total and rank and every league's standings from `shards` shards of the
    weekend's teams and `shards` league groups, each a key of its own (dataflows/shard_steps.py)."""
    points = op.map("points_only", op.key_rm("unkey_points", weekend), ScoredWindow)
    numbered = op.stateful_flat_map("to_shards", weekend, fan_out(shards))
    to_shards = op.key_on("key_by_shard", op.key_rm("unkey_numbered", numbered), shard_key)
    parts = op.stateful_map("score_shard", to_shards, ShardScorer(books, shards))
    spread = op.flat_map("histograms_to_shards", op.key_rm("unkey_parts", parts), to_every_shard(shards))
    ranked = op.stateful_flat_map("rank_shard", cast(KeyedStream[Any], spread), ShardRanker(books, shards))
    teams = op.key_rm("unkey_ranked", ranked)
    partials = op.flat_map("to_league_groups", teams, lambda t: [(group_key(p), p) for p in t.partials])
    leagues = op.stateful_flat_map(
        "league_group", cast(KeyedStream[Any], partials), LeagueGroup(books, shards)
    )
    classified = op.filter("classified_shards", teams, lambda t: t.update.session.newly_final)
    rows = op.map("final_rows_only", classified, final_rows_only)
    by_meeting = op.key_on("finals_by_meeting", rows, lambda t: str(t.meeting_key))
    finals = op.stateful_flat_map("gather_finals", by_meeting, FinalGather(shards))
    return ShardedStreams(
        points, teams, op.key_rm("unkey_leagues", leagues), op.key_rm("unkey_finals", finals)
    )


def _windowed(by_session: KeyedStream[SessionChunk], config: FlowConfig) -> KeyedStream[WindowBatch]:
    """Event-time windows of each session's chunks, closed once the lateness bound has passed
    (replays: the order of events decides, not the speed of the machine); late chunks go alone."""
    windows: win.WindowOut[SessionChunk, list[SessionChunk]] = win.collect_window(
        "coalesce_bursts",
        by_session,
        _clock(config),
        win.TumblingWindower(length=config.window, align_to=ALIGN_TO),
    )
    return op.merge(
        "windows_and_late",
        op.map("window_batch", windows.down, lambda item: _window_batch(item, config)),
        op.map("late_batch", windows.late, _late_batch),
    )


def _live_batches(by_session: KeyedStream[SessionChunk]) -> KeyedStream[WindowBatch]:
    """Live, a session's window is what arrived since the flow last took input: it closes in wall
    time as soon as the flow is free to score it, without waiting for the lateness bound (while
    the flow works on one, the next gathers what arrives, so bursts still coalesce). An event
    that comes after newer ones were published re-scores its session, and the points document
    says that it is a revision."""
    return cast(KeyedStream[WindowBatch], op.map("live_batch", by_session, _live_batch))


def _live_batch(item: tuple[str, SessionChunk]) -> tuple[str, WindowBatch]:
    key, chunk = item
    return key, WindowBatch(chunk.event_time, time.perf_counter(), chunk.messages)


def _chunked(items: Sequence[Message | Rejected]) -> list[tuple[str, SessionChunk | Rejected]]:
    """Group a batch's messages by session, in arrival order; rejections pass on one by one."""
    by_session: dict[int, list[Message]] = {}
    out: list[tuple[str, SessionChunk | Rejected]] = []
    for item in items:
        if isinstance(item, Message):
            by_session.setdefault(item.event.session_key, []).append(item)
        else:
            out.append(("", item))
    for session_key, messages in by_session.items():
        newest = max(m.event_time for m in messages)
        out.append((str(session_key), SessionChunk(messages, newest)))
    return out


def _is_chunk(item: tuple[str, SessionChunk | Rejected]) -> bool:
    return isinstance(item[1], SessionChunk)


def _step(item: tuple[str, SessionStep]) -> SessionStep:
    return item[1]


def _weekend_event(item: tuple[str, SessionStep]) -> SessionUpdate | SessionRetired | None:
    step = item[1]
    return step.update if step.update is not None else step.retired


def _meeting_of(event: SessionUpdate | SessionRetired) -> str:
    if isinstance(event, SessionRetired):
        return str(event.meeting_key)
    return str(event.points.meeting_key)
