"""How to reach the MQTT broker: URL, credentials, TLS, protocol and session, for every client we open.

`mqtt://host:1883`, `mqtts://host:8883` (TLS), `ws://host/path`, `wss://host/path` (WebSockets).
Credentials come from MQTT_USERNAME/MQTT_PASSWORD or the URL (`mqtt://user:pass@host`); TLS is on
for mqtts/wss or whenever MQTT_CA_FILE is set, and verifies the broker against that file (else the
system's CAs). A subscriber may instead take its password from a `PasswordSource` (an access token
that expires, as on OpenF1's broker): it asks for one at each connection and reconnects when told to.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal, Protocol
from urllib.parse import unquote, urlsplit

import aiomqtt
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

if TYPE_CHECKING:
    from gridscore.base.settings import Settings

log = logging.getLogger(__name__)

QOS = 1
_DEFAULT_PORTS = {"mqtt": 1883, "tcp": 1883, "mqtts": 8883, "ssl": 8883, "ws": 80, "wss": 443}


class CredentialsError(ConnectionError):
    """No password could be had for the broker now (token endpoint down or refusing): retry later."""


class PasswordSource(Protocol):
    """Passwords that expire (access tokens). Picklable: the receiver process calls it."""

    def password(self, renew: bool = False) -> tuple[str, float]:
        """A valid password and when (epoch seconds) to reconnect with a new one; renew: a new one now."""
        ...


@dataclass(frozen=True, slots=True)
class BrokerConfig:
    host: str
    port: int
    client_id: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls: bool = False
    ca_file: str | None = None
    transport: Literal["tcp", "websockets"] = "tcp"
    ws_path: str = "/mqtt"
    protocol: str = "3.1.1"
    session_expiry_s: int = 86_400
    credentials: PasswordSource | None = field(default=None, repr=False, compare=False)
    silence_s: float | None = None  # a subscriber that hears nothing this long reconnects (None: never)

    @classmethod
    def from_url(
        cls,
        url: str,
        client_id: str,
        username: str | None = None,
        password: str | None = None,
        ca_file: str | None = None,
        protocol: str = "3.1.1",
        session_expiry_s: int = 86_400,
    ) -> BrokerConfig:
        parts = urlsplit(url if "://" in url else f"mqtt://{url}")
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise ValueError(f"unsupported MQTT URL scheme {scheme!r} (mqtt, mqtts, ws, wss)")
        if protocol not in ("3.1.1", "5"):
            raise ValueError(f"MQTT_PROTOCOL must be 3.1.1 or 5, not {protocol!r}")
        websockets = scheme in ("ws", "wss")
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or _DEFAULT_PORTS[scheme],
            client_id=client_id,
            username=unquote(parts.username) if parts.username else username,
            password=unquote(parts.password) if parts.password else password,
            tls=scheme in ("mqtts", "ssl", "wss") or bool(ca_file),
            ca_file=ca_file or None,
            transport="websockets" if websockets else "tcp",
            ws_path=(parts.path or "/mqtt") if websockets else "/mqtt",
            protocol=protocol,
            session_expiry_s=session_expiry_s,
        )

    @classmethod
    def from_settings(
        cls, settings: Settings, url: str | None = None, client_id: str | None = None
    ) -> BrokerConfig:
        return cls.from_url(
            url or settings.mqtt_url,
            client_id or settings.mqtt_client_id,
            username=settings.mqtt_username,
            password=settings.mqtt_password,
            ca_file=settings.mqtt_ca_file,
            protocol=settings.mqtt_protocol,
            session_expiry_s=settings.mqtt_session_expiry_s,
        )

    def with_client_id(self, client_id: str) -> BrokerConfig:
        return replace(self, client_id=client_id)

    def current_password(self, renew: bool = False) -> tuple[str | None, float | None]:
        """The password to connect with now and when to reconnect with a new one (None: never)."""
        if self.credentials is None:
            return self.password, None
        return self.credentials.password(renew)

    @property
    def address(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.tls:
            return None
        return ssl.create_default_context(cafile=self.ca_file)

    def aiomqtt_client(self, persistent: bool) -> aiomqtt.Client:
        """A subscriber; call inside the running loop that will drive it.

        persistent: the broker keeps the subscription and queues QoS 1 messages while we are away
        (clean_session False on 3.1.1; clean_start False plus a session expiry on 5).
        """
        v5 = self.protocol == "5"
        properties = None
        if v5 and persistent:
            properties = Properties(PacketTypes.CONNECT)
            properties.SessionExpiryInterval = self.session_expiry_s
        return aiomqtt.Client(
            self.host,
            self.port,
            identifier=self.client_id,
            username=self.username,
            password=self.password,
            protocol=aiomqtt.ProtocolVersion.V5 if v5 else aiomqtt.ProtocolVersion.V311,
            clean_session=None if v5 else not persistent,
            clean_start=not persistent if v5 else paho.MQTT_CLEAN_START_FIRST_ONLY,
            properties=properties,
            transport=self.transport,
            websocket_path=self.ws_path if self.transport == "websockets" else None,
            tls_context=self.ssl_context(),
            keepalive=30,
            timeout=10,
        )

    def paho_client(self) -> paho.Client:
        """A publisher with a clean session; QoS 1 messages wait in paho while it reconnects."""
        v5 = self.protocol == "5"
        client = paho.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=paho.MQTTv5 if v5 else paho.MQTTv311,
            clean_session=None if v5 else True,
            transport=self.transport,
        )
        if self.transport == "websockets":
            client.ws_set_options(path=self.ws_path)
        if self.username is not None:
            client.username_pw_set(self.username, self.password)
        context = self.ssl_context()
        if context is not None:
            client.tls_set_context(context)
        client.reconnect_delay_set(min_delay=1, max_delay=30)
        client.max_inflight_messages_set(200)
        return client


class Publisher:
    """A QoS 1 publisher on paho's own network thread: publish() never waits for the broker.

    Reconnects by itself with backoff; messages published while it is away are sent on reconnect.
    `wait_for_window` lets a caller pace itself by the broker's acknowledgements (PUBACKs).
    """

    def __init__(self, broker: BrokerConfig, connect_timeout: float = 10.0) -> None:
        self.broker = broker
        self._client = broker.paho_client()
        self._connected = threading.Event()
        self._answered = threading.Event()  # the first attempt connected, failed or was refused
        self._client.on_connect = self._on_connect
        self._client.on_connect_fail = lambda *_: self._answered.set()
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish
        self._pending: list[paho.MQTTMessageInfo] = []
        self._lock = threading.Lock()
        self._acks = threading.Condition()
        self._sent = 0
        self._acknowledged = 0
        self._client.connect_async(broker.host, broker.port, keepalive=30)
        self._client.loop_start()
        self._answered.wait(connect_timeout)
        if not self._connected.is_set():
            log.warning("MQTT publisher %s: no connection to %s yet", broker.client_id, broker.address)

    def _on_connect(
        self, client: paho.Client, userdata: object, flags: object, reason: object, *_: object
    ) -> None:
        self._answered.set()
        if getattr(reason, "is_failure", False):
            log.error(
                "MQTT publisher %s refused by %s: %s", self.broker.client_id, self.broker.address, reason
            )
            return
        self._connected.set()

    def _on_disconnect(self, client: paho.Client, userdata: object, *args: object) -> None:
        self._connected.clear()

    def _on_publish(self, client: paho.Client, userdata: object, *args: object) -> None:
        with self._acks:
            self._acknowledged += 1
            self._acks.notify_all()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def in_flight(self) -> int:
        """Messages published and not yet acknowledged by the broker."""
        with self._acks:
            return self._sent - self._acknowledged

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> None:
        with self._acks:
            self._sent += 1
        info = self._client.publish(topic, payload, qos=QOS, retain=retain)
        with self._lock:
            self._pending.append(info)
            if len(self._pending) > 10_000:
                self._pending = [i for i in self._pending if not _acknowledged(i)]

    def wait_for_window(self, window: int, timeout: float) -> bool:
        """Block until fewer than `window` messages await the broker's PUBACK; False if the broker
        acknowledged nothing for `timeout` seconds (it is gone, or refuses us)."""
        with self._acks:
            while self._sent - self._acknowledged >= window:
                before = self._acknowledged
                self._acks.wait(timeout)
                if self._acknowledged == before:
                    return False
        return True

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until the broker has acknowledged everything published so far (False on timeout)."""
        with self._lock:
            pending, self._pending = self._pending, []
        deadline = time.monotonic() + timeout
        for info in pending:
            while not _acknowledged(info):
                if time.monotonic() > deadline:
                    return False
                time.sleep(0.005)
        return True

    def close(self, timeout: float = 10.0) -> None:
        self.flush(timeout)
        self._client.disconnect()
        self._client.loop_stop()


def _acknowledged(info: paho.MQTTMessageInfo) -> bool:
    # Read the flag directly: is_published() raises for a message queued while disconnected, which
    # paho still sends (and marks published) once it reconnects.
    return bool(info._published)
