"""Live input as a Bytewax source: MQTT -> journal (receiver process) -> flow (this partition).

    broker --QoS 1, persistent session--> receiver process (aiomqtt, ingest/receiver.py)
        -> journal: append + flush, then PUBACK to the broker
    MqttSource partition: follows the journal from an offset, hands the flow up to 1000 at a time

The journal is the hand-over, so every message the broker delivered is written down before the
flow sees it, and the partition's state is one number: the journal offset of the next message to
hand over. Under Bytewax recovery a restart resumes from the offset of the last snapshot and
replays the journal from there; the broker meanwhile kept what arrived while the engine was away
(persistent session). Without recovery, the engine starts at the end of the journal.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from multiprocessing.process import BaseProcess
from pathlib import Path

from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition

from ingest.broker import BrokerConfig
from ingest.journal import JournalTail, MqttMessage, journal_lock, repair_and_count
from ingest.receiver import run_receiver

__all__ = ["JournalStart", "MqttMessage", "MqttSource"]

log = logging.getLogger(__name__)

BATCH_SIZE = 1000  # messages handed to the flow per next_batch, at most
POLL = timedelta(milliseconds=5)  # how often an idle partition looks at the journal again
RESTART_AFTER_S = 2.0


class JournalStart(StrEnum):
    BEGINNING = "beginning"  # with recovery and no snapshot yet: the whole journal is replayed
    END = "end"  # without recovery: only what arrives from now on


class ReceiverProcess:
    """Runs the subscriber in a child process and restarts it if it dies."""

    def __init__(self, broker: BrokerConfig, topic_filter: str, journal: Path, log_format: str) -> None:
        self.broker = broker
        self.topic_filter = topic_filter
        self.journal = journal
        self.log_format = log_format
        self._process: BaseProcess | None = None
        self._started_at = 0.0

    def start(self) -> None:
        level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
        context = multiprocessing.get_context("spawn")
        self._process = context.Process(
            target=run_receiver,
            args=(self.broker, self.topic_filter, str(self.journal), os.getpid(), level, self.log_format),
            name="gridscore-mqtt-receiver",
            daemon=True,
        )
        self._process.start()
        self._started_at = time.monotonic()

    def check(self) -> None:
        """Restart the receiver if it died (never more often than every RESTART_AFTER_S)."""
        if self._process is None or self._process.is_alive():
            return
        if time.monotonic() - self._started_at < RESTART_AFTER_S:
            return
        log.error("MQTT receiver exited with code %s; restarting it", self._process.exitcode)
        self.start()

    def stop(self, timeout: float = 10.0) -> None:
        if self._process is None:
            return
        if self._process.is_alive():
            self._process.terminate()  # SIGTERM: it stops receiving and closes the journal
            self._process.join(timeout)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(timeout)
        self._process = None


class _MqttPartition(StatefulSourcePartition[MqttMessage, int]):
    def __init__(self, receiver: ReceiverProcess, tail: JournalTail, stop: threading.Event) -> None:
        self._receiver = receiver
        self._tail = tail
        self._stop = stop
        self._stopped = False
        self._idle = False

    def next_batch(self) -> list[MqttMessage]:
        if self._stop.is_set() and not self._stopped:
            self._receiver.stop()  # take nothing new; hand over what is journaled, then end
            self._stopped = True
        batch = self._tail.read(BATCH_SIZE)
        self._idle = not batch
        if batch:
            return batch
        if self._stopped:
            raise StopIteration
        self._receiver.check()
        return batch

    def next_awake(self) -> datetime | None:
        return datetime.now(UTC) + POLL if self._idle else None

    def snapshot(self) -> int:
        return self._tail.offset

    def close(self) -> None:
        self._receiver.stop()
        self._tail.close()


class MqttSource(FixedPartitionedSource[MqttMessage, int]):
    """One partition (one subscription, one journal); its state is the next journal offset.

    Setting `stop` ends the input: the flow then closes its windows and finishes.
    """

    def __init__(
        self,
        broker: BrokerConfig,
        topic_filter: str,
        journal: Path,
        start: JournalStart = JournalStart.END,
        stop: threading.Event | None = None,
        log_format: str = "json",
    ) -> None:
        self.broker = broker
        self.topic_filter = topic_filter
        self.journal = journal
        self.start = start
        self.stop = stop or threading.Event()
        self.log_format = log_format

    def list_parts(self) -> list[str]:
        return ["mqtt"]

    def build_part(self, step_id: str, for_part: str, resume_state: int | None) -> _MqttPartition:
        self.journal.parent.mkdir(parents=True, exist_ok=True)
        with journal_lock(self.journal):  # a receiver left by a killed engine finishes first
            end = repair_and_count(self.journal)  # then a torn last line is cut
        if resume_state is not None:
            first = resume_state
        else:
            first = 0 if self.start is JournalStart.BEGINNING else end
        if first > end:
            log.warning("snapshot offset %d is past the journal's end (%d): journal lost?", first, end)
            first = end
        log.info("journal %s holds %d messages; the flow starts at offset %d", self.journal, end, first)
        receiver = ReceiverProcess(self.broker, self.topic_filter, self.journal, self.log_format)
        receiver.start()
        return _MqttPartition(receiver, JournalTail(self.journal, first), self.stop)
