"""Disorder: out-of-order, duplicated and late messages (within the lateness bound) give the same
final results."""

from __future__ import annotations

import json
import random
from datetime import datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dataflows.runner import score_feeds
from gridscore.base.settings import Settings
from tests.conftest import FEEDS

CASES = ["2025-04-bahrain", "2025-01-australia", "2023-10-britain"]
LATENESS_S = Settings().lateness_ms / 1000


def disorder(lines: list[str], seed: int, delay_s: float, duplicate_share: float) -> list[str]:
    """Deliver each message up to `delay_s` late (so out of order), some of them twice."""
    rng = random.Random(seed)

    def arrival(line: str) -> float:
        at = datetime.fromisoformat(json.loads(line)["at"].replace("Z", "+00:00")).timestamp()
        return at + rng.uniform(0, delay_s)

    deliveries = [(arrival(line), i, line) for i, line in enumerate(lines)]
    deliveries += [(arrival(line), i, line) for i, line in enumerate(lines) if rng.random() < duplicate_share]
    return [line for _, _, line in sorted(deliveries)]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    case=st.sampled_from(CASES),
    seed=st.integers(0, 2**32 - 1),
    delay_s=st.floats(0, LATENESS_S),
    duplicate_share=st.floats(0, 0.3),
)
def test_late_reordered_and_repeated_messages_score_the_same(
    case: str, seed: int, delay_s: float, duplicate_share: float, tmp_path_factory
) -> None:
    lines = (FEEDS / f"{case}.jsonl").read_text().splitlines()
    feed: Path = tmp_path_factory.mktemp("disorder") / f"{case}.jsonl"
    shuffled = disorder(lines, seed, delay_s, duplicate_share)
    feed.write_text("\n".join(shuffled) + "\n")
    totals = score_feeds([feed])
    assert totals.as_json() == json.loads((FEEDS / "expected" / f"{case}.json").read_text())
    assert totals.rejected == 0
