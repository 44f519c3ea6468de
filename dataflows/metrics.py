"""The engine's Prometheus metrics, updated by the flow's decode step and its sinks, served over HTTP.

    gridscore_messages_in_total{topic}        inputs decoded (or not), by topic; "other" for topics
                                              the flow does not know (bounded label set)
    gridscore_messages_rejected_total{reason} rejected inputs by reason category (invalid, malformed, ...)
    gridscore_window_lag_seconds              a window closing -> its live write finished
    gridscore_refresh_seconds                 a window closing -> every team's totals readable in Redis
    gridscore_teams_scored_total              teams scored, summed over windows
    gridscore_teams_loaded                    teams in the books being scored (all meetings)
    gridscore_state_sessions                  announced sessions held in the flow's state
    gridscore_state_unannounced_sessions      session keys held only for messages waiting for them
    gridscore_state_meetings                  meetings with an announced session held
    gridscore_state_waiting_messages          messages waiting for their session or car

Metrics live in the process's default registry, so one scrape also shows process_* and python_*.
The live engine also answers GET /health on the same port: 200 or 503 with the reasons, as JSON
(ingest/health.py says when), for the container's healthcheck.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import Counter, Gauge, Histogram, make_wsgi_app

from ingest.events import TOPIC_TYPES
from store.outages import POSTGRES, REDIS

if TYPE_CHECKING:
    from ingest.decode import Message, Rejected
    from ingest.health import Verdict
    from scoring.outcomes import ScoredWindow

log = logging.getLogger(__name__)

OTHER_TOPIC = "other"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

MESSAGES_IN = Counter("gridscore_messages_in", "Inputs that reached the decode step, by topic", ["topic"])
MESSAGES_REJECTED = Counter(
    "gridscore_messages_rejected", "Inputs rejected (decode or session state), by reason", ["reason"]
)
WINDOW_LAG = Histogram(
    "gridscore_window_lag_seconds",
    "Wall time from a window closing to its live write (Redis) finishing",
    buckets=LATENCY_BUCKETS,
)
REFRESH = Histogram(
    "gridscore_refresh_seconds",
    "Wall time from a window closing to every team's total being readable in Redis",
    buckets=LATENCY_BUCKETS,
)
TEAMS_SCORED = Counter("gridscore_teams_scored", "Teams scored, summed over every window")
TEAMS_LOADED = Gauge("gridscore_teams_loaded", "Teams in the books being scored, over every meeting")
STATE_SESSIONS = Gauge("gridscore_state_sessions", "Announced sessions held in the flow's state")
STATE_UNANNOUNCED = Gauge(
    "gridscore_state_unannounced_sessions", "Session keys held only for messages waiting for them"
)
STATE_MEETINGS = Gauge(
    "gridscore_state_meetings", "Meetings with an announced session held in the flow's state"
)
STATE_WAITING = Gauge("gridscore_state_waiting_messages", "Messages waiting for their session or car")

_books_lock = threading.Lock()
_book_sizes: dict[int, int] = {}  # meeting -> teams in its book


def decode_counter(
    prefix: str,
) -> Callable[[Sequence[Message | Rejected]], Sequence[Message | Rejected]]:
    """A pass-through for the decode step that counts a batch's inputs by topic (one `inc` per topic)."""
    known = frozenset(prefix + collection for collection in TOPIC_TYPES)

    def count(decoded: Sequence[Message | Rejected]) -> Sequence[Message | Rejected]:
        for topic, n in Tally(item.topic for item in decoded).items():
            MESSAGES_IN.labels(topic if topic in known else OTHER_TOPIC).inc(n)
        return decoded

    return count


def count_rejected(by_category: Tally[str]) -> None:
    for category, n in by_category.items():
        MESSAGES_REJECTED.labels(category).inc(n)


def count_scored(windows: Sequence[ScoredWindow]) -> None:
    """Every window of a batch was scored (even those the live sink skips as superseded)."""
    scored = 0
    sizes: dict[int, int] = {}
    for window in windows:
        if window.teams is not None:
            scored += window.teams.book.size
            sizes[window.weekend.meeting_key] = window.teams.book.size
    if scored:
        TEAMS_SCORED.inc(scored)
    if sizes:
        with _books_lock:
            _book_sizes.update(sizes)
            TEAMS_LOADED.set(sum(_book_sizes.values()))


def observe_state(sessions: int, unannounced: int, meetings: int, waiting: int) -> None:
    """The size of the flow's session state (dataflows/state_limits.py keeps the counts)."""
    STATE_SESSIONS.set(sessions)
    STATE_UNANNOUNCED.set(unannounced)
    STATE_MEETINGS.set(meetings)
    STATE_WAITING.set(waiting)


def observe_live_write(window: ScoredWindow, finished_at: float) -> None:
    """Lag and refresh of one window written live (`finished_at`: perf_counter after the write)."""
    closed_at = window.weekend.session.closed_at
    if closed_at <= 0:  # not stamped (a window built outside the flow)
        return
    WINDOW_LAG.observe(max(finished_at - closed_at, 0.0))
    totals_at = window.visible_at.get("totals")
    if totals_at is not None:
        REFRESH.observe(max(totals_at - closed_at, 0.0))


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # one line per scrape is noise
        pass


def _outage_reasons() -> list[str]:
    """A stalled flow is most often one waiting out a server: name it, so nobody restarts in vain."""
    return [
        f"{d.name} unavailable for {down:.0f} s: scoring waits for it and catches up from the journal"
        for d in (REDIS, POSTGRES)
        if (down := d.down_for) is not None
    ]


@dataclass(slots=True)
class _HealthSlot:
    """Where /health's check is put once the engine has one (after the port is bound)."""

    check: Callable[[], Verdict] | None = None


def _app(slot: _HealthSlot) -> Callable[..., Iterable[bytes]]:
    metrics = make_wsgi_app()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        health = slot.check
        if health is None or environ.get("PATH_INFO") != "/health":
            return metrics(environ, start_response)
        verdict = health()
        reasons = [*_outage_reasons(), *verdict.reasons] if not verdict.healthy else verdict.reasons
        body = json.dumps(
            {"status": "ok" if verdict.healthy else "unhealthy", "reasons": reasons}
            | verdict.details
            | {"outages": {d.name: d.down_for for d in (REDIS, POSTGRES)}}
        ).encode()
        status = "200 OK" if verdict.healthy else "503 Service Unavailable"
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


class MetricsPortError(RuntimeError):
    """The port asked for cannot be listened on (another engine has it, most often)."""

    def __init__(self, port: int, reason: OSError) -> None:
        super().__init__(f"port {port} cannot be listened on ({reason.strerror or reason})")
        self.port = port


@dataclass(slots=True)
class MetricsEndpoint:
    """The engine's /metrics (and /health once `serve` is given it), bound before the engine starts so
    a port clash stops it before anything runs."""

    server: WSGIServer
    asked: int
    slot: _HealthSlot

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def serve(self, health: Callable[[], Verdict] | None = None) -> None:
        """Answer from a daemon thread from now on."""
        self.slot.check = health
        threading.Thread(target=self.server.serve_forever, name="metrics-http", daemon=True).start()
        chosen = " (port 0: a free one, chosen by the system)" if self.asked == 0 else ""
        log.info(
            "metrics on http://0.0.0.0:%d/metrics%s%s",
            self.port,
            "" if health is None else ", health on /health",
            chosen,
        )


def listen_for_metrics(port: int) -> MetricsEndpoint | None:
    """Bind 0.0.0.0:`port` for the metrics; 0: a free port the system picks (two engines side by side),
    below 0: none (None). A port that cannot be bound raises MetricsPortError: the caller names its
    setting, since an engine without its /health fails its healthcheck for no reason it could see."""
    if port < 0:
        log.info("metrics and health off (port %d)", port)
        return None
    slot = _HealthSlot()
    try:
        server = make_server(
            "0.0.0.0",  # noqa: S104 - the engine container's port, published by compose only
            port,
            _app(slot),
            _Server,
            handler_class=_QuietHandler,
        )
    except OSError as exc:
        raise MetricsPortError(port, exc) from exc
    return MetricsEndpoint(server, port, slot)


def serve_engine_metrics(port: int, health: Callable[[], Verdict] | None = None) -> int | None:
    """Serve the metrics at http://0.0.0.0:PORT/metrics (and `health` at /health) from a daemon
    thread (`listen_for_metrics` says what the port means); returns the port listened on."""
    endpoint = listen_for_metrics(port)
    if endpoint is None:
        return None
    endpoint.serve(health)
    return endpoint.port
