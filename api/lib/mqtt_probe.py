"""Does an MQTT broker answer: TCP (or TLS) connect, an MQTT 3.1.1 CONNECT, and its CONNACK."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import ssl
import struct
from dataclasses import dataclass
from urllib.parse import urlsplit

CONNACK_CODES = {
    0: "accepted",
    1: "refused: protocol version",
    2: "refused: client id",
    3: "refused: server unavailable",
    4: "refused: bad user name or password",
    5: "refused: not authorised",
}


@dataclass(frozen=True, slots=True)
class MqttAnswer:
    answered: bool
    detail: str


def _string(value: str) -> bytes:
    raw = value.encode()
    return struct.pack("!H", len(raw)) + raw


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def connect_packet(client_id: str, username: str | None, password: str | None, keepalive: int = 10) -> bytes:
    flags = 0x02  # clean session
    payload = _string(client_id)
    if username is not None:
        flags |= 0x80
        payload += _string(username)
        if password is not None:
            flags |= 0x40
            payload += _string(password)
    variable = _string("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive)
    body = variable + payload
    return bytes([0x10]) + _remaining_length(len(body)) + body


async def probe_mqtt(
    url: str,
    username: str | None = None,
    password: str | None = None,
    ca_file: str | None = None,
    timeout_s: float = 1.5,
) -> MqttAnswer:
    parts = urlsplit(url)
    tls = parts.scheme in ("mqtts", "ssl", "tls")
    host, port = parts.hostname or "127.0.0.1", parts.port or (8883 if tls else 1883)
    context = ssl.create_default_context(cafile=ca_file) if tls else None
    try:
        async with asyncio.timeout(timeout_s):
            reader, writer = await asyncio.open_connection(host, port, ssl=context)
            try:
                writer.write(connect_packet(f"gridscore-health-{secrets.token_hex(4)}", username, password))
                await writer.drain()
                header = await reader.readexactly(4)
                if header[0] != 0x20:
                    return MqttAnswer(False, f"{host}:{port} answered, but not with an MQTT CONNACK")
                if header[3] == 0:
                    writer.write(b"\xe0\x00")  # DISCONNECT
                    await writer.drain()
                return MqttAnswer(True, CONNACK_CODES.get(header[3], f"refused: code {header[3]}"))
            finally:
                writer.close()
                with contextlib.suppress(Exception):
                    await writer.wait_closed()
    except TimeoutError:
        return MqttAnswer(False, f"no answer from {host}:{port} within {timeout_s:g} s")
    except (OSError, asyncio.IncompleteReadError, ssl.SSLError) as exc:
        return MqttAnswer(False, f"{host}:{port}: {type(exc).__name__}: {exc}")
