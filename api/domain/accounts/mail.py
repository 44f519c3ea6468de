"""Account e-mails from the API: a single-use token in Redis (live/tickets.TicketBook: only its hash is
stored, GETDEL redeems it once) and a Celery task (tasks/account_mail.py) that sends the e-mail, so that
no request waits for SMTP."""

from __future__ import annotations

from dataclasses import dataclass

import anyio
from celery import Celery

from api.domain.live.tickets import TicketBook

ACCOUNT_MAIL_TASK = "tasks.account_mail"  # tasks/account_mail.py


class MailQueue:
    """Queues account e-mails for the Celery workers, without importing the workers' app."""

    def __init__(self, broker_url: str) -> None:
        self.celery = Celery("gridscore-api", broker=broker_url)
        self.celery.conf.update(broker_connection_retry_on_startup=True, task_serializer="json")

    async def send(self, to: str, subject: str, body: str) -> None:
        await anyio.to_thread.run_sync(
            lambda: self.celery.send_task(
                ACCOUNT_MAIL_TASK, kwargs={"to": to, "subject": subject, "body": body}
            )
        )


@dataclass(frozen=True, slots=True)
class AccountMail:
    queue: MailQueue
    verifications: TicketBook  # a token proves the player reads the account's e-mail
    resets: TicketBook  # a token lets whoever reads the account's e-mail set a new password

    async def verification(self, user_id: int, email: str) -> None:
        token = await self.verifications.issue(user_id)
        hours = int(self.verifications.ttl.total_seconds() // 3600)
        await self.queue.send(
            email,
            "Confirm your GridScore e-mail address",
            f"Your confirmation code:\n\n    {token}\n\nThe game confirms it with POST"
            f" /api/auth/verification/confirm. It works once, for {hours} hours.\n",
        )

    async def reset(self, user_id: int, email: str) -> None:
        token = await self.resets.issue(user_id)
        minutes = int(self.resets.ttl.total_seconds() // 60)
        await self.queue.send(
            email,
            "Reset your GridScore password",
            f"Someone (you, we hope) asked to reset your password. Your reset code:\n\n    {token}\n\n"
            f"The game sets the new password with POST /api/auth/password-reset/confirm. It works once,"
            f" for {minutes} minutes. If you did not ask, ignore this e-mail: your password stays.\n",
        )
