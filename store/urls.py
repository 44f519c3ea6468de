"""DATABASE_URL comes in the usual `postgresql://` form; which driver runs it is the app's business."""

from __future__ import annotations

from sqlalchemy.engine import make_url


def with_driver(url: str, driver: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername=f"postgresql+{driver}").render_as_string(hide_password=False)


def sync_url(url: str) -> str:
    """For the flow's sinks, Alembic and bulk COPY (psycopg 3)."""
    return with_driver(url, "psycopg")


def async_url(url: str) -> str:
    """For the API (asyncpg)."""
    return with_driver(url, "asyncpg")


def libpq_url(url: str) -> str:
    """For psycopg.connect: the plain URL without a SQLAlchemy driver suffix."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
