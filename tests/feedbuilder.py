"""Build small recorded feeds by hand, in the FEEDS.md format, for tests that need a case the
shared feeds lack (a sprint weekend, corrections, re-versions)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


@dataclass
class FeedBuilder:
    meeting_key: int
    lines: list[dict[str, Any]] = field(default_factory=list)

    def add(self, topic: str, at: datetime, payload: dict[str, Any]) -> None:
        self.lines.append({"topic": f"v1/{topic}", "at": iso(at).replace("+00:00", "Z"), "payload": payload})

    def session(
        self, session_key: int, name: str, start: datetime, drivers: dict[int, tuple[str, str]]
    ) -> None:
        self.add(
            "sessions",
            start,
            {
                "meeting_key": self.meeting_key,
                "session_key": session_key,
                "session_name": name,
                "session_type": "Race" if name in ("Sprint", "Race") else "Qualifying",
                "date_start": iso(start),
                "date_end": iso(start + timedelta(hours=1)),
                "year": start.year,
                "circuit_short_name": "Testring",
            },
        )
        for number, (acronym, team) in drivers.items():
            self.add(
                "drivers",
                start,
                {
                    "meeting_key": self.meeting_key,
                    "session_key": session_key,
                    "driver_number": number,
                    "name_acronym": acronym,
                    "full_name": acronym.title(),
                    "team_name": team,
                },
            )

    def write(self, path: Path) -> Path:
        ordered = sorted(self.lines, key=lambda line: line["at"])
        path.write_text("".join(json.dumps(line) + "\n" for line in ordered))
        return path
