"""Bigger feeds for benchmarks: a real weekend repeated with shifted meeting and session keys."""

from __future__ import annotations

import json
from pathlib import Path

from ingest.recorded import iter_lines


def repeated_feed(source: Path, copies: int, out: Path) -> Path:
    """`copies` weekends side by side (distinct keys), interleaved in arrival order."""
    lines = [json.loads(line) for line in iter_lines(source)]
    with out.open("w") as fh:
        for message in lines:
            for copy in range(copies):
                payload = dict(message["payload"])
                if "session_key" in payload:
                    payload["session_key"] = payload["session_key"] + copy * 10_000
                if "meeting_key" in payload:
                    payload["meeting_key"] = payload["meeting_key"] + copy * 1_000
                fh.write(
                    json.dumps({"topic": message["topic"], "at": message["at"], "payload": payload}) + "\n"
                )
    return out
