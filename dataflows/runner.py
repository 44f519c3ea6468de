"""Running a flow: Bytewax's own runner for every command, and `gridscore score` in memory.

`run_flow` is what `python -m bytewax.run` calls (`bytewax.run.cli_main`): one worker in this
process by default, or one process of a cluster (`process_id`, `addresses`). Bytewax documents
`bytewax.testing.run_main` as for tests only; tests keep it, the commands do not use it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

from bytewax.dataflow import Dataflow
from bytewax.outputs import DynamicSink, StatelessSinkPartition
from bytewax.recovery import RecoveryConfig
from bytewax.run import cli_main

from dataflows.config import ClockMode, flow_config
from dataflows.flow import FlowOutputs, build_flow
from gridscore.base.settings import Settings, get_settings
from ingest.decode import Rejected
from ingest.recorded import RecordedFeedSource
from scoring.outcomes import ScoredWindow

X = TypeVar("X")


def run_flow(
    flow: Dataflow,
    *,
    epoch_interval: timedelta | None = None,
    recovery: RecoveryConfig | None = None,
    workers_per_process: int = 1,
    process_id: int | None = None,
    addresses: list[str] | None = None,
) -> None:
    """Run `flow` until its input ends, as `python -m bytewax.run` would."""
    cli_main(
        flow,
        workers_per_process=workers_per_process,
        process_id=process_id,
        addresses=addresses,
        epoch_interval=epoch_interval,
        recovery_config=recovery,
    )


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
    paths: list[Path], settings: Settings | None = None, ruleset: str | None = None
) -> WeekendTotals:
    """Every weekend's totals, summed over all the sessions in the files (the flow's config from
    `settings`, the environment's when None; `ruleset` overrides theirs)."""
    windows: list[ScoredWindow] = []
    rejected: list[Rejected] = []
    flow = build_flow(
        RecordedFeedSource(paths),
        FlowOutputs(live=ListSink(windows), rejected=ListSink(rejected)),
        flow_config(settings or get_settings(), ClockMode.REPLAY, ruleset=ruleset),
    )
    run_flow(flow)
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


class ListSink(DynamicSink[X], Generic[X]):
    """Appends every item to a list of this process (one worker: the order is the flow's)."""

    def __init__(self, into: list[X]) -> None:
        self.into = into

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _ListPartition[X]:
        return _ListPartition(self.into)


class _ListPartition(StatelessSinkPartition[X], Generic[X]):
    def __init__(self, into: list[Any]) -> None:
        self.into = into

    def write_batch(self, items: list[X]) -> None:
        self.into.extend(items)
