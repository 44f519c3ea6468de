"""`gridscore live --source openf1` against a broker like OpenF1's: a private Mosquitto with TLS (a CA
made by the test) and passwords, where the engine's password is an access token from a local token
endpoint (tests/openf1_stub.py) that expires every few seconds during the weekend.

The token endpoint makes each new token the account's password on the broker (mosquitto_passwd,
then SIGHUP) and, when a token expires with no newer one, replaces it with junk: an engine that did
not renew could not reconnect. A whole lap-by-lap weekend is published while the tokens come and
go, with a silence between Qualifying and the Race longer than OPENF1_SILENCE_S (the engine then
reconnects, as it must when OpenF1's feed goes quiet); the engine must renew, reconnect, journal
every message and end with the official totals.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from ingest.broker import BrokerConfig, Publisher
from tests.conftest import FEEDS, empty_database
from tests.mqtt.conftest import Engine, Inbox, Prefixes, engine_env, gridscore, retained
from tests.mqtt.test_secure_broker import _certificates, _free_port
from tests.openf1_stub import TokenEndpointStub

pytestmark = pytest.mark.mqtt

FEED = FEEDS / "2023-10-britain.jsonl"  # 2,110 messages, the Race lap by lap
MEETING = 202310
EMAIL = "fan@example.com"
ACCOUNT_PASSWORD = "account-" + secrets.token_hex(8)
PUBLISHER_PASSWORD = "publisher-" + secrets.token_hex(8)
TOKEN_LIFETIME_S = 5.0  # the engine renews 1 s before expiry: about every 4 s
SILENCE_S = 2  # OPENF1_SILENCE_S for the test (60 by default)
PUBLISH_RATE = "150"  # messages a second: the weekend takes about 14 s, three or four tokens


@dataclass
class OpenF1Broker:
    url: str
    ca: Path
    folder: Path
    process: subprocess.Popen[bytes]

    def set_password(self, user: str, password: str) -> None:
        subprocess.run(
            ["mosquitto_passwd", "-b", str(self.folder / "passwd"), user, password],
            check=True,
            capture_output=True,
        )
        self.process.send_signal(signal.SIGHUP)  # Mosquitto reloads its password file
        time.sleep(0.3)  # and has done so before the endpoint answers

    def log(self) -> str:
        return (self.folder / "mosquitto.log").read_text(errors="replace")


@pytest.fixture
def openf1_broker(tmp_path: Path) -> Iterator[OpenF1Broker]:
    if shutil.which("mosquitto") is None or shutil.which("mosquitto_passwd") is None:
        if os.environ.get("GRIDSCORE_REQUIRE_SERVICES") == "1":
            pytest.fail("mosquitto is not installed, and GRIDSCORE_REQUIRE_SERVICES=1")
        pytest.skip("mosquitto is not installed: the OpenF1 live test is skipped")
    folder = tmp_path / "openf1-broker"
    folder.mkdir()
    ca = _certificates(folder)
    passwd = str(folder / "passwd")
    subprocess.run(["mosquitto_passwd", "-b", "-c", passwd, "publisher", PUBLISHER_PASSWORD], check=True)
    subprocess.run(["mosquitto_passwd", "-b", passwd, EMAIL, secrets.token_hex(16)], check=True)
    port = _free_port()
    lines = ["user root"] if os.geteuid() == 0 else []
    lines += [
        "per_listener_settings false",
        "allow_anonymous false",
        f"password_file {passwd}",
        f"listener {port} 127.0.0.1",
        f"cafile {ca}",
        f"certfile {folder / 'server.pem'}",
        f"keyfile {folder / 'server.key'}",
        "persistence false",
        "connection_messages true",
        f"log_dest file {folder / 'mosquitto.log'}",
    ]
    (folder / "mosquitto.conf").write_text("\n".join(lines) + "\n")
    process = subprocess.Popen(["mosquitto", "-c", str(folder / "mosquitto.conf")], stderr=subprocess.PIPE)
    broker = OpenF1Broker(f"mqtts://127.0.0.1:{port}", ca, folder, process)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            assert time.monotonic() < deadline, "the TLS broker did not start"
            time.sleep(0.05)
    try:
        yield broker
    finally:
        process.terminate()
        process.wait(10)


def _split(folder: Path) -> tuple[Path, Path]:
    """The feed up to the Qualifying's last result, and the rest (the Race)."""
    lines = FEED.read_text().splitlines(keepends=True)
    race = next(
        i for i, line in enumerate(lines) if json.loads(line)["payload"].get("session_key") == 2023104
    )
    first, second = folder / "qualifying.jsonl", folder / "race.jsonl"
    first.write_text("".join(lines[:race]))
    second.write_text("".join(lines[race:]))
    return first, second


def _journaled(path: Path) -> Counter[str]:
    out: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        record = json.loads(line)
        out[json.dumps([record["topic"], record["payload"]], sort_keys=True)] += 1
    return out


def test_engine_on_openf1_renews_its_token_and_loses_nothing(
    openf1_broker: OpenF1Broker,
    mqtt_url: str,
    prefixes: Prefixes,
    database_url: str,
    redis_url: str,
    tmp_path: Path,
) -> None:
    empty_database(database_url)
    redis.Redis.from_url(redis_url).flushdb()
    tokens = TokenEndpointStub(
        EMAIL,
        ACCOUNT_PASSWORD,
        TOKEN_LIFETIME_S,
        on_token=lambda token: openf1_broker.set_password(EMAIL, token),
        on_expire=lambda: openf1_broker.set_password(EMAIL, secrets.token_hex(16)),
    )
    data = tmp_path / "data"
    env = engine_env(
        prefixes,
        database_url,
        redis_url,
        data,
        MQTT_URL=mqtt_url,  # scores go to the machine's broker, under this run's prefixes
        OPENF1_USERNAME=EMAIL,
        OPENF1_PASSWORD=ACCOUNT_PASSWORD,
        OPENF1_TOKEN_URL=tokens.url,
        OPENF1_MQTT_URL=openf1_broker.url,
        OPENF1_CA_FILE=str(openf1_broker.ca),
        OPENF1_CLIENT_ID=f"gridscore-{prefixes.run}-openf1",
        OPENF1_SILENCE_S=str(SILENCE_S),
    )
    topic = f"{prefixes.output}{MEETING}/points"
    engine = Engine(env, tmp_path / "live.log", args=("--no-migrate", "--source", "openf1"))
    inbox: Inbox | None = None
    try:
        engine.start()
        inbox = Inbox.subscribe(mqtt_url, topic)
        publisher = f"mqtts://publisher:{PUBLISHER_PASSWORD}@{openf1_broker.url.removeprefix('mqtts://')}"
        qualifying, race = _split(tmp_path)
        for part in (qualifying, race):
            gridscore(
                "publish",
                str(part),
                "--broker",
                publisher,
                "--prefix",
                "v1/",
                "--max-rate",
                PUBLISH_RATE,
                env={**env, "MQTT_CA_FILE": str(openf1_broker.ca)},
            )
            if part is qualifying:
                silent_from = len(engine.log_text())
                time.sleep(SILENCE_S * 2)
                assert "no message for" in engine.log_text()[silent_from:], engine.tail()

        def final() -> bool:
            message = inbox.latest().get(topic) if inbox is not None else None
            return message is not None and message.json()["final"] is True

        inbox.wait_for(lambda _: final(), 90, f"the final points\n{engine.tail()}")
        document = retained(mqtt_url, topic, settle=0.5)[topic].json()
        expected = json.loads((FEEDS / "expected" / f"{FEED.stem}.json").read_text())
        assert {k: document[k] for k in ("drivers", "constructors")} == expected
        assert document["final"] is True

        # Not one message lost: every line of the feed is in the journal (a redelivery may repeat one).
        journal = data / "journal" / f"gridscore-{prefixes.run}-openf1.jsonl"
        journaled = _journaled(journal)
        published = _journaled(FEED)
        missing = {k: n for k, n in published.items() if journaled[k] < n}
        assert not missing, f"{len(missing)} messages never journaled, e.g. {next(iter(missing))}"

        # It renewed and reconnected with each new token, as OpenF1 requires.
        issued = [token for _, token in tokens.issued]
        assert len(issued) >= 3, f"only {len(issued)} token(s) fetched:\n{engine.tail()}"
        connections = openf1_broker.log().count(f"u'{EMAIL}'")
        assert connections >= len(issued) - 1, openf1_broker.log()[-2000:]
        assert engine.log_text().count("password due for renewal") >= 2, engine.tail()
        # The first token no longer opens the broker: renewing was necessary, not decoration.
        stale = Publisher(
            BrokerConfig.from_url(openf1_broker.url, "stale-token", EMAIL, issued[0], str(openf1_broker.ca)),
            connect_timeout=5,
        )
        try:
            assert not stale.connected, "the broker still accepts an expired token"
        finally:
            stale.close(timeout=0)
        # Neither the account's password nor any token is in the engine's log.
        text = engine.log_text()
        assert ACCOUNT_PASSWORD not in text
        assert not [token for token in issued if token in text]
    finally:
        if inbox is not None:
            inbox.close()
        code = engine.stop()
        tokens.stop()
    assert code == 0, f"gridscore live did not stop cleanly ({code}):\n{engine.tail()}"
