# syntax=docker/dockerfile:1
# GridScore image: one image for every process (api, live engine, celery worker and beat, migrate).
#
#   docker build -t gridscore .
#   docker run --rm -p 8000:8000 -e DATABASE_URL=... -e JWT_SECRET=... gridscore
#
# The builder stage is also the dev container's image (.devcontainer/docker-compose.dev.yml).

ARG PYTHON_IMAGE=python:3.12-slim

# --- builder: the locked virtualenv in /app/.venv ------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

# make and git are for the dev container (`make test`); the runtime stage does not get them.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends make git \
    && rm -rf /var/lib/apt/lists/*

RUN pip install --no-cache-dir uv==0.13.9

# The image's own interpreter, never a downloaded one ([tool.uv] python-downloads = "never").
ENV UV_PYTHON=/usr/local/bin/python3 \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_NO_CACHE=1

WORKDIR /app

# Dependencies first (cached while only the source changes), then the project itself.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project

COPY gridscore/ gridscore/
COPY ingest/ ingest/
COPY dataflows/ dataflows/
COPY scoring/ scoring/
COPY store/ store/
COPY api/ api/
COPY tasks/ tasks/
COPY benchmarks/ benchmarks/
COPY migrations/ migrations/
RUN uv sync --frozen --no-dev --no-editable

# --- runtime --------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="gridscore" \
      org.opencontainers.image.description="Live scoring engine for fantasy Formula 1" \
      org.opencontainers.image.licenses="Apache-2.0"

RUN groupadd --system --gid 10001 gridscore \
    && useradd --system --uid 10001 --gid gridscore --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin gridscore \
    && mkdir -p /var/lib/gridscore \
    && chown gridscore:gridscore /var/lib/gridscore

WORKDIR /app

# The venv (same base image, so its python symlink to /usr/local/bin/python3 holds) and the source,
# owned by root and read-only for the service user.
COPY --from=builder /app/.venv /app/.venv
COPY --from=builder /app/pyproject.toml /app/uv.lock /app/
COPY --from=builder /app/gridscore/ /app/gridscore/
COPY --from=builder /app/ingest/ /app/ingest/
COPY --from=builder /app/dataflows/ /app/dataflows/
COPY --from=builder /app/scoring/ /app/scoring/
COPY --from=builder /app/store/ /app/store/
COPY --from=builder /app/api/ /app/api/
COPY --from=builder /app/tasks/ /app/tasks/
COPY --from=builder /app/benchmarks/ /app/benchmarks/
COPY --from=builder /app/migrations/ /app/migrations/
# Recorded sessions for `gridscore replay`.
COPY data/feeds/ /app/data/feeds/

ENV PATH="/app/.venv/bin:${PATH}" \
    VIRTUAL_ENV=/app/.venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    GRIDSCORE_DATA_DIR=/var/lib/gridscore \
    LOG_FORMAT=json \
    API_PORT=8000

USER 10001:10001

EXPOSE 8000

# Readiness of the API (`/health`); slim has no curl, so Python's urllib. Other processes built from
# this image (engine, worker, beat) override or disable it in docker-compose.yml.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('API_PORT', '8000'), timeout=4); sys.exit(0 if r.status == 200 else 1)"]

CMD ["gridscore", "api", "--host", "0.0.0.0", "--port", "8000"]
