"""The MQTT subscriber: aiomqtt on an asyncio loop of its own, writing every message to a journal.

Messages are acknowledged by hand (paho's manual ack; aiomqtt has no option for it) only once
they are written and flushed, so the broker re-delivers whatever the process had not written
down when it died. With a persistent session the broker also keeps what arrives while we are away.

The engine runs this in a process of its own (`run_receiver`), so that a busy flow never starves
it of the GIL: a subscriber that falls behind loses messages to the broker's queue limit
(Mosquitto's `max_queued_messages`, 1000 by default). `gridscore record` runs it in a thread.

A broker whose password is an expiring token (`BrokerConfig.credentials`) is left and joined again
with a new one when the token is due for renewal; the persistent session keeps what arrives between.
With `BrokerConfig.silence_s`, a connection that hears nothing that long is opened again (OpenF1's
feed once went silent mid-race while the connection stayed up).

Broker trouble (`MqttError`, or no password to be had: `CredentialsError`) means reconnecting;
anything else (the journal cannot be written, a bug) ends the receiver thread, and `run_receiver`
then exits with code 1 so that the engine starts a new one: never a process that is up but receives
nothing. The failed batch was not acknowledged, so the broker delivers it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import queue
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import aiomqtt
from tenacity import RetryCallState

from gridscore.base.retry import until_reached_async
from ingest.broker import QOS, BrokerConfig, CredentialsError
from ingest.journal import JournalWriter, MqttMessage, journal_lock

log = logging.getLogger(__name__)

HANDOVER_MAX = 500  # messages journaled and acknowledged together, at most
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0

TopicFilter = str | tuple[str, ...]  # one filter, or several subscribed together


class MqttReceiver:
    """Subscribes to one topic filter; journals, acknowledges, then (optionally) queues each batch.

    Runs in a daemon thread with its own asyncio loop (aiomqtt clients must be created inside the
    loop that drives them); reconnects with the one retry policy whatever the broker's failure.
    """

    def __init__(
        self,
        broker: BrokerConfig,
        topic_filter: TopicFilter,
        journal: JournalWriter,
        persistent: bool = True,
        rename: Callable[[str], str] = str,
        handover: bool = True,
    ) -> None:
        self.broker = broker
        self.topic_filter = topic_filter
        self.journal = journal
        self.persistent = persistent
        self.rename = rename
        self.batches: queue.Queue[list[MqttMessage]] | None = queue.Queue() if handover else None
        self.subscribed = threading.Event()
        self.received = 0
        self.failure: BaseException | None = None  # what ended the thread, if not stop()
        self._stopping = threading.Event()
        self._renew = False  # ask the broker's credentials for a new password, not the cached one
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._thread = threading.Thread(target=self._run, name="mqtt-receiver", daemon=True)

    def start(self) -> MqttReceiver:
        self._thread.start()
        return self

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        loop, task = self._loop, self._task
        if loop is not None and task is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(task.cancel)
        self._thread.join(timeout)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._task = loop.create_task(self._connect_forever())
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(self._task)
        finally:
            loop.close()

    async def _connect_forever(self) -> None:
        """Sessions one after the other until stopped: a connection that cannot be made is tried
        again with the one retry policy (gridscore/base/retry.py); one that worked and ended is
        opened again after the policy's first wait."""
        filters = (self.topic_filter,) if isinstance(self.topic_filter, str) else self.topic_filter
        self._renew = False
        reconnect = until_reached_async(
            (aiomqtt.MqttError, CredentialsError),
            BACKOFF_FIRST_S,
            BACKOFF_MAX_S,
            before_sleep=self._reconnecting,
            give_up=self._stopping.is_set,
        )
        while not self._stopping.is_set():
            try:
                ended: aiomqtt.MqttError | None = await reconnect(self._session, filters)
            except (aiomqtt.MqttError, CredentialsError):
                return  # stopping
            except Exception as exc:  # not the broker's doing: give up, unacknowledged, and say so
                self.failure = exc
                log.exception("MQTT receiver stopped: %s", exc)
                return
            if ended is not None and not self._stopping.is_set():
                log.warning(
                    "MQTT %s: %s; reconnecting in %.1f s", self.broker.address, ended, BACKOFF_FIRST_S
                )
                await asyncio.sleep(BACKOFF_FIRST_S)

    async def _session(self, filters: tuple[str, ...]) -> aiomqtt.MqttError | None:
        """Connect, subscribe, journal until the session ends: None when it was left on purpose (a
        password renewal, a silence), the error when the broker ended it after the subscription. A
        connection or subscription that fails raises, for the retry policy."""
        password, renew_at = await asyncio.to_thread(self.broker.current_password, self._renew)
        client = replace(self.broker, password=password).aiomqtt_client(persistent=self.persistent)
        client._client.manual_ack_set(True)
        try:
            async with client:
                await client.subscribe([(f, QOS) for f in filters])
                log.info(
                    "subscribed to %s on %s at QoS %d as %s",
                    ", ".join(filters),
                    self.broker.address,
                    QOS,
                    self.broker.client_id,
                )
                self.subscribed.set()
                self._renew = False
                try:
                    await self._receive(client, renew_at)
                except aiomqtt.MqttError as exc:
                    return exc
        finally:
            self.subscribed.clear()
        return None

    def _reconnecting(self, state: RetryCallState) -> None:
        self._renew = self.broker.credentials is not None
        error = state.outcome.exception() if state.outcome is not None else None
        wait = state.upcoming_sleep
        log.warning("MQTT %s: %s; reconnecting in %.1f s", self.broker.address, error, wait)

    async def _receive(self, client: aiomqtt.Client, renew_at: float | None = None) -> None:
        """Journal, acknowledge and hand over batches; returns at `renew_at` (epoch seconds), if any,
        or after `silence_s` without a message: the caller then connects again."""
        messages = client.messages
        loop = asyncio.get_running_loop()
        renew = None if renew_at is None else loop.time() + (renew_at - time.time())
        silence = self.broker.silence_s
        while True:
            quiet = None if silence is None else loop.time() + silence
            deadline = min((t for t in (renew, quiet) if t is not None), default=None)
            try:
                async with asyncio.timeout_at(deadline):  # only while waiting: a batch is never cut
                    first = await anext(messages)
            except StopAsyncIteration:
                return
            except TimeoutError:
                if renew is not None and loop.time() >= renew:
                    log.info("MQTT %s: password due for renewal; reconnecting", self.broker.address)
                else:
                    log.warning("MQTT %s: no message for %.0f s; reconnecting", self.broker.address, silence)
                return
            batch = [first]
            while len(batch) < HANDOVER_MAX and len(messages) > 0:
                batch.append(await anext(messages))
            at = datetime.now(UTC)
            numbered = self.journal.append(
                [(self.rename(m.topic.value), _payload_bytes(m.payload), at) for m in batch]
            )
            for message in batch:
                if message.qos > 0:
                    client._client.ack(message.mid, message.qos)
            self.received += len(numbered)
            if self.batches is not None:
                self.batches.put(numbered)


def _payload_bytes(payload: object) -> bytes:
    if isinstance(payload, (bytes, bytearray)):
        return bytes(payload)
    return b"" if payload is None else str(payload).encode()


def take_batch(batches: queue.Queue[list[MqttMessage]], limit: int, wait: float) -> list[MqttMessage]:
    """Up to about `limit` messages: waits `wait` seconds for the first batch, then takes what is there."""
    try:
        out = list(batches.get(timeout=wait))
    except queue.Empty:
        return []
    while len(out) < limit:
        try:
            out.extend(batches.get_nowait())
        except queue.Empty:
            break
    return out


class Flag(Protocol):
    """A flag the engine reads across processes (a `multiprocessing` Event)."""

    def set(self) -> None: ...
    def clear(self) -> None: ...


WATCH_S = 0.2  # how often the process looks at its receiver thread, its parent and SIGTERM


def run_receiver(
    broker: BrokerConfig,
    topic_filter: TopicFilter,
    journal: str,
    parent_pid: int,
    log_level: str,
    log_format: str,
    subscribed: Flag | None = None,
) -> None:
    """Process entry point: receive into the journal until SIGTERM or until the parent is gone.

    `subscribed` mirrors whether the broker has us subscribed, for the engine's health. Exits with
    code 1 if the receiver thread stops by itself."""
    from gridscore.base.logs import configure_logging

    configure_logging(log_level, log_format)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the engine decides
    _terminate_with_parent()
    path = Path(journal)
    with journal_lock(path):
        writer = JournalWriter(path)
        receiver = MqttReceiver(broker, topic_filter, writer, handover=False).start()
        try:
            while not stop.wait(WATCH_S):
                if subscribed is not None:
                    (subscribed.set if receiver.subscribed.is_set() else subscribed.clear)()
                if not receiver.alive:
                    break
                if os.getppid() != parent_pid:
                    log.warning("the engine (pid %d) is gone: receiver exits", parent_pid)
                    break
        finally:
            if subscribed is not None:
                subscribed.clear()
            receiver.stop()
            writer.close()
    if receiver.failure is not None:
        log.error("MQTT receiver process exits with code 1: %r", receiver.failure)
        raise SystemExit(1)


def _terminate_with_parent() -> None:
    """Linux: SIGTERM when the engine dies, even by SIGKILL (else the getppid check finds out)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
