"""Write live state to Redis: asset points, every team's total and rank, league standings.

A window's points and sessions are one MULTI/EXEC, every team's totals and ranks a second (so a
reader never sees totals of one window with ranks of another), every league's standings a third;
each is announced with the meeting version it is of. Writes are overwrites, so a repeated window
changes nothing, and a write that Redis did not take is sent again, whole, once Redis is back
(store/outages.py).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import msgspec
import numpy as np
import redis
from redis.client import Pipeline

from scoring.outcomes import ScoredWindow, TeamScores
from scoring.points import SessionPoints
from scoring.teams import LeagueStandings, TeamBook
from scoring.weekend import SessionUpdate
from store import live_keys as keys
from store.outages import REDIS, redis_client
from store.running_order import queue_running_order, queue_window_time, weekend_window_time

LEAGUE_INDEX_CHUNK = 10_000  # league segments per HSET of a new index
TOTALS_WAIT_S = 30.0  # league standings wait at most this long for the totals of their version
encode = msgspec.json.Encoder().encode  # JSON documents, several times faster than json.dumps
# Bump a meeting's version and announce it on the meeting's channel, inside the write's MULTI/EXEC.
ANNOUNCE_UPDATE = """
local version = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', ARGV[1], cjson.encode({
  meeting_key = tonumber(ARGV[2]), session_key = tonumber(ARGV[3]), version = version, part = 'points' }))
return version
"""
# A later part of meeting version ARGV[4] (ARGV[5]: "totals", "leagues") is written: note which
# version it is of, and say so on the channel.
ANNOUNCE_PART = """
redis.call('SET', KEYS[1], ARGV[4])
redis.call('PUBLISH', ARGV[1], cjson.encode({
  meeting_key = tonumber(ARGV[2]), session_key = tonumber(ARGV[3]), version = tonumber(ARGV[4]),
  part = ARGV[5] }))
"""
log = logging.getLogger(__name__)


def session_document(points: SessionPoints, name: str) -> dict[str, Any]:
    return {
        "session_key": points.session_key,
        "meeting_key": points.meeting_key,
        "session_name": name,
        "final": points.final,
        "drivers": {k: v.as_dict() for k, v in sorted(points.drivers.items())},
        "constructors": {k: v.as_dict() for k, v in sorted(points.constructors.items())},
    }


def session_status(session: SessionUpdate) -> bytes:
    return encode(
        {
            "session_key": session.points.session_key,
            "name": session.session_name,
            "state": "final" if session.points.final else "live",
            "date_start": session.date_start.isoformat() if session.date_start else None,
            "date_end": session.date_end.isoformat() if session.date_end else None,
        }
    )


Pending = tuple[ScoredWindow, int]  # a window and the meeting version it is of


class _PerMeetingThread:
    """A thread that writes what waits for each meeting, the flow never waiting on it: windows that
    pile up for a meeting while it writes are handed over together, and `write` decides what to do
    with them (usually: only the latest). An error in one write never stops the next ones."""

    def __init__(self, name: str, write: Callable[[list[Pending]], None]) -> None:
        self._write = write
        self._waiting: dict[int, list[Pending]] = {}
        self._wakeup = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, window: ScoredWindow, version: int) -> None:
        with self._wakeup:
            self._waiting.setdefault(window.weekend.meeting_key, []).append((window, version))
            self._wakeup.notify()

    def close(self) -> None:
        """Write what is still waiting, then stop."""
        with self._wakeup:
            self._closing = True
            self._wakeup.notify()
        self._thread.join()

    def _run(self) -> None:
        while True:
            with self._wakeup:
                while not self._waiting and not self._closing:
                    self._wakeup.wait()
                if not self._waiting and self._closing:
                    return
                batch, self._waiting = list(self._waiting.values()), {}
            for windows in batch:
                try:
                    self._write(windows)
                except Exception:  # a bug here must not stop the next windows
                    log.exception(
                        "%s of meeting %d not written", self._thread.name, windows[-1][0].weekend.meeting_key
                    )


class StandingsWriter:
    """Sorts every league and writes the standings on a thread of its own, so that the flow goes on
    to the next window meanwhile (numpy's sorts and gathers release the GIL: the second core works).
    Only the latest window of a meeting is worth sorting: one that is overtaken while it waits is
    dropped. A window is handed over as soon as its totals are computed, so that its sort runs
    while they are written; its standings are written once its totals are (`totals_written`): never
    ahead of them, nor before a new team index that drops the old layout's arrays. Each write names
    the meeting version it was computed from and is announced on the meeting's channel, so a reader
    knows when the standings caught up with the totals."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._announce = client.register_script(ANNOUNCE_PART)
        self._totals_done: dict[int, int] = {}  # meeting -> the latest version whose totals are written
        self._totals_note = threading.Condition()
        self._thread = _PerMeetingThread("league-standings", lambda windows: self._write(*windows[-1]))

    def submit(self, window: ScoredWindow, version: int = 0) -> None:
        self._thread.submit(window, version)

    def totals_written(self, meeting: int, version: int) -> None:
        """The meeting's totals of `version` are in Redis (or will not be: their write failed)."""
        with self._totals_note:
            self._totals_done[meeting] = max(version, self._totals_done.get(meeting, version))
            self._totals_note.notify_all()

    def close(self) -> None:
        """Write what is still waiting, then stop."""
        self._thread.close()

    def _write(self, window: ScoredWindow, version: int) -> None:
        assert window.teams is not None
        meeting = window.weekend.meeting_key
        teams = window.teams
        started = time.perf_counter()
        standings = teams.standings  # sorted before the write, outside the retries
        sorted_at = time.perf_counter()
        with self._totals_note:
            if not self._totals_note.wait_for(
                lambda: self._totals_done.get(meeting, -1) >= version, TOTALS_WAIT_S
            ):
                log.warning(
                    "totals of meeting %d, version %d, not written yet: standings go anyway", meeting, version
                )

        def send() -> None:
            pipe = self.client.pipeline(transaction=True)
            queue_standings(pipe, meeting, teams, standings)
            # The standings' own window time beside their version (set by the announcement): a page's
            # as_of names the window its rows are of, whatever points were written since.
            queue_window_time(pipe, keys.league_window_time(meeting), weekend_window_time(window.weekend))
            self._announce(
                keys=[keys.league_version(meeting)],
                args=[
                    keys.updates_channel(meeting),
                    meeting,
                    window.weekend.session.points.session_key,
                    version,
                    "leagues",
                ],
                client=pipe,
            )
            pipe.execute()

        ready = time.perf_counter()
        try:
            REDIS.call(send, f"standings of {meeting}")
        except redis.RedisError:
            log.exception("league standings of meeting %d not written", meeting)
            return
        window.visible_at["leagues"] = time.perf_counter()
        log.debug(
            "league standings of meeting %d, version %d: started %.1f ms after its points, sorted in"
            " %.1f ms, waited %.1f ms for its totals, written in %.1f ms (%.1f ms after its totals)",
            meeting,
            version,
            (started - window.visible_at.get("points", started)) * 1000,
            (sorted_at - started) * 1000,
            (ready - sorted_at) * 1000,
            (window.visible_at["leagues"] - ready) * 1000,
            (window.visible_at["leagues"] - window.visible_at.get("totals", ready)) * 1000,
        )


def write_standings(client: redis.Redis, meeting: int, teams: TeamScores | None) -> None:
    """Every league's order, ranks and points, together."""
    assert teams is not None
    pipe = client.pipeline(transaction=True)
    queue_standings(pipe, meeting, teams, teams.standings)
    pipe.execute()


def queue_standings(pipe: Pipeline, meeting: int, teams: TeamScores, standings: LeagueStandings) -> None:
    pipe.set(keys.league_order(meeting), keys.int32_view(standings.order))
    pipe.set(keys.league_ranks(meeting), keys.int32_view(standings.ranks))
    points = standings.points if standings.points is not None else teams.totals[standings.order]
    pipe.set(keys.league_points(meeting), keys.int32_view(points))


class TeamsWriter:
    """Every team's total and rank, on a thread of its own: the flow writes a window's points and
    goes on, while this computes the meeting's latest window for a million teams (numpy, mostly
    without the GIL) and writes its arrays; windows that pile up meanwhile are written once, as
    the latest. Then the league standings follow, on theirs."""

    def __init__(
        self,
        client: redis.Redis,
        standings: StandingsWriter | None,
        on_totals: Callable[[ScoredWindow], None] | None = None,
        background: bool = True,
    ) -> None:
        self.client = client
        self.standings = standings
        self.on_totals = on_totals
        self._announce = client.register_script(ANNOUNCE_PART)
        self._thread = _PerMeetingThread("team-totals", self._write) if background else None

    def submit(self, window: ScoredWindow, version: int) -> None:
        if self._thread is None:  # in line (a replay: every window written, in order)
            self._write([(window, version)])
            return
        self._thread.submit(window, version)

    def close(self) -> None:
        """Write what is still waiting, then stop."""
        if self._thread is not None:
            self._thread.close()

    def _write(self, windows: list[tuple[ScoredWindow, int]]) -> None:
        window, version = windows[-1]
        teams = window.teams
        assert teams is not None
        meeting = window.weekend.meeting_key
        started = time.perf_counter()
        totals = keys.int32_view(teams.totals)
        if self.standings is not None:
            self.standings.submit(window, version)  # sorted while the ranks are and the totals written
        try:
            ranks = keys.pack_rank_table(teams.rank_table)  # a few KB: no rank a team to gather or send
            points = encode(window.weekend.points_document())
            self._write_totals(windows, started, time.perf_counter(), totals, ranks, points)
        finally:
            if self.standings is not None:
                self.standings.totals_written(meeting, version)
        if self.standings is None:
            write_standings(self.client, meeting, teams)
            window.visible_at["leagues"] = time.perf_counter()

    def _write_totals(
        self,
        windows: list[tuple[ScoredWindow, int]],
        started: float,
        computed: float,
        totals: bytes,
        ranks: bytes,
        points: bytes,
    ) -> None:
        window, version = windows[-1]
        teams = window.teams
        assert teams is not None
        meeting = window.weekend.meeting_key
        if not _INDEXED.holds(meeting, teams.book):
            REDIS.call(
                lambda: publish_book_index(self.client, meeting, teams.book), f"team index of {meeting}"
            )

        def send() -> list[Any]:
            pipe = self.client.pipeline(transaction=True)
            pipe.exists(keys.team_ids(meeting))
            pipe.set(keys.team_totals(meeting), totals)
            pipe.set(keys.team_rank_table(meeting), ranks)
            pipe.unlink(keys.team_ranks(meeting))  # a sharded run's ranks by slot, freed off the main thread
            pipe.set(keys.totals_points(meeting), points)
            queue_window_time(pipe, keys.totals_window_time(meeting), weekend_window_time(window.weekend))
            self._announce(
                keys=[keys.totals_version(meeting)],
                args=[
                    keys.updates_channel(meeting),
                    meeting,
                    window.weekend.session.points.session_key,
                    version,
                    "totals",
                ],
                client=pipe,
            )
            return pipe.execute()

        replies = REDIS.call(send, f"team totals of meeting {meeting}")
        written = time.perf_counter()
        log.debug(
            "team totals of meeting %d, version %d (%d windows): %.1f ms after its points, computed in"
            " %.1f ms, written in %.1f ms",
            meeting,
            version,
            len(windows),
            (started - window.visible_at.get("points", started)) * 1000,
            (computed - started) * 1000,
            (written - computed) * 1000,
        )
        if not replies[0]:  # the index was lost (Redis restarted empty)
            REDIS.call(
                lambda: publish_book_index(self.client, meeting, teams.book), f"team index of {meeting}"
            )
        for each, _ in windows:  # the overtaken ones became readable with the latest
            each.visible_at["totals"] = written
            if self.on_totals is not None:
                self.on_totals(each)


class LiveWriter:
    """A window's points in one MULTI/EXEC, at once; then every team's total and rank (on a thread
    of its own when `teams_in_background`: live) and every league's standings (on another). Each
    part is announced on the meeting's channel with the meeting version it is of. `on_totals` is
    called with each window once its teams' totals are readable (at once for a window without)."""

    def __init__(
        self,
        client: redis.Redis,
        standings_in_background: bool = True,
        on_totals: Callable[[ScoredWindow], None] | None = None,
        teams_in_background: bool = False,
    ) -> None:
        self.client = client
        self.on_totals = on_totals
        self._standings = StandingsWriter(client) if standings_in_background else None
        self._teams = TeamsWriter(client, self._standings, on_totals, background=teams_in_background)
        self._announce = client.register_script(ANNOUNCE_UPDATE)

    def close(self) -> None:
        self._teams.close()
        if self._standings is not None:
            self._standings.close()
        self.client.close()

    def write(self, window: ScoredWindow) -> None:
        self.write_many([window])

    def write_many(self, windows: list[ScoredWindow]) -> None:
        """Write the windows of one batch in a single MULTI/EXEC (one round trip, however many
        meetings moved). A meeting's state is written whole, so only its latest window is sent."""
        latest: dict[int, ScoredWindow] = {}
        for window in windows:
            latest.pop(window.weekend.meeting_key, None)
            latest[window.weekend.meeting_key] = window
        if not latest:
            return
        versions = REDIS.call(
            lambda: self._write(list(latest.values())), f"live state of meetings {sorted(latest)}"
        )
        written = time.perf_counter()
        for window in windows:  # the overtaken ones with the latest: their teams too
            meeting = window.weekend.meeting_key
            window.visible_at["points"] = written
            if window.teams is not None:
                self._teams.submit(window, versions[meeting])
            else:
                window.visible_at["totals"] = written
                if self.on_totals is not None:
                    self.on_totals(window)

    def _write(self, windows: list[ScoredWindow]) -> dict[int, int]:
        """Each meeting's whole live state (every session, not only the one that moved), so that
        Redis restarted empty is whole again after the next window; its update is announced in the
        same transaction, so a subscriber that reads on the announcement sees it. Returns each
        meeting's new version."""
        pipe = self.client.pipeline(transaction=True)
        announced: list[int] = []
        for window in windows:
            self._queue_meeting(pipe, window)
            announced.append(len(pipe) - 1)  # a meeting's last command is its announcement
        replies = pipe.execute()
        return {w.weekend.meeting_key: int(replies[a]) for w, a in zip(windows, announced, strict=True)}

    def _queue_meeting(self, pipe: Pipeline, window: ScoredWindow) -> None:
        weekend = window.weekend
        meeting = weekend.meeting_key
        pipe.set(keys.meeting_points(meeting), encode(weekend.points_document()))
        for session in weekend.sessions.values():
            pipe.set(
                keys.session_assets(session.points.session_key),
                encode(session_document(session.points, session.session_name)),
            )
            pipe.hset(
                keys.meeting_sessions(meeting), str(session.points.session_key), session_status(session)
            )
            queue_running_order(pipe, session.points, session.session_name, session.order, session.window_end)
        queue_window_time(pipe, keys.meeting_window_time(meeting), weekend_window_time(weekend))
        pipe.sadd(keys.live_meetings(), str(meeting))
        self._announce(
            keys=[keys.meeting_version(meeting)],
            args=[keys.updates_channel(meeting), meeting, weekend.session.points.session_key],
            client=pipe,
        )


class _IndexedBooks:
    """Which teams and leagues each meeting's Redis index was last written for, in this process
    (the arrays themselves: a patched book shares them with the book it came from)."""

    def __init__(self) -> None:
        self._arrays: dict[int, tuple[object, object, object]] = {}

    def holds(self, meeting: int, book: TeamBook) -> bool:
        held = self._arrays.get(meeting)
        return held is not None and all(a is b for a, b in zip(held, _index_arrays(book), strict=True))

    def note(self, meeting: int, book: TeamBook) -> None:
        self._arrays[meeting] = _index_arrays(book)


def _index_arrays(book: TeamBook) -> tuple[object, object, object]:
    return (book.team_ids, book.member_league, book.member_slot)


_INDEXED = _IndexedBooks()


def index_digest(book: TeamBook) -> str:
    """What a meeting's Redis index is made of (team ids, league memberships), hashed."""
    digest = hashlib.blake2b(digest_size=16)
    for array in _index_arrays(book):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


class BookIndexPublisher:
    """The StoreTeamBooks hook of the live engine: a book's Redis index is written by the thread
    that loaded it, before the book is used (ten million team ids: 80 MB, about 2 s), and not at
    all when Redis already holds the same one (an engine restarted, Final Fixes patched in)."""

    def __init__(self, redis_url: str) -> None:
        self.redis_url = redis_url

    def __call__(self, meeting: int, book: TeamBook) -> None:
        if _INDEXED.holds(meeting, book):
            return
        client = redis_client(self.redis_url)
        try:
            digest = index_digest(book)
            held = client.get(keys.book_index_digest(meeting))
            if held is not None and held.decode() == digest and client.exists(keys.team_ids(meeting)):
                _INDEXED.note(meeting, book)
                return
            started = time.perf_counter()
            REDIS.call(lambda: publish_book_index(client, meeting, book, digest), f"team index of {meeting}")
            log.info("team index of meeting %d written in %.2f s", meeting, time.perf_counter() - started)
        finally:
            client.close()


def publish_book_index(client: redis.Redis, meeting: int, book: TeamBook, digest: str | None = None) -> None:
    """The meeting's team index (sorted ids, league segments), in one transaction. A team's slot is
    found by a binary search over the ids (live_keys.TEAM_SLOT_LUA), so there is no id -> slot hash
    to build: at ten million teams it took 48-88 s and about 1 GB of Redis. When the layout changed
    (other teams or leagues than the arrays in Redis were computed for: a bigger earlier replay,
    teams added), the totals, ranks and league arrays of the old layout go in the same transaction:
    read with the new index they would name the wrong teams; the next window writes them anew."""
    digest = digest or index_digest(book)
    before = client.get(keys.book_index_digest(meeting))
    layout_changed = before is not None and before != digest.encode()  # none: nothing stale to drop
    pipe = client.pipeline(transaction=True)
    if layout_changed:
        pipe.delete(
            keys.team_totals(meeting),
            keys.team_ranks(meeting),
            keys.team_rank_table(meeting),
            keys.league_order(meeting),
            keys.league_ranks(meeting),
            keys.league_points(meeting),
            keys.league_version(meeting),
            keys.league_window_time(meeting),
        )
    pipe.set(keys.team_ids(meeting), keys.pack_team_ids(book.team_ids))
    pipe.unlink(keys.legacy_team_slots(meeting))  # freed off Redis's main thread
    pipe.delete(keys.league_index(meeting))
    leagues, starts, counts = book.league_segments()
    for first in range(0, leagues.size, LEAGUE_INDEX_CHUNK):
        index = {
            str(int(lg)): keys.league_segment(int(s), int(c))
            for lg, s, c in zip(
                leagues[first : first + LEAGUE_INDEX_CHUNK].tolist(),
                starts[first : first + LEAGUE_INDEX_CHUNK].tolist(),
                counts[first : first + LEAGUE_INDEX_CHUNK].tolist(),
                strict=True,
            )
        }
        pipe.hset(keys.league_index(meeting), mapping=index)  # type: ignore[arg-type]
    pipe.set(keys.book_index_digest(meeting), digest)
    pipe.execute()
    _INDEXED.note(meeting, book)
