"""What the notifications reach: an aiosmtpd server and an MQTT subscriber, both counting.

The SMTP server can also be told to hold every RCPT after N messages: a worker that sends then
waits at a known point (its e-mail not handed over yet), where the test kills it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from email import message_from_bytes
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as paho
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from paho.mqtt.enums import CallbackAPIVersion


class SmtpInbox:
    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.messages: list[tuple[str, str]] = []  # (recipient, Message-ID)
        self.lock = threading.Lock()
        self.hold_after: int | None = None
        self.held = 0
        self._gate: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # aiosmtpd handler hooks -------------------------------------------------
    async def handle_RCPT(  # noqa: N802  (aiosmtpd hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.hold_after is not None and len(self.messages) >= self.hold_after:
            if self._gate is None:
                self._loop = asyncio.get_running_loop()
                self._gate = asyncio.Event()
            with self.lock:
                self.held += 1
            await self._gate.wait()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.original_content or envelope.content or b""
        assert isinstance(content, bytes)
        message_id = message_from_bytes(content).get("Message-ID", "")
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.messages.append((rcpt, message_id))
        return "250 Message accepted for delivery"

    # test side --------------------------------------------------------------
    def release(self) -> None:
        """Open the gate: held RCPTs get their answer (on connections whose client is gone)."""
        self.hold_after = None
        if self._gate is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._gate.set)

    def reset(self) -> None:
        self.release()
        with self.lock:
            self.messages.clear()
            self.held = 0
        self._gate = None
        self._loop = None

    def per_recipient(self) -> Counter[str]:
        with self.lock:
            return Counter(rcpt for rcpt, _ in self.messages)

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    @classmethod
    @contextlib.contextmanager
    def serving(cls) -> Iterator[SmtpInbox]:
        inbox = cls()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            inbox.port = s.getsockname()[1]
        controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
        controller.start()
        try:
            yield inbox
        finally:
            inbox.release()
            controller.stop()


class MqttInbox:
    """Subscribed to f1/notifications/# at QoS 1 before any test publishes."""

    # A prefix of this run's own, so that other runs on the same broker never reach this inbox.
    PREFIX = f"test-{uuid.uuid4().hex[:8]}/f1/notifications/"
    TOPIC = f"{PREFIX}#"

    def __init__(self, client: paho.Client) -> None:
        self.client = client
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self.lock = threading.Lock()

    def on_message(self, client: paho.Client, userdata: object, message: paho.MQTTMessage) -> None:
        with self.lock:
            self.messages.append((message.topic, json.loads(message.payload)))

    def reset(self) -> None:
        with self.lock:
            self.messages.clear()

    def per_user(self, ids: set[int]) -> Counter[int]:
        """Messages per user id (from the topic), counting only our own notification ids."""
        with self.lock:
            return Counter(
                int(topic.rsplit("/", 1)[1]) for topic, document in self.messages if document.get("id") in ids
            )

    def documents(self) -> list[tuple[str, dict[str, Any]]]:
        with self.lock:
            return list(self.messages)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    @classmethod
    def connect(cls, url: str, timeout: float = 5.0) -> MqttInbox:
        parts = urlsplit(url)
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"gridscore-test-inbox-{time.time_ns()}")
        inbox = cls(client)
        subscribed = threading.Event()
        client.on_message = inbox.on_message
        client.on_subscribe = lambda *args: subscribed.set()
        client.on_connect = lambda c, *args: c.subscribe(cls.TOPIC, qos=1)
        client.connect(parts.hostname or "127.0.0.1", parts.port or 1883, keepalive=30)
        client.loop_start()
        if not subscribed.wait(timeout):
            inbox.close()
            raise OSError(f"no SUBACK from {url} within {timeout} s")
        return inbox
