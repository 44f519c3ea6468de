"""The API's /metrics over real HTTP: request counts and durations move with the requests made, by route
template; the endpoint needs no token, is never rate-limited and stays out of the OpenAPI schema."""

from __future__ import annotations

from dataclasses import replace

import httpx
import redis

from api.app import create_app
from api.config import ApiConfig
from tests.api.server import serving
from tests.test_metrics import scrape, total

REQUESTS = "gridscore_api_requests_total"
DURATIONS = "gridscore_api_request_duration_seconds_count"
MEETINGS = "/api/meetings"
MEETING = "/api/meetings/{meeting_key}"


def test_request_metrics_move_with_requests(api: httpx.Client, api_url: str) -> None:
    url = f"{api_url}/metrics"
    before = scrape(url)
    for _ in range(3):
        assert api.get(MEETINGS).status_code == 200
    for key in (987_654, 123_456):
        assert api.get(f"/api/meetings/{key}").status_code == 404
    after = scrape(url)

    def moved(name: str, path: str, status: str) -> float:
        labels = {"method": "GET", "path": path, "status_code": status}
        return total(after, name, **labels) - total(before, name, **labels)

    assert moved(REQUESTS, MEETINGS, "200") == 3
    assert moved(DURATIONS, MEETINGS, "200") == 3
    assert moved(REQUESTS, MEETING, "404") == 2  # one series per route, whatever the id
    assert not [key for key in after if "987654" in str(key) or "123456" in str(key)]
    assert total(after, "python_info") == 1  # the process's default registry is served as well


def test_metrics_need_no_token_are_not_rate_limited_nor_in_the_schema(
    api_config: ApiConfig, redis_client: redis.Redis
) -> None:
    limited = replace(api_config, auth_rate_limit=2, rate_limit_namespace="gs:test:metrics")
    with serving(create_app(limited)) as url, httpx.Client(base_url=url) as client:
        scrapes = [client.get("/metrics") for _ in range(5)]
        assert [r.status_code for r in scrapes] == [200] * 5
        assert scrapes[0].headers["content-type"].startswith("text/plain")
        # The limit is on: three logins in a row, the third is refused.
        logins = [
            client.post("/api/auth/login", json={"email": "nobody@example.com", "password": "x" * 12})
            for _ in range(3)
        ]
        assert [r.status_code for r in logins][-1] == 429
        assert "/metrics" not in client.get("/schema/openapi.json").json()["paths"]
