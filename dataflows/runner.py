"""Run the flow over recorded feeds in this process (for `gridscore score`, replay and tests)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bytewax.testing import TestingSink, run_main

from dataflows.flow import FlowConfig, FlowOutputs, build_flow
from ingest.decode import Rejected
from ingest.recorded import RecordedFeedSource
from scoring.outcomes import ScoredWindow
from scoring.rules import DEFAULT_RULESET, load_ruleset


@dataclass(slots=True)
class WeekendTotals:
    drivers: dict[str, int] = field(default_factory=dict)
    constructors: dict[str, int] = field(default_factory=dict)
    meetings: dict[int, ScoredWindow] = field(default_factory=dict)
    rejected_by_reason: Counter[str] = field(default_factory=Counter)

    @property
    def rejected(self) -> int:
        return sum(self.rejected_by_reason.values())

    def as_json(self) -> dict[str, dict[str, int]]:
        return {
            "drivers": dict(sorted(self.drivers.items())),
            "constructors": dict(sorted(self.constructors.items())),
        }


def score_feeds(
    paths: list[Path], ruleset: str = DEFAULT_RULESET, window: timedelta = timedelta(milliseconds=500)
) -> WeekendTotals:
    """Every weekend's totals, summed over all the sessions in the files."""
    windows: list[ScoredWindow] = []
    rejected: list[Rejected] = []
    flow = build_flow(
        RecordedFeedSource(paths),
        FlowOutputs(live=TestingSink(windows), rejected=TestingSink(rejected)),
        FlowConfig(load_ruleset(ruleset), window=window),
    )
    run_main(flow)
    totals = WeekendTotals()
    for scored in windows:
        totals.meetings[scored.weekend.meeting_key] = scored
    for scored in totals.meetings.values():
        for name, points in scored.weekend.drivers.items():
            totals.drivers[name] = totals.drivers.get(name, 0) + points
        for name, points in scored.weekend.constructors.items():
            totals.constructors[name] = totals.constructors.get(name, 0) + points
    totals.rejected_by_reason.update(r.category for r in rejected)
    return totals
