"""Response bodies of the system domain."""

from __future__ import annotations

import msgspec


class DependencyOut(msgspec.Struct):
    ok: bool
    detail: str
    latency_ms: float


class HealthOut(msgspec.Struct):
    status: str  # ok; degraded (the MQTT broker is down; the API works); down (Postgres or Redis is)
    postgres: DependencyOut
    redis: DependencyOut
    mqtt: DependencyOut
