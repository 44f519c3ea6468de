"""What a notification says: the MQTT document and the e-mail, from a ledger row.

Both carry the row's id (in the JSON, and as the e-mail's Message-ID) so that a receiver can drop
the rare duplicate a crash between send and commit can cause (see tasks/delivery.py).
"""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from store.notify_ledger import LOCK_REMINDER, RESULTS_FINAL, Claimed

TOPIC_PREFIX = "f1/notifications/"


def topic(user_id: int, prefix: str = TOPIC_PREFIX) -> str:
    return f"{prefix}{user_id}"


def mqtt_document(note: Claimed) -> bytes:
    document = {
        "id": note.id,
        "kind": note.kind,
        "session_key": note.session_key,
        "created_at": note.created_at.isoformat(),
        "payload": note.payload,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def email_message(note: Claimed, sender: str, domain: str = "gridscore") -> EmailMessage:
    subject, body = _text(note.kind, note.payload)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = note.email
    message["Subject"] = subject
    message["Date"] = format_datetime(note.created_at)
    message["Message-ID"] = f"<notification-{note.id}@{domain}>"
    message.set_content(body)
    return message


def _text(kind: str, payload: dict[str, Any]) -> tuple[str, str]:
    meeting = payload.get("meeting_name") or f"meeting {payload.get('meeting_key')}"
    session = payload.get("session_name") or f"session {payload.get('session_key')}"
    if kind == RESULTS_FINAL:
        lines = [f"The results of {meeting}, {session}, are final.", ""]
        for team in payload.get("teams", []):
            lines.append(
                f"{team['team_name']}: {team['session_points']} points in the session,"
                f" {team['weekend_points']} this weekend, rank {team['rank']}."
            )
        return f"Final results: {meeting}, {session}", "\n".join(lines) + "\n"
    if kind == LOCK_REMINDER:
        body = (
            f"Teams lock when {session} of {meeting} starts, at {payload.get('lock_at')} UTC.\n"
            "Make your transfers and choose your boost before then.\n"
        )
        return f"Teams lock soon: {meeting}", body
    return f"GridScore: {kind}", json.dumps(payload, indent=2) + "\n"
