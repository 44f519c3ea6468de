"""How the engine publishes under f1/scoring/ (shared by the flow's sink and the bulk process)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MqttOutputOptions:
    prefix: str = "f1/scoring/"
    league_top_n: int = 10  # 0: no league topics
    bulk_interval_s: float = 5.0
    team_topics: bool = False
    bulk_max_rate: float = 2_000.0  # league and team messages per second (0: no cap)
