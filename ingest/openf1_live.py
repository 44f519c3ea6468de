"""`gridscore live --source openf1`: the engine's input from OpenF1's live broker instead of MQTT_URL.

OpenF1's broker speaks TLS (mqtts, port 8883; or WebSockets, wss port 8084), takes any user name
(we send the account's e-mail) and an access token as the password (`ingest/openf1_auth.py`). Only
the collections the engine reads are subscribed: car_data and location alone would be hundreds of
messages a second, each one rejected. Scores still go to our own broker (MQTT_URL).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from gridscore.base.settings import Settings
from ingest.broker import BrokerConfig
from ingest.openf1_auth import TokenSource

TOPICS = tuple(
    f"v1/{c}"
    for c in (
        "sessions",
        "drivers",
        "starting_grid",
        "position",
        "laps",
        "overtakes",
        "pit",
        "race_control",
        "session_result",
        "driver_of_the_day",  # not OpenF1's: taken if a relay on that broker adds it, see docs/openf1.md
    )
)


def openf1_input(settings: Settings) -> tuple[Settings, BrokerConfig, tuple[str, ...]]:
    """The engine's settings for an OpenF1 input (topics under v1/, a journal of its own), the broker
    to subscribe to and the topics. Raises ValueError, with what to set, if the account is missing."""
    username, password = settings.openf1_username, settings.openf1_password
    if not username or not password:
        raise ValueError(
            "OPENF1_USERNAME and OPENF1_PASSWORD (an OpenF1 account) are needed: see docs/openf1.md"
        )
    tokens = TokenSource(settings.openf1_token_url, username, password)
    client_id = settings.openf1_client_id or f"gridscore-{hashlib.sha256(username.encode()).hexdigest()[:12]}"
    broker = BrokerConfig.from_url(
        settings.openf1_mqtt_url,
        client_id,
        username=username,
        ca_file=settings.openf1_ca_file,
        protocol="3.1.1",
    )
    if not broker.tls:
        raise ValueError(f"OPENF1_MQTT_URL must use TLS (mqtts:// or wss://): {settings.openf1_mqtt_url}")
    engine = settings.model_copy(
        update={
            "mqtt_input_prefix": "v1/",
            "mqtt_client_id": f"{settings.mqtt_client_id}-openf1",  # journal and recovery of their own
        }
    )
    silence = float(settings.openf1_silence_s) if settings.openf1_silence_s > 0 else None
    return engine, replace(broker, credentials=tokens, silence_s=silence), TOPICS
