"""What a flow runs with, made from the settings by one function: `flow_config`.

The window, the lateness bound and the state limits have their defaults in one place, the
settings (GRIDSCORE_WINDOW_MS, GRIDSCORE_LATENESS_MS, ...); nothing here has a default of its
own, so `gridscore score`, `gridscore replay`, `gridscore live`, the cluster entry and the
benchmarks all run with the same values unless the environment says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from dataflows.state_limits import StateLimits
from gridscore.base.settings import Settings
from scoring.rules import RuleSet, load_ruleset


class ClockMode(StrEnum):
    REPLAY = "replay"  # as fast as possible: windows close on newer events or at the end
    PACED = "paced"  # a replay slowed to a pace: windows also close as wall time passes
    LIVE = "live"  # event time is wall time: a window is what arrived since the flow last took input


@dataclass(frozen=True, slots=True)
class FlowConfig:
    """The flow's rules, clock and bounds. Make it with `flow_config`; tests that need other
    bounds take that and `dataclasses.replace` what they change."""

    rules: RuleSet
    window: timedelta  # event-time windows that coalesce a session's bursts (replay and paced)
    lateness: timedelta  # how late an event may come and still fall in its window
    mode: ClockMode
    input_prefix: str  # topics of input messages begin with this (v1/)
    limits: StateLimits
    # A weekend's teams in this many shards by team slot, each a Bytewax key of its own (1: one
    # book, scored in one step, as before sharding).
    shards: int = 1

    @property
    def background_writes(self) -> bool:
        """Live, team totals are written on a thread of their own after the points; a replay
        writes every window in order, in line."""
        return self.mode is ClockMode.LIVE


def flow_config(
    settings: Settings,
    mode: ClockMode = ClockMode.REPLAY,
    *,
    ruleset: str | None = None,
    window: timedelta | None = None,
) -> FlowConfig:
    """The flow's configuration from `settings`; `ruleset` and `window` override theirs (the
    command line's --ruleset and --window-ms)."""
    name = ruleset or settings.ruleset
    return FlowConfig(
        rules=load_ruleset(name) if name else load_ruleset(),
        window=window or timedelta(milliseconds=settings.window_ms),
        lateness=timedelta(milliseconds=settings.lateness_ms),
        mode=mode,
        input_prefix=settings.mqtt_input_prefix,
        limits=StateLimits.from_settings(settings),
        shards=settings.team_shards,
    )
