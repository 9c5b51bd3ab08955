"""Real SMTP peers for tests: an aiosmtpd sink and a replyguard gateway, each in its own thread.

Why threads: pytest-asyncio is not used here, and the tests talk to these servers with
plain smtplib / aiosmtplib clients from the test's own thread or loop, exactly like a mail
client would. Both bind 127.0.0.1 on a free port (port 0) and stop cleanly.

`Sink` records every envelope and the exact bytes received; its behaviour can be changed
while it runs (refuse a recipient, answer DATA with an error, be slow, drop the connection),
and it can require AUTH and offer STARTTLS with a throw-away certificate.
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    mail_options: list[str]
    content: bytes
    auth_user: str | None = None
    tls: bool = False


@dataclass
class SinkBehaviour:
    """What the sink does; change attributes at any time from the test."""

    rcpt_replies: dict[str, str] = field(default_factory=dict)   # address -> reply (e.g. "550 5.1.1 no such user")
    mail_reply: str | None = None
    data_reply: str | None = None                                # e.g. "451 4.3.0 try later" / "554 5.7.0 spam"
    delay: dict[str, float] = field(default_factory=dict)        # verb (MAIL, RCPT, DATA) -> seconds
    drop_at_data: bool = False                                   # close the connection instead of answering DATA


class _SinkHandler:
    def __init__(self, sink: "Sink"):
        self.sink = sink

    async def _wait(self, verb: str) -> None:
        d = self.sink.behaviour.delay.get(verb)
        if d:
            await asyncio.sleep(d)

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]) -> str:
        await self._wait("MAIL")
        if self.sink.behaviour.mail_reply:
            return self.sink.behaviour.mail_reply
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]) -> str:
        await self._wait("RCPT")
        reply = self.sink.behaviour.rcpt_replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await self._wait("DATA")
        b = self.sink.behaviour
        if b.drop_at_data:
            assert server.transport is not None
            server.transport.abort()
            return "250 never seen"
        if b.data_reply:
            return b.data_reply
        user = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        with self.sink.lock:
            self.sink.messages.append(Received(
                envelope.mail_from or "", list(envelope.rcpt_tos), list(envelope.mail_options),
                bytes(envelope.original_content or b""), user, session.ssl is not None,
            ))
        return f"250 2.0.0 queued as SINK{len(self.sink.messages)}"


class _CountingSMTP(SMTP):
    def __init__(self, sink: "Sink", *args: Any, **kw: Any):
        super().__init__(*args, **kw)
        self._sink = sink

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.transport is None:
            with self._sink.lock:
                self._sink.connections += 1
                self._sink.active.add(self)
        super().connection_made(transport)

    def connection_lost(self, error: Exception | None) -> None:
        self._sink.active.discard(self)
        super().connection_lost(error)


def client_tls(cert: Path) -> ssl.SSLContext:
    """What a client that was told to trust the given (self-signed) certificate uses."""
    return ssl.create_default_context(cafile=str(cert))


def make_cert(directory: Path, name: str = "sink") -> tuple[Path, Path]:
    """A throw-away self-signed certificate for 127.0.0.1/localhost."""
    from proxy import tlscert

    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    tlscert.generate(cert, key, hostname="localhost")
    return cert, key


class LoopThread:
    """An asyncio loop running in a daemon thread; `call(coro)` runs a coroutine there."""

    def __init__(self, name: str):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self.thread.start()

    def call(self, coro: Any, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()


class Sink:
    """An aiosmtpd server that records what it receives (see module doc)."""

    def __init__(self, *, auth: dict[str, str] | None = None, starttls: bool = False, implicit_tls: bool = False,
                 smtputf8: bool = True, eightbit: bool = True, behaviour: SinkBehaviour | None = None):
        self.auth = auth
        self.behaviour = behaviour or SinkBehaviour()
        self.messages: list[Received] = []
        self.connections = 0
        self.active: set[SMTP] = set()
        self.lock = threading.Lock()
        self.host = "127.0.0.1"
        self.port = 0
        self.cert: Path | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="sink-")
        self._tls: ssl.SSLContext | None = None
        self._implicit = implicit_tls
        if starttls or implicit_tls:
            self.cert, key = make_cert(Path(self._tmp.name))
            self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._tls.load_cert_chain(self.cert, key)
        self._smtputf8 = smtputf8
        self._eightbit = eightbit
        self._lt: LoopThread | None = None
        self._server: asyncio.base_events.Server | None = None

    def _authenticator(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and self.auth is not None and \
            self.auth.get(data.login.decode()) == data.password.decode()
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)

    def _factory(self) -> SMTP:
        kw: dict[str, Any] = dict(
            enable_SMTPUTF8=self._smtputf8, hostname="sink.test",
            tls_context=None if self._implicit else self._tls,
            data_size_limit=50 * 1024 * 1024,
            decode_data=not self._eightbit,  # aiosmtpd offers 8BITMIME only without decoding
        )
        if self.auth is not None:
            kw.update(authenticator=self._authenticator, auth_required=True, auth_require_tls=False)
        return _CountingSMTP(self, _SinkHandler(self), **kw)

    def start(self) -> "Sink":
        self._lt = LoopThread("sink")

        async def serve() -> asyncio.base_events.Server:
            return await asyncio.get_running_loop().create_server(
                self._factory, self.host, 0, ssl=self._tls if self._implicit else None)

        self._server = self._lt.call(serve())
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._lt is None:
            return
        assert self._server is not None

        async def close() -> None:
            self._server.close()  # type: ignore[union-attr]
            for conn in list(self.active):  # a stopped sink is a dead server: peers see a reset
                if conn.transport is not None:
                    conn.transport.abort()
            await asyncio.sleep(0)

        self._lt.call(close())
        self._lt.close()
        self._lt = None
        self._tmp.cleanup()

    def __enter__(self) -> "Sink":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, n: int, timeout: float = 5.0) -> list[Received]:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if len(self.messages) >= n:
                    return list(self.messages)
            time.sleep(0.01)
        return list(self.messages)


class GatewayThread:
    """A replyguard `Gateway` (all listeners of one config) running in its own loop thread."""

    def __init__(self, config: Any, *, decider: Any = None, holder: Any = None, auditor: Any = None,
                 server_tls: ssl.SSLContext | None = None, upstream_context: ssl.SSLContext | None = None,
                 notifier: Any = None):
        from proxy.smtp.submission import Gateway, SubmissionHandler

        self.config = config
        self.handler = SubmissionHandler(config, decider=decider, holder=holder, auditor=auditor,
                                         upstream_context=upstream_context, hostname="gateway.test",
                                         notifier=notifier)
        self.gateway = Gateway(config, self.handler, server_tls=server_tls, hostname="gateway.test")
        self._lt: LoopThread | None = None
        self.addresses: list[tuple[str, int]] = []

    @property
    def port(self) -> int:
        return self.addresses[0][1]

    def start(self) -> "GatewayThread":
        self._lt = LoopThread("gateway")
        self.addresses = self._lt.call(self.gateway.start())
        return self

    def stop(self, grace: float = 2.0) -> None:
        if self._lt is None:
            return
        self._lt.call(self.gateway.stop(grace), timeout=grace + 10)
        self._lt.close()
        self._lt = None

    def __enter__(self) -> "GatewayThread":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServeProcess:
    """A `replyguard serve` child process, started in `cwd` and waited for until it listens."""

    def __init__(self, tmp: Path, *args: str):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "proxy", "serve", "--state-dir", str(tmp / "state"),
             "--listen", f"127.0.0.1:{self.port}", *args],
            cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        self.lines: list[str] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                break
            self.lines.append(line)
            if "listening on" in line:
                break
        threading.Thread(target=self._drain, daemon=True).start()
        assert any("listening on" in x for x in self.lines), "".join(self.lines)

    def _drain(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            self.lines.append(line)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(15)


