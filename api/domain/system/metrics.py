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

from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

PREFIX = "gridscore_api"


def prometheus_config() -> PrometheusConfig:
    return PrometheusConfig(app_name="gridscore-api", prefix=PREFIX, group_path=True)


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False
    opt = {"exclude_from_auth": True}  # a scraper has no token
