"""/health reports each dependency; the OpenAPI schema documents every operation, with a UI."""

from __future__ import annotations

import socket
from dataclasses import replace
from urllib.parse import urlsplit

import httpx
import pytest

from api.app import create_app
from api.config import ApiConfig
from gridscore.base.settings import Settings
from tests.api.server import free_port, serving


def health(config: ApiConfig) -> httpx.Response:
    with serving(create_app(config)) as url:
        return httpx.get(f"{url}/health", timeout=10)


def test_health_reports_each_dependency(api_config: ApiConfig) -> None:
    closed = f"127.0.0.1:{free_port()}"
    no_broker = health(replace(api_config, mqtt_url=f"mqtt://{closed}"))
    assert no_broker.status_code == 200  # the API works without the broker
    body = no_broker.json()
    assert (body["status"], body["postgres"]["ok"], body["redis"]["ok"], body["mqtt"]["ok"]) == (
        "degraded",
        True,
        True,
        False,
    )
    assert closed in body["mqtt"]["detail"]

    no_redis = health(replace(api_config, redis_url=f"redis://{closed}/0", mqtt_url=f"mqtt://{closed}"))
    assert no_redis.status_code == 503
    assert (no_redis.json()["status"], no_redis.json()["redis"]["ok"]) == ("down", False)

    no_postgres = health(replace(api_config, database_url=f"postgresql://postgres@{closed}/x"))
    assert no_postgres.status_code == 503
    assert (no_postgres.json()["postgres"]["ok"], no_postgres.json()["redis"]["ok"]) == (False, True)


@pytest.mark.mqtt
def test_health_with_the_real_broker(api_config: ApiConfig) -> None:
    settings = Settings.from_env()
    parts = urlsplit(settings.mqtt_url)
    try:
        socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 1883), timeout=1).close()
    except OSError:
        pytest.skip(f"no MQTT broker at {settings.mqtt_url}")
    config = replace(
        api_config,
        mqtt_url=settings.mqtt_url,
        mqtt_username=settings.mqtt_username,
        mqtt_password=settings.mqtt_password,
    )
    response = health(config)
    assert response.status_code == 200
    body = response.json()
    assert body["mqtt"]["ok"], body
    assert body["status"] == "ok"


def test_openapi_documents_every_operation_with_an_interactive_ui(api: httpx.Client) -> None:
    schema = api.get("/schema/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["security"] == [{"BearerToken": []}]  # every operation but the public ones
    paths = schema.json()["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            label = f"{method.upper()} {path}"
            ok = [code for code in operation["responses"] if code.startswith("2")]
            assert ok, label
            content = operation["responses"][ok[0]].get("content")
            assert content or ok[0] == "204", f"{label} has no response schema"
            bodiless = path.endswith(
                (
                    "invite-code",
                    "/live/tickets",
                    "/logout",
                    "/logout-all",
                    "/auth/verification",
                    "/read",
                    "/read-all",
                )
            )
            if method in ("post", "put") and not bodiless:
                assert operation["requestBody"]["content"]["application/json"]["schema"], label
            can_refuse = (
                operation.get("parameters") or operation.get("requestBody") or path.startswith("/api/auth")
            )
            if can_refuse or operation.get("security") != [{}]:
                assert any(code.startswith("4") for code in operation["responses"]), (
                    f"{label} documents no 4xx"
                )
    for ui in ("/schema", "/schema/swagger"):  # Swagger UI, served offline (tests/api/test_docs_ui.py)
        page = api.get(ui)
        assert page.status_code == 200
        assert "GridScore API" in page.text
