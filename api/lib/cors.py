"""Cross-origin access for browser apps served from another site (a frontend on http://localhost:5173).

Only the origins of the API_CORS_ORIGINS setting are answered with Access-Control-* headers; with none
set, a browser on another origin is refused, as before. Credentials are Bearer tokens (never cookies), so
no Access-Control-Allow-Credentials: a page must send the Authorization header itself.
"""

from __future__ import annotations

from litestar.config.cors import CORSConfig

# What a frontend sends: its token, JSON bodies, a stream's resume point, a cached copy's validator.
ALLOWED_HEADERS = ["Authorization", "Content-Type", "Last-Event-ID", "If-None-Match", "Accept"]
# What a frontend may read besides the CORS-safelisted headers: validators, paging hints, rate limits.
EXPOSED_HEADERS = [
    "ETag",
    "Retry-After",
    "Location",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
]
PREFLIGHT_CACHE_S = 600


def cors_config(origins: tuple[str, ...]) -> CORSConfig | None:
    """The CORS policy for `origins`, or None (no CORS headers) when there are none."""
    if not origins:
        return None
    return CORSConfig(
        allow_origins=list(origins),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=ALLOWED_HEADERS,
        allow_credentials=False,
        expose_headers=EXPOSED_HEADERS,
        max_age=PREFLIGHT_CACHE_S,
    )
