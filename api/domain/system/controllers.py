"""Routes of the system domain: /health."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE
from sqlalchemy.ext.asyncio import AsyncEngine

from api.domain.system.schemas import HealthOut
from api.domain.system.services import check_health
from api.errors import responses


class SystemController(Controller):
    tags = ["system"]

    @get(
        "/health",
        operation_id="getHealth",
        summary="Health of the API and its dependencies",
        exclude_from_auth=True,
        security=[{}],
        responses={
            HTTP_503_SERVICE_UNAVAILABLE: ResponseSpec(
                data_container=HealthOut,
                description="Postgres or Redis does not answer",
                generate_examples=False,
            ),
            **responses(429),
        },
    )
    async def health(self, state: State, db_engine: NamedDependency[AsyncEngine]) -> Response[HealthOut]:
        """Whether Postgres, Redis and the MQTT broker answer. 200 unless Postgres or Redis is down."""
        report = await check_health(db_engine, state.redis, state.api_config)
        status = HTTP_503_SERVICE_UNAVAILABLE if report.status == "down" else HTTP_200_OK
        return Response(report, status_code=status)
