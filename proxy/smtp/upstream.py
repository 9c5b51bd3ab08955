"""The client side of the relay: one aiosmtplib session to the real submission server.

Why a wrapper: the submission handler must mirror each client command upstream and pass
the *upstream's own answer* back (code and text), while any transport trouble — refused
connection, TLS failure, timeout, a dropped connection — must become a retryable 4xx with a
readable text (before-queue: the client keeps the mail and retries). aiosmtplib expresses
both as exceptions; this module turns them into two plain outcomes: an `Answer` to pass
through, or an `UpstreamUnavailable` carrying the reply for the client. Credentials are
held in a `Credentials` object whose repr hides the password, and are never put in an
exception or a log line.
"""
from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass, field
from typing import NamedTuple

import aiosmtplib
from aiosmtplib import (
    SMTPAuthenticationError,
    SMTPConnectError,
    SMTPException,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)

from proxy.config import TimeoutsConfig, UpstreamConfig
from proxy.smtp import replies

log = logging.getLogger("replyguard.upstream")


class Answer(NamedTuple):
    """An SMTP answer from the upstream, to be passed back to the client as is."""

    code: int
    message: str

    @property
    def ok(self) -> bool:
        return 200 <= self.code < 400


class UpstreamUnavailable(Exception):
    """The upstream could not be asked (down, slow, dropped); `reply` is what the client gets."""

    def __init__(self, reply: replies.Reply):
        super().__init__(str(reply))
        self.reply = reply


@dataclass(frozen=True)
class Credentials:
    """A login for the upstream; repr never shows the password."""

    user: str
    password: str | bytes = field(repr=False)
    mechanism: str = "PLAIN"

    def __repr__(self) -> str:
        return f"Credentials(user={self.user!r}, password=<hidden>)"


def tls_context(cfg: UpstreamConfig) -> ssl.SSLContext:
    """Verification on by default; `ca_file` adds a private CA (e.g. the test Postfix's)."""
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cfg.ca_file or None)
    if not cfg.verify:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


class UpstreamSession:
    """One connection to the upstream, reused for every message of one client session."""

    def __init__(
        self,
        cfg: UpstreamConfig,
        timeouts: TimeoutsConfig,
        *,
        context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ):
        self.cfg = cfg
        self.timeouts = timeouts
        self.server = f"{cfg.host}:{cfg.port}"
        self._context = context
        self._local_hostname = cfg.helo or local_hostname
        self._smtp: aiosmtplib.SMTP | None = None
        self._credentials: Credentials | None = None
        self.in_transaction = False

    # --- connection ---------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._smtp is not None and self._smtp.is_connected

    def supports(self, extension: str) -> bool:
        return self._smtp is not None and self._smtp.supports_extension(extension)

    def _unavailable(self, exc: BaseException, stage: str) -> UpstreamUnavailable:
        """Map a transport failure to the 4xx the client sees (text readable by an agent)."""
        if isinstance(exc, SMTPTimeoutError) or isinstance(exc, TimeoutError):
            reply = replies.fmt(replies.UPSTREAM_TIMEOUT, server=self.server)
        elif isinstance(exc, ssl.SSLError) or any(w in str(exc).lower() for w in ("certificate", "starttls", "ssl")):
            reply = replies.fmt(replies.UPSTREAM_TLS, server=self.server, why=_short(exc))
        elif isinstance(exc, SMTPServerDisconnected) and stage != "connect":
            reply = replies.fmt(replies.UPSTREAM_DROPPED, server=self.server)
        elif isinstance(exc, (SMTPConnectError, OSError, SMTPServerDisconnected)):
            reply = replies.fmt(replies.UPSTREAM_UNREACHABLE, server=self.server, why=_short(exc))
        else:
            reply = replies.fmt(replies.UPSTREAM_PROTOCOL, server=self.server, why=_short(exc))
        log.warning("upstream %s: %s failed: %s", self.server, stage, _short(exc))
        self._drop()
        return UpstreamUnavailable(reply)

    async def connect(self) -> Answer | None:
        """Connect, EHLO, STARTTLS as configured, and log in again if the session had.

        Returns an Answer when the upstream itself refused (greeting 554, AUTH refused
        after a reconnect): that answer is for the client.
        """
        if self.connected:
            return None
        tls = self.cfg.tls
        need_ctx = tls != "none"
        smtp = aiosmtplib.SMTP(
            hostname=self.cfg.host,
            port=self.cfg.port,
            timeout=self.timeouts.command,
            use_tls=tls == "implicit",
            start_tls=True if tls == "starttls" else False,
            tls_context=(self._context or tls_context(self.cfg)) if need_ctx else None,
            local_hostname=self._local_hostname,
        )
        try:
            await smtp.connect(timeout=self.timeouts.connect)
            if smtp.is_ehlo_or_helo_needed:  # after STARTTLS the server forgot our EHLO
                await smtp.ehlo()
        except SMTPResponseException as exc:
            smtp.close()
            if isinstance(exc, SMTPConnectError) and exc.code < 400:
                raise self._unavailable(exc, "connect") from None
            log.warning("upstream %s refused the connection: %s %s", self.server, exc.code, exc.message)
            return Answer(exc.code, exc.message)
        except (SMTPException, OSError, ssl.SSLError, TimeoutError) as exc:
            smtp.close()
            raise self._unavailable(exc, "connect") from None
        self._smtp = smtp
        if self._credentials is not None:
            answer = await self._login(self._credentials)
            if not answer.ok:
                return answer
        return None

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
        self._smtp = None
        self.in_transaction = False

    async def close(self) -> None:
        """QUIT politely (aborting any open transaction upstream), then close."""
        smtp, self._smtp = self._smtp, None
        self.in_transaction = False
        if smtp is None:
            return
        try:
            if smtp.is_connected:
                await smtp.quit(timeout=min(1.0, self.timeouts.command))
        except (SMTPException, OSError, TimeoutError):
            pass
        finally:
            smtp.close()

    # --- auth ---------------------------------------------------------------------

    async def login(self, credentials: Credentials) -> Answer:
        """Authenticate the session upstream; success is remembered for reconnects."""
        if not self.connected:
            refused = await self.connect()
            if refused is not None:
                return refused
        answer = await self._login(credentials)
        if answer.ok:
            self._credentials = credentials
        return answer

    async def _login(self, credentials: Credentials) -> Answer:
        assert self._smtp is not None
        if not self._smtp.supports_extension("auth"):
            return Answer(replies.AUTH_NOT_OFFERED.code, f"{replies.AUTH_NOT_OFFERED.status} {replies.AUTH_NOT_OFFERED.text}")
        offered = {m.upper() for m in self._smtp.server_auth_methods}
        # One attempt only (aiosmtplib's login() would retry each mechanism: a wrong
        # password would count twice against the user's lockout budget upstream).
        mech = credentials.mechanism if credentials.mechanism in offered else (
            "PLAIN" if "PLAIN" in offered else "LOGIN" if "LOGIN" in offered else ""
        )
        if not mech:
            return Answer(replies.AUTH_NOT_OFFERED.code, f"{replies.AUTH_NOT_OFFERED.status} {replies.AUTH_NOT_OFFERED.text}")
        try:
            if mech == "PLAIN":
                resp = await self._smtp.auth_plain(credentials.user, credentials.password)
            else:
                resp = await self._smtp.auth_login(credentials.user, credentials.password)
        except SMTPAuthenticationError as exc:
            log.info("upstream %s refused AUTH for user %r: %s", self.server, credentials.user, exc.code)
            return Answer(exc.code, exc.message)
        except (SMTPException, OSError, TimeoutError) as exc:
            raise self._unavailable(exc, "auth") from None
        return Answer(resp.code, resp.message)

    # --- transaction --------------------------------------------------------------

    async def _command(self, stage: str, *args: bytes, timeout: float | None = None) -> Answer:
        if self._smtp is None or not self._smtp.is_connected:
            raise self._unavailable(SMTPServerDisconnected("not connected"), stage)
        try:
            resp = await self._smtp.execute_command(*args, timeout=timeout or self.timeouts.command)
        except SMTPResponseException as exc:
            return Answer(exc.code, exc.message)
        except (SMTPException, OSError, TimeoutError, ValueError) as exc:
            raise self._unavailable(exc, stage) from None
        if resp.code == 421:
            self._drop()
        return Answer(resp.code, resp.message)

    async def mail(self, sender: str, options: list[str], *, utf8: bool = False) -> Answer:
        """MAIL FROM with the client's parameters (SIZE, BODY, SMTPUTF8) passed on."""
        if not self.connected:
            refused = await self.connect()
            if refused is not None:
                return refused
        # aiosmtpd hands the null reverse-path (bounces, MDN read receipts) over as "<>"
        path = "<>" if sender in ("", "<>") else f"<{sender}>"
        addr = path.encode("utf-8" if utf8 else "ascii", "surrogateescape")
        answer = await self._command("MAIL", b"MAIL", b"FROM:" + addr, *(o.encode("ascii") for o in options))
        self.in_transaction = answer.ok
        return answer

    async def rcpt(self, recipient: str, options: list[str], *, utf8: bool = False) -> Answer:
        addr = f"<{recipient}>".encode("utf-8" if utf8 else "ascii", "surrogateescape")
        return await self._command("RCPT", b"RCPT", b"TO:" + addr, *(o.encode("ascii") for o in options))

    async def data(self, content: bytes, *, wire: bytes | None = None) -> Answer:
        """Send the message; the answer is the upstream's final word on it.

        `wire` is the message exactly as the client sent it (dot-stuffed, CRLF only, ending
        in CRLF "." CRLF); when given it is written as is, which spares aiosmtplib's
        line-ending normalisation and dot-stuffing — two passes over every byte.
        """
        if self._smtp is None or not self._smtp.is_connected:
            raise self._unavailable(SMTPServerDisconnected("not connected"), "DATA")
        if wire is not None:
            return await self._data_wire(wire)
        try:
            resp = await self._smtp.data(content, timeout=self.timeouts.data)
        except SMTPResponseException as exc:
            self.in_transaction = False
            if exc.code == 421:
                self._drop()
            return Answer(exc.code, exc.message)
        except (SMTPException, OSError, TimeoutError) as exc:
            raise self._unavailable(exc, "DATA") from None
        self.in_transaction = False
        return Answer(resp.code, resp.message)

    async def _data_wire(self, wire: bytes) -> Answer:
        assert self._smtp is not None
        start = await self._command("DATA", b"DATA")
        if start.code != 354:
            self.in_transaction = False
            return start
        protocol = self._smtp.protocol
        try:
            if protocol is None:
                raise SMTPServerDisconnected("connection lost")
            protocol.write(wire)
            # read_response arms the reply flag before its first await, so no reply is missed
            resp = await protocol.read_response(timeout=self.timeouts.data)
        except (SMTPException, OSError, TimeoutError) as exc:
            raise self._unavailable(exc, "DATA") from None
        self.in_transaction = False
        if resp.code == 421:
            self._drop()
        return Answer(resp.code, resp.message)

    async def rset(self) -> None:
        """Abandon the upstream transaction; if even that fails, drop the connection.

        Used on every failure path so that nothing is half-delivered: an upstream that
        cannot be RSET is closed, which aborts its transaction as well.
        """
        if not self.in_transaction:
            return  # nothing open upstream: no round trip (EHLO calls this every time)
        self.in_transaction = False
        if self._smtp is None or not self._smtp.is_connected:
            self._drop()
            return
        try:
            resp = await self._smtp.execute_command(b"RSET", timeout=self.timeouts.command)
            if resp.code != 250:
                self._drop()
        except (SMTPException, OSError, TimeoutError):
            self._drop()


def _short(exc: BaseException) -> str:
    """A one-line reason without credentials (aiosmtplib never puts them in messages)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
