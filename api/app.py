"""The one place that wires the API: database, Redis, auth, rate limits, metrics, routes, OpenAPI, live
push (Redis pub/sub through Litestar channels). Weekends are locked by beat's lock task, not here."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as redis_async
from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
)
from litestar import Litestar, Request
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import NotFoundException
from litestar.logging import LoggingConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.stores.redis import RedisStore
from litestar.types import Scope
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from api.config import ApiConfig
from api.domain.accounts.account_controller import AccountController
from api.domain.accounts.controllers import RATE_LIMITED, AuthController
from api.domain.accounts.gate import SessionGate
from api.domain.accounts.guards import UNAUTHENTICATED_PATHS, build_jwt_auth
from api.domain.accounts.mail import AccountMail, MailQueue
from api.domain.accounts.tokens import TokenIssuer
from api.domain.calendar.controllers import CalendarController
from api.domain.leagues.controllers import LeagueController
from api.domain.live.controllers import TICKET_SCHEME, LiveController, LivePush
from api.domain.live.events import Pace
from api.domain.live.feeds import Feeds
from api.domain.live.services import LiveReads
from api.domain.live.tickets import TicketBook
from api.domain.live.versions import LiveVersions
from api.domain.notifications.controllers import NotificationController
from api.domain.running_order.controllers import RunningOrderController
from api.domain.season.controllers import SeasonController
from api.domain.standings.controllers import StandingsController
from api.domain.standings.hot import HotReads
from api.domain.system.controllers import SystemController
from api.domain.system.metrics import MetricsController, prometheus_config
from api.domain.teams.controllers import RulesController, TeamController
from api.lib import log_redaction
from api.lib.bodies import SafeRequest
from api.lib.cors import cors_config
from api.lib.docs_ui import docs_assets_router, docs_ui_plugin
from api.lib.error_log import log_server_errors
from api.lib.http_cache import ValidatorMiddleware, compression
from api.lib.passwords import Passwords
from api.lib.problems import EXCEPTION_HANDLERS
from api.lib.scoped_rate_limit import InProcessRateLimitConfig, ScopedRateLimitConfig
from api.web.pages import not_found, static_router, template_config, web_router
from scoring.rules import load_ruleset
from store.live_read import AsyncLiveReader
from store.urls import async_url

ROUTES = [
    AuthController,
    AccountController,
    CalendarController,
    LeagueController,
    TeamController,
    RulesController,
    StandingsController,
    SeasonController,
    LiveController,
    RunningOrderController,
    NotificationController,
    SystemController,
    MetricsController,
]
RATE_LIMIT_STORE = "auth_rate_limit"
UNLIMITED_PATHS = ("/metrics",)  # the scraper's
REDIS_MAX_CONNECTIONS = 100  # per worker process
VERSIONS_RECHECK_S = 1.0
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Writes that change nothing a hot read says (a refresh that finds a reused token revokes through the gate).
CHANGE_NO_READS = frozenset(
    {"/api/live/tickets", "/api/auth/login", "/api/auth/register", "/api/auth/refresh"}
)
HOT_POOL_SIZE, HOT_POOL_OVERFLOW = 20, 5  # per worker; an overflow connection is closed when returned
REDIS_POOL_WAIT_S = 5.0  # then the read fails (a 503/500 with its code), as a Redis outage does


def create_app(config: ApiConfig) -> Litestar:
    # A blocking pool: a burst of reads (every live stream re-reads on each window) waits for a free
    # connection instead of failing with "Too many connections" past redis-py's 100.
    pool: redis_async.BlockingConnectionPool = redis_async.BlockingConnectionPool.from_url(
        config.redis_url, max_connections=REDIS_MAX_CONNECTIONS, timeout=REDIS_POOL_WAIT_S
    )
    client = redis_async.Redis(connection_pool=pool)
    alchemy = SQLAlchemyAsyncConfig(
        connection_string=async_url(config.database_url),
        session_config=AsyncSessionConfig(expire_on_commit=False),
        engine_config=EngineConfig(pool_size=20, max_overflow=10, pool_pre_ping=True),
        before_send_handler="autocommit",
        create_all=False,
    )

    def db_session() -> AsyncSession:  # outside a request's own session and transaction
        return AsyncSession(alchemy.get_engine(), expire_on_commit=False)

    # The hot reads' own pool: each of their reads is a statement or two that read committed data, so no
    # transaction (BEGIN and ROLLBACK were two of a read's four round trips) and no ping per checkout
    # (a third; HotReads retries a read whose connection turns out dead). 11% of a loaded API's samples.
    hot_engine = create_async_engine(
        async_url(config.database_url),
        pool_size=HOT_POOL_SIZE,
        max_overflow=HOT_POOL_OVERFLOW,
        isolation_level="AUTOCOMMIT",
    )

    def hot_session() -> AsyncSession:
        return AsyncSession(hot_engine, expire_on_commit=False)

    gate = SessionGate(
        client, db_session, config.session_cache_namespace, config.access_ttl, config.read_cache_s
    )
    jwt_auth = build_jwt_auth(config, gate)
    rules = load_ruleset(config.ruleset)
    issuer = TokenIssuer(config)
    passwords = Passwords(config.password_time_cost, config.password_memory_kib)
    live = AsyncLiveReader(client)
    account_mail = AccountMail(
        queue=MailQueue(config.celery_broker_url or config.redis_url),
        verifications=TicketBook(client, f"{config.account_code_namespace}:verify", config.verification_ttl),
        resets=TicketBook(client, f"{config.account_code_namespace}:reset", config.reset_ttl),
    )
    # Live push: one pub/sub connection per process; the engine PUBLISHes `meeting:<key>` notes straight
    # to Redis, which this backend hears on the plain channel name. A subscriber keeps only the latest note.
    channels = ChannelsPlugin(
        backend=RedisChannelsPubSubBackend(redis=client),
        arbitrary_channels_allowed=True,
        subscriber_max_backlog=1,
        subscriber_backlog_strategy="dropleft",
    )

    # A meeting's versions come from its notes; where none came for a second (no watcher: a meeting first
    # read before it was live, or more meetings than watchers), a read asks Redis again.
    versions = LiveVersions(client, channels, max_age_s=VERSIONS_RECHECK_S)
    hot = HotReads(hot_session, live, versions, rules.team, config.read_cache_s)
    versions.on_write(hot.forget)
    versions.on_write(gate.forget)
    push = LivePush(
        channels=channels,
        tickets=TicketBook(client, config.live_ticket_namespace, config.live_ticket_ttl),
        issuer=issuer,
        gate=gate,
        reads=LiveReads(
            db_session, live, hot, rules.team
        ),  # one session per read: a stream holds no connection
        pace=Pace(
            keepalive_s=config.live_keepalive_s,
            push_interval_s=config.live_push_interval_s,
            max_s=config.live_stream_max_s,
        ),
        versions=versions,
        feeds=Feeds(),
    )
    log_redaction.install()  # stream URLs carry tickets; uvicorn's access log prints query strings

    # Decided from the scope: the hot reads, limited by neither, build nothing for the limits
    # (api/lib/scoped_rate_limit.py).
    def throttled(scope: Scope) -> bool:
        return bool(scope["route_handler"].opt.get(RATE_LIMITED))  # by route, whatever the path's spelling

    def public(scope: Scope) -> bool:
        """Reachable without a token (other than the auth routes, limited apart, and /metrics)."""
        handler = scope["route_handler"]
        if handler.opt.get(RATE_LIMITED):
            return False
        if handler.opt.get("exclude_from_auth"):
            return scope["path"].rstrip("/") not in UNLIMITED_PATHS
        return unauthenticated_path.match(scope["path"]) is not None  # never /metrics

    unauthenticated_path = re.compile("|".join(f"(?:{p})" for p in UNAUTHENTICATED_PATHS))
    rate_limit = ScopedRateLimitConfig(
        rate_limit=(config.auth_rate_unit, config.auth_rate_limit),
        applies=throttled,
        store=RATE_LIMIT_STORE,
    )
    public_rate_limit = InProcessRateLimitConfig(  # counted in this process: no Redis round trip
        rate_limit=(config.auth_rate_unit, config.public_rate_limit),
        applies=public,
    )

    def is_write(request: Request[Any, Any, Any]) -> bool:
        return request.method not in SAFE_METHODS and request.url.path not in CHANGE_NO_READS

    async def forget_on_write(request: Request[Any, Any, Any]) -> None:
        if is_write(request):
            hot.forget()
            gate.forget()

    async def announce_write(request: Request[Any, Any, Any]) -> None:
        if is_write(request):
            await versions.announce_write()

    @contextlib.asynccontextmanager
    async def redis_connection(app: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await push.feeds.close()
            await versions.close()
            await client.aclose()  # type: ignore[attr-defined]  # (types-redis lags redis 5)
            await pool.disconnect()  # a pool passed in is not the client's to close
            await hot_engine.dispose()

    return Litestar(
        route_handlers=[*ROUTES, docs_assets_router(), web_router(), static_router()],
        template_config=template_config(),  # the players' web app (api/web)
        plugins=[SQLAlchemyPlugin(config=alchemy), channels],
        on_app_init=[jwt_auth.on_app_init],
        # Metrics innermost: a request refused by auth (401) or the rate limit (429) raises in a middleware
        # and would be counted as a 200 by an outer one; inside, every status counted is the one sent.
        # Validators innermost of all: the metrics count a 304 as a 304.
        middleware=[
            rate_limit.middleware,
            public_rate_limit.middleware,
            prometheus_config().middleware,
            ValidatorMiddleware,
        ],
        compression_config=compression(),
        # The public limit guards availability and is counted in each process (no store): it goes on
        # while Redis is down. The auth limit is shared by every process through Redis.
        stores={RATE_LIMIT_STORE: RedisStore(client, namespace=config.rate_limit_namespace)},
        request_class=SafeRequest,
        cors_config=cors_config(config.cors_origins),
        dependencies={
            "live": Provide(lambda: live, use_cache=True, sync_to_thread=False),
            "rules": Provide(lambda: rules, use_cache=True, sync_to_thread=False),
            "issuer": Provide(lambda: issuer, use_cache=True, sync_to_thread=False),
            "passwords": Provide(lambda: passwords, use_cache=True, sync_to_thread=False),
            "push": Provide(lambda: push, use_cache=True, sync_to_thread=False),
            "gate": Provide(lambda: gate, use_cache=True, sync_to_thread=False),
            "account_mail": Provide(lambda: account_mail, use_cache=True, sync_to_thread=False),
            "hot": Provide(lambda: hot, use_cache=True, sync_to_thread=False),
        },
        state=State({"api_config": config, "redis": client}),
        lifespan=[redis_connection],
        # A write may change what Postgres said of access, rosters, chips, names: this process forgets
        # its hot reads' copies before the write, and once it is answered every process does, and their
        # streams read again (api/domain/live/versions.py).
        before_request=forget_on_write,
        after_response=announce_write,
        openapi_config=OpenAPIConfig(
            title="GridScore API",
            version="1.0.0",
            description="Fantasy F1 teams and leagues, with live (Redis) and final (Postgres) scores.",
            path="/schema",
            use_handler_docstrings=True,  # each handler's docstring is its operation's description
            render_plugins=[docs_ui_plugin()],
            components=Components(
                security_schemes={
                    TICKET_SCHEME: SecurityScheme(
                        type="apiKey",
                        name="ticket",
                        security_scheme_in="query",
                        description="A single-use ticket from POST /api/live/tickets (live streams only).",
                    )
                }
            ),
        ),
        # Log through gridscore's configuration (the root logger): 5xx only, never a request's content.
        logging_config=LoggingConfig(
            configure_root_logger=False,
            loggers={"litestar": {"level": "INFO", "handlers": [], "propagate": True}},
            log_exceptions="never",
        ),
        after_exception=[log_server_errors],
        exception_handlers={**EXCEPTION_HANDLERS, NotFoundException: not_found},  # a page 404 for browsers
        debug=config.debug,
    )
