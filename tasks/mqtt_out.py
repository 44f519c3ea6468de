"""Publish notifications on MQTT at QoS 1 and wait for the broker's PUBACK.

One client per delivery task, with a client id of its own (MQTT_CLIENT_ID plus the process and a
random part): two connections sharing an id would disconnect each other.
"""

from __future__ import annotations

import os
import secrets
import ssl
import threading
from types import TracebackType
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from gridscore.base.settings import Settings


class MqttError(Exception):
    """The broker did not take a message: the delivery task retries."""


class MqttPublisher:
    def __init__(self, settings: Settings, timeout_s: float = 10.0) -> None:
        parts = urlsplit(settings.mqtt_url if "://" in settings.mqtt_url else f"mqtt://{settings.mqtt_url}")
        tls = parts.scheme in ("mqtts", "ssl") or bool(settings.mqtt_ca_file)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or (8883 if tls else 1883)
        self.timeout_s = timeout_s
        client_id = f"{settings.mqtt_client_id}-{os.getpid()}-{secrets.token_hex(3)}"
        self._client = paho.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
        username = unquote(parts.username) if parts.username else settings.mqtt_username
        password = unquote(parts.password) if parts.password else settings.mqtt_password
        if username is not None:
            self._client.username_pw_set(username, password)
        if tls:
            self._client.tls_set_context(ssl.create_default_context(cafile=settings.mqtt_ca_file))
        self._connected = threading.Event()
        self._client.on_connect = self._on_connect

    def _on_connect(
        self, client: paho.Client, userdata: object, flags: object, reason: object, *_: object
    ) -> None:
        if not getattr(reason, "is_failure", False):
            self._connected.set()

    def __enter__(self) -> MqttPublisher:
        try:
            self._client.connect(self.host, self.port, keepalive=30)
        except OSError as exc:
            raise MqttError(f"cannot reach the MQTT broker at {self.host}:{self.port}: {exc}") from exc
        self._client.loop_start()
        if not self._connected.wait(self.timeout_s):
            self.close()
            raise MqttError(f"the MQTT broker at {self.host}:{self.port} did not accept the connection")
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def publish(self, topic: str, payload: bytes) -> None:
        """Returns once the broker has acknowledged the message (PUBACK), raises otherwise."""
        info = self._client.publish(topic, payload, qos=1)
        if info.rc != paho.MQTT_ERR_SUCCESS:
            raise MqttError(f"publish to {topic} refused: {paho.error_string(info.rc)}")
        info.wait_for_publish(self.timeout_s)
        if not info.is_published():
            raise MqttError(f"no PUBACK for {topic} within {self.timeout_s} s")

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
