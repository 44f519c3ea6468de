"""What the engine publishes under f1/scoring/: topic names and JSON documents (pure, no I/O).

League tops and team totals are computed for every league and team at once with numpy, and
compared with what was last published, so that only the ones that changed are sent (a round that
cannot send every change leaves the rest marked unpublished for the next: `mark` only what went out).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from scoring.outcomes import TeamScores
from scoring.weekend import WeekendUpdate
from store.live import session_document


def points_topic(prefix: str, meeting_key: int) -> str:
    return f"{prefix}{meeting_key}/points"


def session_topic(prefix: str, meeting_key: int, session_key: int) -> str:
    return f"{prefix}{meeting_key}/sessions/{session_key}"


def league_topic(prefix: str, meeting_key: int, league_id: int) -> str:
    return f"{prefix}{meeting_key}/leagues/{league_id}"


def team_topic(prefix: str, meeting_key: int, team_id: int) -> str:
    return f"{prefix}{meeting_key}/teams/{team_id}"


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


def points_payload(weekend: WeekendUpdate) -> bytes:
    """`gridscore score --json` for the weekend so far, plus meeting_key, session_key and final."""
    return encode(weekend.points_document())


def session_payload(weekend: WeekendUpdate) -> bytes:
    """The session that moved: every driver's and constructor's points with their breakdown."""
    session = weekend.session
    return encode(session_document(session.points, session.session_name))


@dataclass(frozen=True)
class LeagueTops:
    """The first n of every league, as [leagues, n] arrays (team id -1 pads leagues smaller than n)."""

    leagues: npt.NDArray[np.int32]
    sizes: npt.NDArray[np.int64]
    team_ids: npt.NDArray[np.int64]
    points: npt.NDArray[np.int32]
    ranks: npt.NDArray[np.int32]

    def changed_since(self, before: LeagueTops | None) -> npt.NDArray[np.bool_]:
        """Which leagues' tops differ from `before` (all of them when the leagues differ)."""
        if (
            before is None
            or not np.array_equal(before.leagues, self.leagues)
            or before.team_ids.shape != (self.team_ids.shape)
        ):
            return np.ones(self.leagues.size, dtype=bool)
        return (
            (before.team_ids != self.team_ids).any(axis=1)
            | (before.points != self.points).any(axis=1)
            | (before.ranks != self.ranks).any(axis=1)
            | (before.sizes != self.sizes)
        )

    def unpublished(self) -> LeagueTops:
        """The same leagues with nothing published yet: every top differs from it until `mark`ed."""
        shape = self.team_ids.shape
        return LeagueTops(
            leagues=self.leagues,
            sizes=np.full(self.sizes.shape, -1, dtype=self.sizes.dtype),
            team_ids=np.full(shape, -2, dtype=self.team_ids.dtype),
            points=np.zeros(shape, dtype=self.points.dtype),
            ranks=np.zeros(shape, dtype=self.ranks.dtype),
        )

    def mark(self, rows: npt.NDArray[np.int64], published: LeagueTops) -> None:
        """Record that `published`'s tops of `rows` went out (this is what was published)."""
        for mine, theirs in (
            (self.sizes, published.sizes),
            (self.team_ids, published.team_ids),
            (self.points, published.points),
            (self.ranks, published.ranks),
        ):
            mine[rows] = theirs[rows]

    def document(self, row: int, meeting_key: int, session_key: int) -> dict[str, Any]:
        valid = self.team_ids[row] >= 0
        return {
            "meeting_key": meeting_key,
            "session_key": session_key,
            "league_id": int(self.leagues[row]),
            "teams": int(self.sizes[row]),
            "top": [
                {"rank": int(r), "team_id": int(t), "points": int(p)}
                for r, t, p in zip(
                    self.ranks[row][valid], self.team_ids[row][valid], self.points[row][valid], strict=True
                )
            ],
        }


def league_documents(
    tops: LeagueTops, rows: npt.NDArray[np.int64], meeting_key: int, session_key: int
) -> Iterator[dict[str, Any]]:
    """`tops.document(row, ...)` for each of `rows`, the arrays read once for all of them (a round
    is tens of thousands of documents: indexing numpy arrays row by row would cost most of it)."""
    columns = (tops.leagues[rows], tops.sizes[rows], tops.team_ids[rows], tops.points[rows], tops.ranks[rows])
    for league, size, ids, points, ranks in zip(*(c.tolist() for c in columns), strict=True):
        yield {
            "meeting_key": meeting_key,
            "session_key": session_key,
            "league_id": league,
            "teams": size,
            "top": [
                {"rank": r, "team_id": t, "points": p}
                for r, t, p in zip(ranks, ids, points, strict=True)
                if t >= 0
            ],
        }


def league_tops(teams: TeamScores, n: int) -> LeagueTops:
    leagues, starts, sizes = teams.book.league_segments()
    columns = np.arange(n, dtype=np.int64)
    valid = columns[None, :] < sizes[:, None]
    index = np.where(valid, starts[:, None] + columns[None, :], 0)  # [leagues, n] into the standings
    slots = teams.standings.order[index]
    return LeagueTops(
        leagues=leagues,
        sizes=sizes,
        team_ids=np.where(valid, teams.book.team_ids[slots], -1).astype(np.int64),
        points=np.where(valid, teams.totals[slots], 0).astype(np.int32),
        ranks=np.where(valid, teams.standings.ranks[index], 0).astype(np.int32),
    )


@dataclass(frozen=True)
class PublishedTeams:
    """Each team's total and rank as last published (int32 minimum: never)."""

    totals: npt.NDArray[np.int32]
    ranks: npt.NDArray[np.int32]

    @classmethod
    def nothing(cls, size: int) -> PublishedTeams:
        never = np.iinfo(np.int32).min
        return cls(np.full(size, never, dtype=np.int32), np.full(size, never, dtype=np.int32))

    def changed(self, now: TeamScores) -> npt.NDArray[np.int64]:
        """Slots of the teams whose total or rank differs from what was published (every team the first
        time): a team that scores nothing still moves when others pass it."""
        return np.flatnonzero((self.totals != now.totals) | (self.ranks != now.ranks)).astype(np.int64)

    def mark(self, slots: npt.NDArray[np.int64], published: TeamScores) -> None:
        self.totals[slots] = published.totals[slots]
        self.ranks[slots] = published.ranks[slots]


def team_document(teams: TeamScores, slot: int, meeting_key: int, session_key: int) -> dict[str, Any]:
    return {
        "meeting_key": meeting_key,
        "session_key": session_key,
        "team_id": int(teams.book.team_ids[slot]),
        "points": int(teams.totals[slot]),
        "rank": int(teams.ranks[slot]),
    }
