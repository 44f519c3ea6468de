"""A real SMTP server (aiosmtpd) that keeps every message whole, and a real Celery worker
(`gridscore worker`) that sends the API's account e-mails to it."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.api.server import free_port

GRIDSCORE = Path(sys.executable).parent / "gridscore"
CODE = re.compile(r"^ {4}(\S+)\s*$", re.MULTILINE)  # the code stands alone on an indented line


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.original_content or envelope.content or b""
        assert isinstance(content, bytes)
        with self.lock:
            self.messages.append(cast(EmailMessage, message_from_bytes(content, policy=policy.default)))
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def wait_for(self, to: str, subject: str, after: int = 0, timeout_s: float = 30) -> EmailMessage:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.lock:
                for message in self.messages[after:]:
                    if message["To"] == to and subject in str(message["Subject"]):
                        return message
            time.sleep(0.05)
        raise AssertionError(f"no e-mail {subject!r} to {to} within {timeout_s} s")

    @staticmethod
    def code(message: EmailMessage) -> str:
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        found = CODE.search(body.get_content())
        assert found, body.get_content()
        return found.group(1)


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@contextlib.contextmanager
def celery_worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`gridscore worker` in a process group of its own; stopped (and its pool) on exit."""
    with log.open("ab") as out:
        worker = subprocess.Popen(
            [str(GRIDSCORE), "worker", "--concurrency", "1"],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield worker
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
