"""TLS and passwords, as on a broker like OpenF1's: a private Mosquitto with a test CA, the repo's ACL
and password script; the engine's receiver and the publisher connect with `mqtts://` + MQTT_CA_FILE."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ingest.broker import BrokerConfig, Publisher
from ingest.publish import publish_feeds
from ingest.record import Recorded, record_feed
from tests.conftest import FEEDS, ROOT
from tests.mqtt.conftest import Inbox

pytestmark = pytest.mark.mqtt

FEED = FEEDS / "2025-03-japan.jsonl"


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _certificates(folder: Path) -> Path:
    """A CA and a server certificate for 127.0.0.1 signed by it; returns the CA file."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "gridscore test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    server = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.pem").write_bytes(server.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(_key_pem(key))
    return folder / "ca.pem"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def tls_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    if shutil.which("mosquitto") is None or shutil.which("mosquitto_passwd") is None:
        if os.environ.get("GRIDSCORE_REQUIRE_SERVICES") == "1":
            pytest.fail("mosquitto is not installed, and GRIDSCORE_REQUIRE_SERVICES=1")
        pytest.skip("mosquitto is not installed: the TLS broker test is skipped")
    folder = tmp_path_factory.mktemp("tls-broker")
    ca = _certificates(folder)
    shutil.copy(ROOT / "deploy" / "mosquitto" / "acl", folder / "acl")
    env = dict(os.environ, MQTT_PUBLISHER_PASSWORD="publisher-test", MQTT_ENGINE_PASSWORD="engine-test")
    env.update(MQTT_SUBSCRIBER_PASSWORD="subscriber-test")
    subprocess.run(
        ["sh", str(ROOT / "deploy" / "mosquitto" / "make-passwords.sh"), str(folder / "passwd")],
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    lines = ["user root"] if os.geteuid() == 0 else []
    lines += [
        "per_listener_settings false",
        "allow_anonymous false",
        f"password_file {folder / 'passwd'}",
        f"acl_file {folder / 'acl'}",
        f"listener {port} 127.0.0.1",
        f"cafile {ca}",
        f"certfile {folder / 'server.pem'}",
        f"keyfile {folder / 'server.key'}",
        "persistence false",
        f"log_dest file {folder / 'mosquitto.log'}",
    ]
    (folder / "mosquitto.conf").write_text("\n".join(lines) + "\n")
    broker = subprocess.Popen(["mosquitto", "-c", str(folder / "mosquitto.conf")], stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert broker.poll() is None, broker.stderr.read().decode() if broker.stderr else ""
            assert time.monotonic() < deadline, "the TLS broker did not start"
            time.sleep(0.05)
    try:
        yield f"mqtts://127.0.0.1:{port}", ca
    finally:
        broker.terminate()
        broker.wait(10)


def _broker(url: str, ca: Path, user: str, password: str) -> BrokerConfig:
    return BrokerConfig.from_url(url, f"gridscore-tls-{user}-{time.monotonic_ns()}", user, password, str(ca))


def test_engine_receives_the_feed_over_tls_with_its_password(
    tls_broker: tuple[str, Path], tmp_path: Path
) -> None:
    url, ca = tls_broker
    out = tmp_path / "recorded.jsonl"
    result: list[Recorded] = []
    subscribed = threading.Event()
    engine = _broker(url, ca, "engine", "engine-test")
    recording = threading.Thread(
        target=lambda: result.append(record_feed(out, engine, until_idle=2, ready=subscribed)), daemon=True
    )
    recording.start()
    assert subscribed.wait(15), "the engine user could not subscribe over TLS"
    sent = publish_feeds([FEED], _broker(url, ca, "publisher", "publisher-test"))
    assert sent.acknowledged
    recording.join(30)
    assert result, "record did not finish"
    assert result[0].messages == sent.messages
    assert out.read_bytes().count(b"\n") == sent.messages


def test_engine_publishes_scores_that_subscribers_may_read(tls_broker: tuple[str, Path]) -> None:
    url, ca = tls_broker
    reader = _broker(url, ca, "subscriber", "subscriber-test")
    inbox = Inbox.subscribe_with(reader, "f1/scoring/#")
    try:
        engine = Publisher(_broker(url, ca, "engine", "engine-test"))
        engine.publish("f1/scoring/1/points", b'{"final": false}', retain=False)
        assert engine.flush(10)
        engine.close()
        intruder = Publisher(_broker(url, ca, "publisher", "publisher-test"))
        intruder.publish("f1/scoring/1/points", b'{"forged": true}')  # the ACL drops it silently
        intruder.close()
        inbox.wait_for(lambda i: len(i.snapshot()) >= 1, 10, "the engine's message")
        time.sleep(0.5)
        assert [m.payload for m in inbox.snapshot()] == [b'{"final": false}']
    finally:
        inbox.close()


def test_a_wrong_password_is_refused(tls_broker: tuple[str, Path]) -> None:
    url, ca = tls_broker
    publisher = Publisher(_broker(url, ca, "engine", "wrong"), connect_timeout=5)
    try:
        assert not publisher.connected
    finally:
        publisher.close(timeout=0)
