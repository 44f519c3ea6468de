"""ingest.recorded.Pacer: the one pacing rule of the replay's source, `gridscore publish` and the demo's
schedule. Each gap between two lines plays at the speed, cut to `max_gap` seconds of wall time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ingest.recorded import Pacer

T0 = datetime(2023, 7, 8, 14, 0, tzinfo=UTC)


def walk(gaps_s: list[float], speed: float, max_gap: float) -> list[float]:
    """Wall seconds of each line, gap by gap: the rule said once more without the Pacer's bookkeeping."""
    walls = [0.0]
    for gap in gaps_s:
        walls.append(walls[-1] + min(gap / speed, max_gap))
    return walls


@pytest.mark.parametrize("speed", [1.0, 60.0, 500.0])
def test_offsets_play_each_gap_at_the_speed_and_cut_long_silences(speed: float) -> None:
    gaps = [0.0, 30.0, 90.0, 600.0, 22 * 3600.0, 1.5, 0.0, 300.0]
    pacer = Pacer(speed, max_gap=5.0)
    at, offsets = T0, [pacer.offset(T0)]
    for gap in gaps:
        at += timedelta(seconds=gap)
        offsets.append(pacer.offset(at))
    assert offsets == pytest.approx(walk(gaps, speed, 5.0))


def test_a_line_asked_again_keeps_its_offset() -> None:
    """The replay's source asks again for a line it held back: no second cut, the same offset."""
    pacer = Pacer(60.0)
    pacer.offset(T0)
    night = T0 + timedelta(hours=22)
    assert pacer.offset(night) == pacer.offset(night) == pytest.approx(5.0)


def test_speed_0_waits_for_nothing() -> None:
    pacer = Pacer(0.0)
    assert pacer.due_in(T0) == 0.0
    assert pacer.due_in(T0 + timedelta(hours=1)) == 0.0
