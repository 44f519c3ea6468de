"""`gridscore publish`: a recorded feed to the broker, topic and payload as recorded, QoS 1, paced by `at`.

Speed 0 publishes as fast as the broker acknowledges; 1 is real time; 20 is twenty times faster,
with silences longer than `max_gap` seconds of wall time (the night between sessions) cut short.
Recorded topics start with `v1/`; `prefix` replaces that (for example `test-1234/v1/`).

Whatever the speed, at most `window` messages wait for the broker's PUBACK (so nothing piles up in
the client and a broker that goes away stops the publish instead of filling memory), and at most
`max_rate` go out a second. The rate cap is what protects subscribers: a broker acknowledges a
message once it has queued it, not once a subscriber has it, and drops QoS 1 messages for a
subscriber that falls more than `max_queued_messages` behind (Mosquitto: 1000 by default). Measured
here, a subscriber taking 0.5 ms a message got 1,139 of 2,110 messages published unpaced and 1,792
with one message in flight at a time; at 1,000 a second it gets them all (docs/mqtt.md).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import msgspec

from ingest.broker import BrokerConfig, Publisher
from ingest.decode import DEFAULT_PREFIX, Envelope
from ingest.recorded import Pacer, iter_lines

log = logging.getLogger(__name__)

_envelope = msgspec.json.Decoder(Envelope)


def to_prefix(topic: str, prefix: str) -> str:
    """A recorded `v1/...` topic under another prefix; any other topic as it is."""
    return prefix + topic[len(DEFAULT_PREFIX) :] if topic.startswith(DEFAULT_PREFIX) else topic


class RateLimit:
    """At most `per_second` messages a second (0: no limit), sleeping in steps of a few ms."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self._next = time.monotonic()

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        self._next = max(self._next, now - 0.01) + self.interval  # a burst of at most 10 ms
        ahead = self._next - now
        if ahead > 0.002:
            time.sleep(ahead)


DEFAULT_WINDOW = 10  # messages awaiting the broker's PUBACK, at most
DEFAULT_MAX_RATE = 1_000.0  # messages a second: under half what a slow journaling subscriber takes
ACK_TIMEOUT_S = 120.0  # no PUBACK for this long: the broker is gone, the publish stops


@dataclass(frozen=True, slots=True)
class Published:
    messages: int
    skipped_lines: int
    acknowledged: bool
    seconds: float


def publish_feeds(
    paths: list[Path],
    broker: BrokerConfig,
    speed: float = 0.0,
    prefix: str = DEFAULT_PREFIX,
    max_gap: float = 5.0,
    max_rate: float = DEFAULT_MAX_RATE,
    window: int = DEFAULT_WINDOW,
) -> Published:
    if window < 1:
        raise ValueError(f"the in-flight window must be at least 1 message, not {window}")
    publisher = Publisher(broker)
    if not publisher.connected:
        publisher.close(timeout=0)
        raise ConnectionError(f"no MQTT broker answers at {broker.address}")
    started = time.perf_counter()
    pacer = Pacer(speed, max_gap)
    limit = RateLimit(max_rate)
    count = skipped = 0
    try:
        for path in paths:
            for line in iter_lines(path):
                try:
                    envelope = _envelope.decode(line)
                except (msgspec.DecodeError, msgspec.ValidationError):
                    skipped += 1  # not a recorded-feed line: nothing to publish
                    continue
                at = envelope.at if envelope.at.tzinfo else envelope.at.replace(tzinfo=UTC)
                pacer.wait(at)
                limit.wait()
                if not publisher.wait_for_window(window, ACK_TIMEOUT_S):
                    log.error("no PUBACK from %s for %.0f s: publish stopped", broker.address, ACK_TIMEOUT_S)
                    return Published(count, skipped, False, time.perf_counter() - started)
                publisher.publish(to_prefix(envelope.topic, prefix), bytes(envelope.payload))
                count += 1
        acknowledged = publisher.flush(timeout=ACK_TIMEOUT_S)
    finally:
        publisher.close()
    return Published(count, skipped, acknowledged, time.perf_counter() - started)
