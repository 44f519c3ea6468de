"""The OpenAPI document a frontend team generates its client from: valid OpenAPI 3.1, every operation with
a summary in words, a description and a camelCase operation id (`listLeagues`, `getTeamScore`), every
parameter described, every error response described with the Problem body (docs/errors.md)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from openapi_spec_validator import validate

CAMEL = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)+$|^[a-z]+$")
LITESTAR_DEFAULT_400 = "Bad request syntax or unsupported method"


@pytest.fixture(scope="module")
def schema(api_url: str) -> dict[str, Any]:
    answer = httpx.get(f"{api_url}/schema/openapi.json")
    assert answer.status_code == 200
    return dict(answer.json())


def operations(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]


def test_the_document_validates_as_openapi_3_1(schema: dict[str, Any]) -> None:
    assert schema["openapi"].startswith("3.1")
    validate(schema)  # raises with the reason


def test_every_operation_has_words_and_a_camel_case_id(schema: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, operation in operations(schema)]
    assert len(ids) == len(set(ids)), "operation ids are unique"
    summaries = [operation["summary"] for _, operation in operations(schema)]
    assert len(summaries) == len(set(summaries)), "summaries are unique"
    for label, operation in operations(schema):
        assert CAMEL.match(operation["operationId"]), (label, operation["operationId"])
        assert " " in operation["summary"] or operation["summary"] == "Register", (
            label,
            operation["summary"],
        )
        assert operation.get("description", "").strip(), f"{label} has no description"
        for parameter in operation.get("parameters", []):
            assert parameter.get("description", "").strip(), (
                f"{label}: {parameter['name']} has no description"
            )
    by_id = {operation["operationId"]: label for label, operation in operations(schema)}
    assert by_id["listLeagues"] == "GET /api/leagues"
    assert by_id["getTeamScore"] == "GET /api/teams/{team_id}/score"
    assert by_id["streamTeamScore"] == "GET /api/live/teams/{team_id}/score"


def test_every_error_response_is_described_with_the_problem_body(schema: dict[str, Any]) -> None:
    for label, operation in operations(schema):
        for status, response in operation["responses"].items():
            if not status.startswith(("4", "5")):
                continue
            assert response["description"].strip(), (label, status)
            assert response["description"] != LITESTAR_DEFAULT_400, (label, status)
            body = response["content"]["application/json"]["schema"]
            expected = "HealthOut" if label == "GET /health" and status == "503" else "Problem"  # says which
            assert body == {"$ref": f"#/components/schemas/{expected}"}, (label, status, body)
    problem = schema["components"]["schemas"]["Problem"]
    assert {"code", "detail", "extra", "status_code"} <= set(problem["properties"])


def test_streams_describe_their_events(schema: dict[str, Any]) -> None:
    for path, data in (
        ("/api/live/leagues/{league_id}/leaderboard", "LiveLeaderboardOut"),
        ("/api/live/teams/{team_id}/score", "TeamScoreOut"),
        ("/api/live/notifications", "InboxOut"),
        ("/api/live/sessions/{session_key}/running-order", "RunningOrderOut"),
    ):
        ok = schema["paths"][path]["get"]["responses"]["200"]
        assert ok["content"]["text/event-stream"]["schema"] == {"$ref": f"#/components/schemas/{data}"}
        assert "event" in ok["description"]
        assert "Last-Event-ID" in ok["description"]


def test_hot_reads_document_their_etag_and_304(schema: dict[str, Any]) -> None:
    for path in ("/api/teams/{team_id}/score", "/api/leagues/{league_id}/leaderboard"):
        operation = schema["paths"][path]["get"]
        assert "If-None-Match" in operation["responses"]["304"]["description"], path
        assert "content" not in operation["responses"]["304"], path
        assert {"ETag", "Cache-Control"} <= set(operation["responses"]["200"]["headers"]), path
