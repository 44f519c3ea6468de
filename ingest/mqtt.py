"""Live input as a Bytewax source: MQTT -> journal (receiver process) -> flow (this partition).

    broker --QoS 1, persistent session--> receiver process (aiomqtt, ingest/receiver.py)
        -> journal: append + flush, then PUBACK to the broker
    MqttSource partition: follows the journal from an offset, hands the flow up to 1000 at a time;
        restarts the receiver process whenever it dies; reports its progress to IngestHealth

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
from ingest.health import IngestHealth, ReceiverStatus
from ingest.journal import JournalTail, MqttMessage, journal_lock, repair_and_count
from ingest.receiver import TopicFilter, run_receiver

__all__ = ["JournalStart", "MqttMessage", "MqttSource"]

log = logging.getLogger(__name__)

BATCH_SIZE = 1000  # messages handed to the flow per next_batch, at most
POLL = timedelta(milliseconds=5)  # how often an idle partition looks at the journal again
RESTART_FIRST_S = 1.0  # a dead receiver is restarted after this, then after twice as long...
RESTART_MAX_S = 30.0  # ...up to this
STEADY_S = 60.0  # a receiver that ran this long before dying starts the backoff over


class JournalStart(StrEnum):
    BEGINNING = "beginning"  # with recovery and no snapshot yet: the whole journal is replayed
    END = "end"  # without recovery: only what arrives from now on


class ReceiverProcess:
    """Runs the subscriber in a child process and restarts it, with backoff, whenever it dies.

    The flow's thread calls `check` (restarts); /health's thread calls `status`: a lock keeps the
    two from reaping the same child at once."""

    def __init__(
        self, broker: BrokerConfig, topic_filter: TopicFilter, journal: Path, log_format: str
    ) -> None:
        self.broker = broker
        self.topic_filter = topic_filter
        self.journal = journal
        self.log_format = log_format
        self._context = multiprocessing.get_context("spawn")
        self._subscribed = self._context.Event()  # set by the child while it is subscribed
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._started_at = 0.0
        self._changed_at = time.monotonic()
        self._seen = (False, False)  # (running, subscribed) when last looked at
        self._died_at: float | None = None
        self._exitcode: int | None = None
        self._restarts = 0
        self._delay = RESTART_FIRST_S

    def start(self) -> None:
        with self._lock:
            self._spawn()

    def _spawn(self) -> None:
        level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
        self._subscribed.clear()
        process = self._context.Process(
            target=run_receiver,
            args=(
                self.broker,
                self.topic_filter,
                str(self.journal),
                os.getpid(),
                level,
                self.log_format,
                self._subscribed,
            ),
            name="gridscore-mqtt-receiver",
            daemon=True,
        )
        process.start()
        self._process = process
        self._started_at = time.monotonic()
        self._died_at = None
        log.info("MQTT receiver started (pid %s)", process.pid)

    def _observe(self) -> tuple[bool, bool]:
        """(running, subscribed) now; notes when either changed and when the process died."""
        process = self._process
        running = process is not None and process.is_alive()
        subscribed = running and self._subscribed.is_set()
        now = time.monotonic()
        if (running, subscribed) != self._seen:
            self._seen = (running, subscribed)
            self._changed_at = now
        if process is not None and not running and self._died_at is None:
            self._died_at = now
            self._exitcode = process.exitcode
            if now - self._started_at > STEADY_S:
                self._delay = RESTART_FIRST_S
            log.error(
                "MQTT receiver (pid %s) exited with code %s; restarting it in %.0f s",
                process.pid,
                process.exitcode,
                self._delay,
            )
        return running, subscribed

    def check(self) -> None:
        """Restart the receiver if it died, once its backoff delay has passed."""
        with self._lock:
            if self._process is None:
                return
            self._observe()
            if self._died_at is None or time.monotonic() - self._died_at < self._delay:
                return
            self._delay = min(self._delay * 2, RESTART_MAX_S)
            self._restarts += 1
            self._spawn()

    def status(self) -> ReceiverStatus:
        with self._lock:
            running, subscribed = self._observe()
            return ReceiverStatus(running, subscribed, self._changed_at, self._exitcode, self._restarts)

    def stop(self, timeout: float = 10.0) -> None:
        with self._lock:
            process, self._process = self._process, None
            if process is None:
                return
            if process.is_alive():
                process.terminate()  # SIGTERM: it stops receiving and closes the journal
                process.join(timeout)
            if process.is_alive():
                process.kill()
                process.join(timeout)
            self._observe()


class _MqttPartition(StatefulSourcePartition[MqttMessage, int]):
    def __init__(
        self,
        receiver: ReceiverProcess,
        tail: JournalTail,
        stop: threading.Event,
        health: IngestHealth | None,
    ) -> None:
        self._receiver = receiver
        self._tail = tail
        self._stop = stop
        self._health = health
        self._stopped = False
        self._idle = False

    def next_batch(self) -> list[MqttMessage]:
        if self._stop.is_set() and not self._stopped:
            self._receiver.stop()  # take nothing new; hand over what is journaled, then end
            self._stopped = True
        batch = self._tail.read(BATCH_SIZE)
        self._idle = not batch
        if self._health is not None:
            self._health.progress(self._tail.offset, self._tail.position, len(batch) < BATCH_SIZE)
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
        topic_filter: TopicFilter,
        journal: Path,
        start: JournalStart = JournalStart.END,
        stop: threading.Event | None = None,
        log_format: str = "json",
        health: IngestHealth | None = None,
    ) -> None:
        self.broker = broker
        self.topic_filter = topic_filter
        self.journal = journal
        self.start = start
        self.stop = stop or threading.Event()
        self.log_format = log_format
        self.health = health

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
        if self.health is not None:
            self.health.attach(receiver)
        return _MqttPartition(receiver, JournalTail(self.journal, first), self.stop, self.health)
