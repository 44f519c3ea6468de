"""`gridscore record`: subscribe to the feed and write it as a recorded feed, until told to stop.

The same receiver as the engine's (QoS 1, acknowledged once written), with a clean session: the
file is the journal. Topics under `prefix` are written as `v1/...`, so the file replays anywhere.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.broker import BrokerConfig
from ingest.decode import DEFAULT_PREFIX
from ingest.journal import JournalWriter
from ingest.receiver import MqttReceiver, take_batch

log = logging.getLogger(__name__)


def from_prefix(prefix: str) -> Callable[[str], str]:
    def rename(topic: str) -> str:
        return DEFAULT_PREFIX + topic[len(prefix) :] if topic.startswith(prefix) else topic

    return rename


@dataclass(frozen=True, slots=True)
class Recorded:
    messages: int
    seconds: float


def record_feed(
    out: Path,
    broker: BrokerConfig,
    prefix: str = DEFAULT_PREFIX,
    duration: float | None = None,
    until_idle: float | None = None,
    connect_timeout: float = 10.0,
    ready: threading.Event | None = None,
) -> Recorded:
    """Record until `duration` seconds have passed, or `until_idle` seconds pass with no message
    after the first one, whichever comes first (neither: until interrupted)."""
    out.unlink(missing_ok=True)
    writer = JournalWriter(out)
    rename = from_prefix(prefix)
    receiver = MqttReceiver(broker, f"{prefix}#", writer, persistent=False, rename=rename)
    receiver.start()
    assert receiver.batches is not None
    started = time.monotonic()
    count = 0
    failed = True
    try:
        if not receiver.subscribed.wait(connect_timeout):
            raise ConnectionError(f"no MQTT broker answers at {broker.address}")
        if ready is not None:
            ready.set()
        last: float | None = None
        while True:
            got = take_batch(receiver.batches, 10_000, 0.05)
            if not got and not receiver.alive:
                # Its thread ended (a journal that cannot be written, a bug): say so, never wait on.
                raise RuntimeError(f"the MQTT receiver stopped: {receiver.failure!r}")
            now = time.monotonic()
            if got:
                count += len(got)
                last = now
            if duration is not None and now - started >= duration:
                break
            if until_idle is not None and last is not None and now - last >= until_idle:
                break
        failed = False
    finally:
        receiver.stop()
        try:
            writer.close()
        except OSError:
            if not failed:  # else the error that stopped the recording is the one to report
                raise
    return Recorded(count, time.monotonic() - started)
