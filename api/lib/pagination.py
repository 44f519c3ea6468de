"""Every list the API returns is one page of it, in one envelope: {items, total, limit, offset}."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from advanced_alchemy.service.pagination import OffsetPagination
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
DEFAULT_PAGE = 50


def page_of(items: Sequence[T], total: int, offset: int, limit: int) -> OffsetPagination[T]:
    return OffsetPagination(items=items, total=total, limit=limit, offset=offset)


async def count_of(session: AsyncSession, query: Select[Any]) -> int:
    """How many rows `query` (without offset and limit) returns."""
    return int(await session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)
