"""The from-scratch oracle (tests/scratch.py, scoring/ alone) is right: it gives the official totals
of the five bundled weekends (data/feeds/expected), whatever the order of the messages, and the
hand-worked totals of the sprint weekend built from SCORING.md (tests/sprint_weekend.py); and the
engine's session state (dataflows/session_state.py, no Bytewax run) agrees with it on any prefix of
a lap-by-lap race, fed in batches of any size."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataflows.config import flow_config
from dataflows.session_state import SessionState
from gridscore.base.settings import Settings
from ingest.decode import Message
from ingest.recorded import iter_lines
from scoring.points import score_session
from scoring.rules import load_ruleset
from tests.scratch import decode_all, score_from_scratch, session_table, weekend_totals
from tests.sprint_weekend import SPRINT_EXPECTED, build_sprint_weekend

FEEDS = Path(__file__).resolve().parents[2] / "data" / "feeds"
WEEKENDS = sorted(FEEDS.glob("*.jsonl"))
DECODED = {feed.stem: decode_all(list(iter_lines(feed))) for feed in WEEKENDS}
NOW = datetime(2026, 12, 1, tzinfo=UTC)
RULES = load_ruleset()
ENGINE = flow_config(Settings())  # the engine's lateness bound and date slack


def test_all_five_weekends_are_bundled() -> None:
    assert len(WEEKENDS) == 5
    assert all(len(DECODED[f.stem]) == len(list(iter_lines(f))) for f in WEEKENDS)  # every line decodes


@pytest.mark.parametrize("feed", WEEKENDS, ids=lambda p: p.stem)
def test_the_oracle_gives_the_official_totals(feed: Path) -> None:
    expected = json.loads((FEEDS / "expected" / f"{feed.stem}.json").read_text())
    assert weekend_totals(score_from_scratch(DECODED[feed.stem]).values()) == expected


@pytest.mark.parametrize("feed", WEEKENDS, ids=lambda p: p.stem)
def test_the_oracle_does_not_depend_on_message_order(feed: Path) -> None:
    messages = list(DECODED[feed.stem])
    random.Random(feed.stem).shuffle(messages)
    expected = json.loads((FEEDS / "expected" / f"{feed.stem}.json").read_text())
    assert weekend_totals(score_from_scratch(messages).values()) == expected


def test_the_oracle_gives_the_hand_worked_sprint_weekend(tmp_path: Path) -> None:
    """Sprint Qualifying, Sprint, Qualifying and Race with every item of the tables, and a
    disqualification after the Race (tests/sprint_weekend.py works out each figure by hand)."""
    feed = build_sprint_weekend(tmp_path / "sprint.jsonl")
    assert weekend_totals(score_from_scratch(decode_all(list(iter_lines(feed)))).values()) == SPRINT_EXPECTED


def test_a_repeated_message_changes_nothing() -> None:
    messages = DECODED["2025-04-bahrain"]
    assert score_from_scratch(messages + messages[::3]).keys() == score_from_scratch(messages).keys()
    assert weekend_totals(score_from_scratch(messages + messages[::3]).values()) == weekend_totals(
        score_from_scratch(messages).values()
    )


LAP_BY_LAP = DECODED["2023-01-bahrain"]


@settings(max_examples=25, deadline=None)
@given(prefix=st.integers(min_value=1, max_value=len(LAP_BY_LAP)), batch=st.sampled_from([1, 13, 200, 5000]))
def test_the_engines_session_state_agrees_with_the_oracle_on_any_prefix(prefix: int, batch: int) -> None:
    taken = LAP_BY_LAP[:prefix]
    states: dict[int, SessionState] = {}
    for start in range(0, len(taken), batch):
        by_session: dict[int, list[Message]] = {}
        for message in taken[start : start + batch]:
            by_session.setdefault(message.event.session_key, []).append(message)
        for key, messages in by_session.items():
            states.setdefault(key, SessionState(key, ENGINE.lateness, ENGINE.limits.date_slack)).apply(
                messages, NOW
            )
    for state in states.values():
        state.drain()
    engine = {key: session_table(score_session(s.facts, RULES)) for key, s in states.items() if s.described}
    oracle = {key: session_table(points) for key, points in score_from_scratch(taken).items()}
    assert engine == oracle
