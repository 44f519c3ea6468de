"""Health: whether Postgres, Redis and the MQTT broker answer, each checked with a short timeout."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import redis.asyncio as redis_async
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.config import ApiConfig
from api.domain.system.schemas import DependencyOut, HealthOut
from api.lib.mqtt_probe import probe_mqtt


async def _timed(check: Callable[[], Awaitable[str]], timeout_s: float) -> DependencyOut:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout_s):
            detail = await check()
        ok = True
    except TimeoutError:
        ok, detail = False, f"no answer within {timeout_s:g} s"
    except Exception as exc:  # any failure of a dependency is reported, never raised
        ok, detail = False, f"{type(exc).__name__}: {str(exc)[:200]}"
    return DependencyOut(ok, detail, round((time.perf_counter() - started) * 1000, 2))


async def check_health(engine: AsyncEngine, client: redis_async.Redis, config: ApiConfig) -> HealthOut:
    async def postgres() -> str:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return "answered"

    async def redis_ping() -> str:
        await client.ping()
        return "answered"

    async def mqtt() -> str:
        answer = await probe_mqtt(
            config.mqtt_url,
            config.mqtt_username,
            config.mqtt_password,
            config.mqtt_ca_file,
            config.health_timeout_s,
        )
        if not answer.answered:
            raise ConnectionError(answer.detail)
        return answer.detail

    timeout = config.health_timeout_s
    pg, rd, mq = await asyncio.gather(
        _timed(postgres, timeout), _timed(redis_ping, timeout), _timed(mqtt, timeout + 0.5)
    )
    status = "ok" if pg.ok and rd.ok and mq.ok else "degraded" if pg.ok and rd.ok else "down"
    return HealthOut(status, pg, rd, mq)
