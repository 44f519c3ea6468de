"""Bounds of path and query parameters, so that out-of-range values are a 400, never a database error."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

INT4_MAX = 2**31 - 1
INT8_MAX = 2**63 - 1

MeetingKey = Annotated[int, Parameter(ge=1, le=INT4_MAX, description="OpenF1 meeting key, e.g. 202503")]
SessionKey = Annotated[int, Parameter(ge=1, le=INT4_MAX, description="OpenF1 session key, e.g. 2025034")]
LeagueId = Annotated[int, Parameter(ge=1, le=INT8_MAX, description="a league's id (from GET /api/leagues)")]
TeamId = Annotated[int, Parameter(ge=1, le=INT8_MAX, description="a team's id (from GET /api/teams)")]
Offset = Annotated[int, Parameter(ge=0, le=10_000_000, description="standings to skip")]
Limit = Annotated[int, Parameter(ge=1, le=200, description="standings per page")]

MAX_PAGE = 200
PageOffset = Annotated[int, Parameter(ge=0, le=10_000_000, description="items to skip")]
PageLimit = Annotated[int, Parameter(ge=1, le=MAX_PAGE, description=f"items per page (at most {MAX_PAGE})")]
