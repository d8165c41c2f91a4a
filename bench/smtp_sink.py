"""A lean SMTP sink on loopback for the callbacks benchmark: accepts every message, records (Message-ID, recipient,
time accepted), and can hold each reply back to play a slow mail server.

The tests' sink (tests/live.py) is aiosmtpd, which parses every message with the email package: here that costs about
0.4 ms of CPU a message, so 10,000 reminders would spend seconds of this 2-core machine's CPU in the harness rather than
in caseapp. This one speaks just enough SMTP for smtplib (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) on one
asyncio loop in a thread, and finds the Message-ID with a regular expression; its own CPU per message is printed.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(\S+)", re.MULTILINE | re.IGNORECASE)
_ADDRESS = re.compile(rb"<([^>]*)>")


@dataclass(frozen=True)
class Received:
    message_id: str
    recipient: str
    #: wall-clock time (time.time()) when the sink answered 250 to the message
    at: float


@dataclass
class Records:
    lock: threading.Lock = field(default_factory=threading.Lock)
    received: list[Received] = field(default_factory=list)
    distinct: set[tuple[str, str]] = field(default_factory=set)


class _Session(asyncio.Protocol):
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink
        self.buffer = bytearray()
        self.in_data = False
        self.recipients: list[str] = []
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)  # noqa: S101 - a TCP server's transport
        self.transport = transport
        transport.write(b"220 bench-sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while self.transport is not None:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    return
                content = bytes(self.buffer[: end + 2])
                del self.buffer[: end + 5]
                self.in_data = False
                self._message(content)
                continue
            line_end = self.buffer.find(b"\r\n")
            if line_end < 0:
                return
            line = bytes(self.buffer[:line_end])
            del self.buffer[: line_end + 2]
            self._command(line)

    def _reply(self, text: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(text)

    def _command(self, line: bytes) -> None:
        verb = line[:4].upper()
        if verb == b"EHLO":
            self._reply(b"250-bench-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
        elif verb in (b"HELO", b"NOOP"):
            self._reply(b"250 OK\r\n")
        elif verb in (b"MAIL", b"RSET"):
            self.recipients = []
            self._reply(b"250 OK\r\n")
        elif verb == b"RCPT":
            found = _ADDRESS.search(line)
            self.recipients.append((found.group(1) if found else b"").decode(errors="replace").lower())
            self._reply(b"250 OK\r\n")
        elif verb == b"DATA":
            self.in_data = True
            self._reply(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb == b"QUIT":
            self._reply(b"221 Bye\r\n")
            if self.transport is not None:
                self.transport.close()
        else:
            self._reply(b"502 Command not implemented\r\n")

    def _message(self, content: bytes) -> None:
        header_end = content.find(b"\r\n\r\n")
        found = _MESSAGE_ID.search(content, 0, header_end if header_end >= 0 else len(content))
        message_id = found.group(1).decode(errors="replace") if found else ""
        recipients, self.recipients = self.recipients, []

        def accept() -> None:
            self.sink.record(message_id, recipients)
            self._reply(b"250 OK: queued\r\n")

        if self.sink.delay > 0:
            asyncio.get_running_loop().call_later(self.sink.delay, accept)
        else:
            accept()


class SmtpSink:
    """sink = SmtpSink(); sink.start() -> port; ...; sink.stop(). `delay` (seconds) holds back each 250 after DATA."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self._records = Records()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="bench-smtp-sink", daemon=True)
        self._server: asyncio.Server | None = None
        self.port = 0

    def start(self) -> int:
        self._thread.start()

        async def serve() -> asyncio.Server:
            return await self._loop.create_server(lambda: _Session(self), "127.0.0.1", 0)

        self._server = asyncio.run_coroutine_threadsafe(serve(), self._loop).result(10)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self.port

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def cpu_seconds(self) -> float:
        """CPU time the sink's thread has used so far."""

        async def thread_time() -> float:
            return time.thread_time()

        return asyncio.run_coroutine_threadsafe(thread_time(), self._loop).result(10)

    def reset(self, delay: float = 0.0) -> None:
        with self._records.lock:
            self._records = Records()
        self.delay = delay

    def record(self, message_id: str, recipients: list[str]) -> None:
        now = time.time()
        records = self._records
        with records.lock:
            for recipient in recipients:
                records.received.append(Received(message_id, recipient, now))
                records.distinct.add((message_id, recipient))

    def unique(self) -> int:
        with self._records.lock:
            return len(self._records.distinct)

    def received(self) -> list[Received]:
        with self._records.lock:
            return list(self._records.received)

    def repeats(self) -> int:
        """Messages received more than once (the same Message-ID to the same recipient): the extra copies."""
        counts = Counter((r.message_id, r.recipient) for r in self.received())
        return sum(n - 1 for n in counts.values())
