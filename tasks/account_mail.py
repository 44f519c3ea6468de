"""Account e-mails (address verification, password reset) queued by the API and sent by a worker.

The API never talks SMTP: a request that must send mail queues this task and answers at once, so that
a slow or absent mail server costs the player nothing but the wait for the e-mail. A failed send is
retried with backoff; a re-delivered task sends at most one more copy of the same single-use link.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from gridscore.base.settings import get_settings
from tasks.app import app
from tasks.mailer import Mailer

ACCOUNT_MAIL_TASK = "tasks.account_mail"
log = logging.getLogger(__name__)


@app.task(
    name=ACCOUNT_MAIL_TASK,
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=10,
)
def account_mail(to: str, subject: str, body: str) -> bool:
    """Send one account e-mail; False (logged, not retried) when no SMTP server is configured."""
    settings = get_settings()
    if not settings.smtp_host:
        log.warning("an account e-mail was not sent: SMTP_HOST is not set")
        return False
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="gridscore")
    message.set_content(body)
    with Mailer(settings) as mailer:
        mailer.send(message)
    return True
