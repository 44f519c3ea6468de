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

    @property
    def round_cap(self) -> int | None:
        """League and team messages one round sends, at most: what the rate allows in one interval, so
        a round ends before the next is due (10M teams have millions of leagues: at 2,000 a second a
        round of them all took longer than a race). Changes beyond it go out in the next rounds, in
        turn. None: no rate, no cap."""
        if self.bulk_max_rate <= 0:
            return None
        return max(1, int(self.bulk_max_rate * self.bulk_interval_s))
