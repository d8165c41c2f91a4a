"""Channel adapters: how one outbox row leaves the building (email, in-app bell, SMS).

An adapter raises TransientDeliveryError for what may work later (connection refused, 4xx replies, timeouts) and
PermanentDeliveryError for what will not (5xx replies). It never logs message content, only ids.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import re
import smtplib
import ssl
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

from caseapp.notifications import services as notifications
from caseapp.reminders.models import DeliveryChannel

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    """A message could not be delivered; str(error) is stored as the row's last_error (no personal data)."""


class TransientDeliveryError(DeliveryError):
    """Worth retrying: the server is down, busy, or said 4xx."""


class PermanentDeliveryError(DeliveryError):
    """Retrying will not help: the server said 5xx, or the recipient cannot get this channel."""


class ServerUnavailable(TransientDeliveryError):
    """The server could not be reached or dropped the connection: the next message would fare no better, so a
    batch stops and leaves the rest for later."""


@dataclass(frozen=True)
class OutgoingMessage:
    outbox_id: int
    message_id: str
    kind: str
    recipient_id: int
    recipient_email: str
    subject: str
    body: str
    link: str | None
    case_id: int | None
    created_at: datetime


class Channel(Protocol):
    def send(self, message: OutgoingMessage) -> None: ...


# --- email ------------------------------------------------------------------------------------------------------


def build_email(message: OutgoingMessage, mail_from: str) -> EmailMessage:
    """The same bytes on every attempt: Message-ID and Date come from the outbox row."""
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = message.recipient_email
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(message.created_at)
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body)
    return email


#: the email package's rendering, line ends as SMTP wants them
SMTP_POLICY = default_policy.clone(linesep="\r\n")
_ADDRESS = r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?"
_PLAIN_ADDRESS = re.compile(_ADDRESS)
_PLAIN_FROM = re.compile(rf"{_ADDRESS}|[A-Za-z0-9][A-Za-z0-9 ._-]*[A-Za-z0-9] <{_ADDRESS}>")
_PLAIN_WORD = re.compile(r"[\x21-\x7e]+")
_MAX_LINE = SMTP_POLICY.max_line_length or 78


def render_plain_email(message: OutgoingMessage, mail_from: str) -> bytes | None:
    """The bytes build_email(...) makes under SMTP_POLICY, written directly, for the messages caseapp sends (plain
    addresses, printable ASCII words in the subject, an ASCII body of short lines): the email package takes about
    half a millisecond a message, which is most of a reminder's cost. None for anything else, which then goes
    through build_email: which path a row takes depends on its content alone, so a resend is the same bytes."""
    if not (_PLAIN_FROM.fullmatch(mail_from) and _PLAIN_ADDRESS.fullmatch(message.recipient_email)):
        return None
    subject = _fold_plain("Subject", message.subject)
    lines = message.body.splitlines() or [""]
    if subject is None or not message.body.isascii() or any(len(line) > _MAX_LINE for line in lines):
        return None
    headers = [
        f"From: {mail_from}",
        f"To: {message.recipient_email}",
        subject,
        f"Message-ID: {message.message_id}",
        f"Date: {format_datetime(message.created_at)}",
        "Auto-Submitted: auto-generated",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: 7bit",
        "MIME-Version: 1.0",
    ]
    if any(len(header) > _MAX_LINE for header in headers if not header.startswith("Subject:")):
        return None
    return "\r\n".join([*headers, "", *lines, ""]).encode("ascii")


def _fold_plain(name: str, value: str) -> str | None:
    """An unstructured header of printable ASCII words separated by single spaces, folded at spaces into lines of
    at most 78 characters as the email package folds it (a value that fits on a line of its own starts on the
    next line; a longer one fills each line); None when the value is anything else."""
    words = value.split(" ")
    if not value or not all(_PLAIN_WORD.fullmatch(word) and len(word) < _MAX_LINE for word in words):
        return None
    if len(name) + 2 + len(value) <= _MAX_LINE:
        return f"{name}: {value}"
    if 1 + len(value) <= _MAX_LINE:
        return f"{name}:\r\n {value}"
    lines, line = [], f"{name}:"
    for word in words:
        if len(line) + 1 + len(word) > _MAX_LINE:
            lines.append(line)
            line = ""
        line += f" {word}"
    return "\r\n".join([*lines, line])


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    use_ssl: bool
    starttls: bool
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """smtp://[user:password@]host[:port][?starttls=1] or smtps://... (implicit TLS)."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("CASEAPP_SMTP_URL must look like smtp://host:port or smtps://user:password@host:port")
        use_ssl = parts.scheme == "smtps"
        query = parse_qs(parts.query)
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if use_ssl else 25),
            use_ssl=use_ssl,
            starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )


def _smtp_error_text(code: int, reply: bytes | str) -> str:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    return f"SMTP {code}: {text}"[:300]


#: open SMTP connections kept between messages, per process and thread (never shared across a fork)
_CONNECTIONS: dict[tuple[int, int, SmtpSettings], tuple[smtplib.SMTP, int]] = {}
#: messages sent on one connection before it is closed and a fresh one opened
MESSAGES_PER_CONNECTION = 100


@atexit.register
def close_connections() -> None:
    """Say QUIT on every kept SMTP connection of this process (at exit, and when a test's server goes away)."""
    pid = os.getpid()
    for key in [key for key in _CONNECTIONS if key[0] == pid]:
        smtp, _ = _CONNECTIONS.pop(key)
        _quit_quietly(smtp)


class _TrackedSmtp(smtplib.SMTP):
    """smtplib.SMTP that remembers the last command it sent, so a failure can be placed before or after DATA."""

    last_command = ""

    def putcmd(self, cmd: str, args: str = "") -> None:
        self.last_command = cmd.lower()
        super().putcmd(cmd, args)


class _TrackedSmtpSsl(_TrackedSmtp, smtplib.SMTP_SSL):
    pass


class SmtpChannel:
    def __init__(self, settings: SmtpSettings, mail_from: str, timeout: float) -> None:
        self.settings = settings
        self.mail_from = mail_from
        self.envelope_from = parseaddr(mail_from)[1]
        self.timeout = timeout

    def send(self, message: OutgoingMessage) -> None:
        data = render_plain_email(message, self.mail_from)
        email = build_email(message, self.mail_from) if data is None else None
        envelope_from = self.envelope_from

        def transmit(smtp: smtplib.SMTP) -> None:
            if email is not None:
                smtp.send_message(email)
            else:
                smtp.sendmail(envelope_from, [message.recipient_email], data or b"")

        key = (os.getpid(), threading.get_ident(), self.settings)
        smtp, used = _CONNECTIONS.pop(key, (None, 0))
        try:
            if smtp is not None:
                try:
                    transmit(smtp)
                except (smtplib.SMTPServerDisconnected, ConnectionError):
                    # the kept connection had gone stale: send the message on a new one, but only if its DATA was
                    # never sent (a reply that timed out after DATA may be an accepted message; the outbox retries)
                    if getattr(smtp, "last_command", "") == "data":
                        raise
                    _quit_quietly(smtp)
                    smtp, used = None, 0
            if smtp is None:
                smtp = self._connect()
                transmit(smtp)
        except (smtplib.SMTPException, OSError) as exc:
            _quit_quietly(smtp)
            raise _delivery_error(exc) from exc
        # once DATA is accepted the message is sent; the connection is kept for the next one
        if used + 1 >= MESSAGES_PER_CONNECTION:
            _quit_quietly(smtp)
        else:
            _CONNECTIONS[key] = (smtp, used + 1)

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        smtp: smtplib.SMTP
        if settings.use_ssl:
            smtp = _TrackedSmtpSsl(
                settings.host, settings.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = _TrackedSmtp(settings.host, settings.port, timeout=self.timeout)
        try:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                smtp.login(settings.username, settings.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp


def _delivery_error(exc: smtplib.SMTPException | OSError) -> DeliveryError:
    """What an SMTP failure means for the message: 5xx permanent; the server unreachable, dropping the connection or
    closing it (421) means none of the next messages would go either; any other 4xx is worth another try."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        code, reply = next(iter(exc.recipients.values()))
        refused = PermanentDeliveryError if all(c >= 500 for c in codes) else TransientDeliveryError
        return refused(_smtp_error_text(code, reply))
    if isinstance(exc, smtplib.SMTPResponseException):  # sender refused, data refused, ...
        text = _smtp_error_text(exc.smtp_code, exc.smtp_error)
        if exc.smtp_code >= 500:
            return PermanentDeliveryError(text)
        return ServerUnavailable(text) if exc.smtp_code == 421 else TransientDeliveryError(text)
    text = f"{type(exc).__name__}: {exc}"[:300]
    if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):  # refused, dropped, timed out
        return ServerUnavailable(text)
    return TransientDeliveryError(text)  # anything else smtplib refuses to go on with (TLS, auth not offered, ...)


def _quit_quietly(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]")


class MailDirChannel:
    """Embedded mode (no CASEAPP_SMTP_URL): each email is an .eml file named after its Message-ID.

    Writing the same message twice replaces the file, so the directory holds each message once.
    """

    def __init__(self, directory: str | Path, mail_from: str) -> None:
        self.directory = Path(directory)
        self.mail_from = mail_from

    def path_for(self, message_id: str) -> Path:
        return self.directory / f"{_UNSAFE.sub('_', message_id.strip('<>'))}.eml"

    def send(self, message: OutgoingMessage) -> None:
        email = build_email(message, self.mail_from)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            target = self.path_for(message.message_id)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".eml")
            with os.fdopen(fd, "wb") as handle:
                handle.write(email.as_bytes())
            os.replace(tmp, target)
        except OSError as exc:
            raise TransientDeliveryError(f"{type(exc).__name__}: could not write the mail file") from exc


# --- in-app -----------------------------------------------------------------------------------------------------


class InAppChannel:
    """The bell: a Notification row, added to the delivery's own transaction, which also marks the row sent.

    Either both commit or neither does, so a retried in-app delivery cannot make a second notification.
    """

    def send(self, message: OutgoingMessage) -> None:
        notifications.notify(
            [message.recipient_id],
            kind=f"callback_{message.kind}",
            title=message.subject,
            link=message.link,
            case_id=message.case_id,
        )


# --- SMS --------------------------------------------------------------------------------------------------------


class SmsProvider(Protocol):
    """What an SMS gateway adapter implements. `reference` is the idempotency key to pass on, if it takes one."""

    def send_sms(self, *, recipient_id: int, text: str, reference: str) -> None: ...


class LoggingSmsProvider:
    """Logs that an SMS would go out (ids only). The default until a gateway is contracted."""

    def send_sms(self, *, recipient_id: int, text: str, reference: str) -> None:
        logger.info("sms (logging provider)", extra={"recipient_id": recipient_id, "reference": reference})


SMS_PROVIDERS: dict[str, type[Any]] = {"logging": LoggingSmsProvider}


class SmsChannel:
    def __init__(self, provider: SmsProvider) -> None:
        self.provider = provider

    def send(self, message: OutgoingMessage) -> None:
        self.provider.send_sms(recipient_id=message.recipient_id, text=message.subject, reference=message.message_id)


@functools.lru_cache(maxsize=8)
def _smtp_channel(url: str, mail_from: str, timeout: float) -> SmtpChannel:
    """One adapter per configuration (it holds no connection: those are kept per process and thread)."""
    return SmtpChannel(SmtpSettings.from_url(url), mail_from, timeout)


def channel_for(channel: DeliveryChannel) -> Channel:
    """The adapter for a channel, configured from the app's settings."""
    config = current_app.config
    if channel == DeliveryChannel.EMAIL:
        if config.get("SMTP_URL"):
            return _smtp_channel(config["SMTP_URL"], config["MAIL_FROM"], float(config["SMTP_TIMEOUT_SECONDS"]))
        return MailDirChannel(config["MAIL_DIR"], config["MAIL_FROM"])
    if channel == DeliveryChannel.IN_APP:
        return InAppChannel()
    if channel == DeliveryChannel.SMS:
        provider = SMS_PROVIDERS.get(str(config["SMS_PROVIDER"]))
        if provider is None:
            raise PermanentDeliveryError(f"unknown SMS provider {config['SMS_PROVIDER']!r}")
        return SmsChannel(provider())
    raise PermanentDeliveryError(f"unknown channel {channel!r}")
