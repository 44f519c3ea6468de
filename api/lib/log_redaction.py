"""Keep credentials that travel in URLs out of the logs.

uvicorn's access log prints every request's path with its query string, and a live stream's URL carries
`?ticket=...` (EventSource cannot send headers). The filter rewrites such values in each record's message
and arguments (so uvicorn's own access formatter, which reads the arguments, still works).
"""

from __future__ import annotations

import logging
import re

_SECRET_PARAM = re.compile(r"(?i)([?&](?:ticket|token|access_token|refresh_token)=)[^&\s\"']*")
REDACTED = "[redacted]"
SERVER_LOGGERS = ("uvicorn.access", "uvicorn.error")


def redact(text: str) -> str:
    return _SECRET_PARAM.sub(rf"\g<1>{REDACTED}", text)


class RedactUrlSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


def install(loggers: tuple[str, ...] = SERVER_LOGGERS) -> None:
    """Attach the filter to the server's loggers, once per process."""
    for name in loggers:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactUrlSecrets) for f in logger.filters):
            logger.addFilter(RedactUrlSecrets())
