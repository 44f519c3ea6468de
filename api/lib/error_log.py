"""Log what became a 5xx, with its traceback; rejections (4xx) are answers, not errors, and are not logged.

Only the method and path are logged: never headers, bodies or query strings, where secrets travel.
"""

from __future__ import annotations

import logging

from advanced_alchemy.exceptions import DuplicateKeyError, ForeignKeyError, IntegrityError, NotFoundError
from litestar.exceptions import HTTPException
from litestar.types import Scope

log = logging.getLogger("api")
_CLIENT_ERRORS = (NotFoundError, DuplicateKeyError, IntegrityError, ForeignKeyError)  # mapped to 404 / 409


async def log_server_errors(exc: Exception, scope: Scope) -> None:
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        return
    if isinstance(exc, _CLIENT_ERRORS):
        return
    log.error("server error on %s %s", scope.get("method", "-"), scope.get("path", "-"), exc_info=exc)
