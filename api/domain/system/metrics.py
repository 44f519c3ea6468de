"""/metrics: the API process's Prometheus registry, with the HTTP request metrics of every route.

    gridscore_api_requests_total{method,path,status_code,app_name}   path is the route's template
    gridscore_api_request_duration_seconds{...}                      (/api/teams/{team_id}), so fuzzed
    gridscore_api_requests_in_progress{...}                          ids add no series
    gridscore_api_requests_error_total{...}                          5xx answers

plus process_* and python_* from the default registry. Requests refused before a route runs (no
valid token: 401 from the auth middleware; 429 from the rate limit) are not counted: the metrics
middleware sits inside those two, so that every status it counts is the one sent.

The endpoint is text for a scraper: out of the OpenAPI schema, outside authentication, never
rate-limited (api/app.py leaves it out of both limits). Keep it on the private network.
"""

from __future__ import annotations

import time
from typing import Any

from litestar.plugins.prometheus import PrometheusConfig, PrometheusController, PrometheusMiddleware
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import Message, Receive, Scope, Send

PREFIX = "gridscore_api"


def prometheus_config() -> PrometheusConfig:
    return PrometheusConfig(
        app_name="gridscore-api", prefix=PREFIX, group_path=True, middleware_class=LeanPrometheusMiddleware
    )


class LeanPrometheusMiddleware(PrometheusMiddleware):
    """Litestar's metrics middleware, the same series and values, without its per-request set-up: it built
    a Request and the request's URL (for a path it then replaced by the route's template), wrapped `send`
    with functools.wraps and looked each series' child up by its labels, four times a request (about 5% of
    a loaded API's main thread). Here the labels come from the scope and the children are kept."""

    _children: dict[tuple[str, str, tuple[Any, ...]], Any] = {}  # per process, as the metrics themselves

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        config = self._config
        if config.labels or config.exemplars or config.excluded_http_methods:  # not ours: Litestar's way
            await super().__call__(scope, receive, send)
            return
        method = scope["method"] if scope["type"] == "http" else scope["type"]  # type: ignore[typeddict-item]
        labels: dict[str, str | int | float] = {
            "method": method,
            "path": scope["path_template"] if config.group_path else scope["path"],
            "status_code": 200,
            "app_name": config.app_name,
        }
        started = time.perf_counter()
        status, duration = 200, 0.0

        async def timed_send(message: Message) -> None:
            nonlocal status, duration
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                duration = time.perf_counter() - started
            await send(message)

        in_progress = self._child("in_progress", labels, self.requests_in_progress)
        in_progress.inc()
        try:
            await self.app(scope, receive, timed_send)
        finally:
            in_progress.dec()
            labels["status_code"] = status
            if status >= HTTP_500_INTERNAL_SERVER_ERROR:
                self._child("errors", labels, self.requests_error_count).inc()
            self._child("count", labels, self.request_count).inc()
            self._child("time", labels, self.request_time).observe(duration)

    def _child(self, series: str, labels: dict[str, str | int | float], metric: Any) -> Any:
        key = (self._config.prefix, series, tuple(labels.values()))
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = metric(labels).labels(*labels.values())
        return child


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False
    opt = {"exclude_from_auth": True}  # a scraper has no token
