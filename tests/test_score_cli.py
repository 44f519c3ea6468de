"""`gridscore score --json` against the expected totals of the five real weekends and a sprint weekend."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gridscore.cli.main import main
from tests.conftest import FEEDS, SHARED_FEEDS
from tests.sprint_weekend import SPRINT_EXPECTED, build_sprint_weekend


def score_json(capsys: pytest.CaptureFixture[str], *feeds: Path) -> dict[str, dict[str, int]]:
    assert main(["score", *map(str, feeds), "--json"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1, "--json prints exactly one JSON object"
    return json.loads(out[0])


@pytest.mark.parametrize("feed", SHARED_FEEDS, ids=lambda p: p.stem)
def test_weekend_totals_equal_the_official_game(feed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = json.loads((FEEDS / "expected" / f"{feed.stem}.json").read_text())
    assert score_json(capsys, feed) == expected


def test_several_files_sum_over_every_session(capsys: pytest.CaptureFixture[str]) -> None:
    a, b = FEEDS / "2025-03-japan.jsonl", FEEDS / "2025-04-bahrain.jsonl"
    ea, eb = (json.loads((FEEDS / "expected" / f"{p.stem}.json").read_text()) for p in (a, b))
    got = score_json(capsys, a, b)
    for kind in ("drivers", "constructors"):
        names = set(ea[kind]) | set(eb[kind])
        assert got[kind] == {n: ea[kind].get(n, 0) + eb[kind].get(n, 0) for n in names}


def test_sprint_weekend_scores_per_the_rules(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    feed = build_sprint_weekend(tmp_path / "sprint.jsonl")
    assert score_json(capsys, feed) == SPRINT_EXPECTED


def test_console_script_prints_one_json_object() -> None:
    feed = FEEDS / "2025-03-japan.jsonl"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "gridscore"), "score", str(feed), "--json"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert json.loads(done.stdout) == json.loads((FEEDS / "expected" / "2025-03-japan.json").read_text())


def test_missing_feed_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit, match="no such feed file"):
        main(["score", "/nonexistent.jsonl", "--json"])
