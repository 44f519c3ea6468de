"""Send notification e-mails through SMTP, one connection per delivery task."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from types import TracebackType

from gridscore.base.settings import Settings


class Mailer:
    def __init__(self, settings: Settings, timeout_s: float = 30.0) -> None:
        if not settings.smtp_host:
            raise ValueError("SMTP_HOST is not set")
        self.settings = settings
        self.timeout_s = timeout_s
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def send(self, message: EmailMessage) -> None:
        """Returns once the server accepted the message (250 after DATA); raises otherwise."""
        self._connection().send_message(message)

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is None:
            s = self.settings
            assert s.smtp_host is not None
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout_s)
            if s.smtp_starttls:
                smtp.starttls()
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password or "")
            self._smtp = smtp
        return self._smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None
