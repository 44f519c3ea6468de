"""Send ledger rows on their channels, each send inside the transaction that marks it sent.

Per row and channel: lock the row if that channel is still due (SKIP LOCKED), set its `*_at`,
send and wait for the receiver's acknowledgement (PUBACK, SMTP 250), then commit. A worker killed
before the commit leaves the row unmarked (Postgres rolls back when the connection drops), so the
re-delivered task sends it again: nothing is lost. A duplicate needs the kill to land after the
receiver took the message and before our COMMIT reached Postgres: one acknowledgement and one
commit round trip, at most one message per channel per killed process. Receivers can drop that
duplicate by the notification id the message carries (JSON `id`, e-mail Message-ID).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence

import psycopg

from store.notify_ledger import claim_email, claim_mqtt, drop_email, drop_mqtt
from tasks.mailer import Mailer
from tasks.messages import TOPIC_PREFIX, email_message, mqtt_document, topic
from tasks.mqtt_out import MqttPublisher

log = logging.getLogger(__name__)


def publish_due(
    conn: psycopg.Connection,
    ids: Sequence[int],
    publisher: MqttPublisher | None,
    prefix: str = TOPIC_PREFIX,
) -> int:
    """Send the MQTT messages still due for these rows; returns how many were sent now."""
    sent = 0
    for notification_id in ids:
        with conn.transaction():
            note = claim_mqtt(conn, notification_id)
            if note is not None and publisher is None:
                drop_mqtt(conn, notification_id)
            elif note is not None and publisher is not None:
                publisher.publish(topic(note.user_id, prefix), mqtt_document(note))
                sent += 1
    return sent


def email_due(conn: psycopg.Connection, ids: Sequence[int], mailer: Mailer | None, sender: str) -> int:
    """Send the e-mails still due for these rows; returns how many were sent now."""
    sent = 0
    for notification_id in ids:
        with conn.transaction():
            note = claim_email(conn, notification_id)
            if note is None:
                continue
            if mailer is None:
                drop_email(conn, notification_id, "SMTP_HOST is not set")
                continue
            try:
                mailer.send(email_message(note, sender))
                sent += 1
            except smtplib.SMTPRecipientsRefused as exc:
                drop_email(conn, notification_id, f"recipient refused: {exc.recipients}")
                log.warning("notification %s: %s refused by the SMTP server", notification_id, note.email)
    return sent
