"""One output step, several sinks: each batch goes to every sink in turn (Redis before MQTT, say)."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from bytewax.outputs import DynamicSink, StatelessSinkPartition

X = TypeVar("X")


class FanOutSink(DynamicSink[X], Generic[X]):
    def __init__(self, *sinks: DynamicSink[X]) -> None:
        self.sinks = sinks

    def build(self, step_id: str, worker_index: int, worker_count: int) -> _FanOutPartition[X]:
        return _FanOutPartition([s.build(step_id, worker_index, worker_count) for s in self.sinks])


class _FanOutPartition(StatelessSinkPartition[X], Generic[X]):
    def __init__(self, parts: list[StatelessSinkPartition[Any]]) -> None:
        self.parts = parts

    def write_batch(self, items: list[X]) -> None:
        for part in self.parts:
            part.write_batch(items)

    def close(self) -> None:
        for part in self.parts:
            part.close()
