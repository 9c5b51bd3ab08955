"""The incoming door: an SMTP (or LMTP) listener that annotates and forwards before-queue.

Why before-queue and mirrored: replyguard has no queue of its own and must never lose a
customer's mail. Each MAIL and RCPT is mirrored to the next hop (Postfix, Dovecot's LMTP
via Postfix, …) as it arrives, so the next hop's own verdict on every recipient reaches the
sending MTA; at DATA the message is annotated (client IP, HELO and MAIL FROM come from this
session) and handed on, and the sender gets `250` only once the next hop said `250`. A
next hop that is down or slow gives `451`, and so does any failure of the annotation
itself — forwarding an unannotated copy would let forged trust headers through.

The annotation runs with a per-message DNS budget (see proxy/inbound/annotate.py), so a
slow zone costs a few seconds, not the SMTP session; a big or deeply nested mail is parsed
in a worker thread there, so it does not stall the other sessions.

The message is read after DATA by the block reader the submission door uses
(proxy/smtp/data_reader.py), with the same total limit `limits.timeouts.client_data`: a
client trickling its message a line at a time gets `451 4.4.2` and is disconnected, and
nothing reaches the next hop (its half-done transaction is aborted by QUIT).

Every DATA outcome (delivered, refused by the next hop, tempfail) is one record in the
compliance log when an auditor is given, with the verdicts we wrote into the headers. The
record is written after the next hop answered: the mail is already delivered then, so a
log that cannot be written is reported in the server log, not turned into a 4xx that
would make the sender deliver it twice.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import signal
import socket
from datetime import datetime, timezone
from typing import Any, Callable

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import MISSING, SMTP, Envelope, Session

from proxy.config import TimeoutsConfig, UpstreamConfig, split_hostport
from proxy.decision import Auditor, EnvelopeInfo
from proxy.inbound.annotate import DEFAULT_BUDGET_S, Annotation, annotate_message, remember
from proxy.inbound.dns import Resolver
from proxy.smtp import replies
from proxy.smtp.data_reader import BlockDataReader
from proxy.smtp.upstream import Answer, UpstreamSession, UpstreamUnavailable

log = logging.getLogger("replyguard.inbound")


class Annotator:
    """The pipeline with its long-lived parts (resolver, store, authserv-id) bound once."""

    def __init__(
        self,
        *,
        resolver: Resolver,
        authserv_id: str,
        store: Any = None,
        budget_s: float = DEFAULT_BUDGET_S,
        region_lookup: Callable[[str], str | None] | None = None,
    ) -> None:
        self.resolver = resolver
        self.authserv_id = authserv_id
        self.store = store
        self.budget_s = budget_s
        self.region_lookup = region_lookup

    async def __call__(self, raw: bytes, *, client_ip: str, helo: str, mail_from: str) -> Annotation:
        now = datetime.now(timezone.utc)
        annotation = await annotate_message(
            raw,
            client_ip=client_ip,
            helo=helo,
            mail_from=mail_from,
            resolver=self.resolver,
            authserv_id=self.authserv_id,
            now=now,
            budget_s=self.budget_s,
            region_lookup=self.region_lookup,
        )
        if self.store is not None:
            try:
                await remember(self.store, annotation, now)
            except Exception:  # a 451 here would queue the mail at the sender for days
                log.exception("annotated, but not remembered in the store")
        return annotation


class LmtpNextHop:
    """A minimal LMTP client (RFC 2033) for a next hop such as Dovecot's LMTP service.

    Why not the SMTP client: aiosmtplib speaks EHLO, and an LMTP server answers DATA once
    per accepted recipient, which its API cannot return. Same surface as UpstreamSession
    (connect/mail/rcpt/data/rset/close), except that `data` returns one Answer per
    accepted recipient. Transport trouble becomes UpstreamUnavailable (the sender gets 4xx).
    """

    def __init__(self, host: str, port: int, timeouts: TimeoutsConfig, *, local_hostname: str | None = None,
                 unix_path: str | None = None) -> None:
        self.server = unix_path or "%s:%d" % (host, port)
        self._host, self._port, self._unix = host, port, unix_path
        self.timeouts = timeouts
        self._name = local_hostname or socket.gethostname()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._extensions: set[str] = set()
        self._accepted = 0
        self.in_transaction = False

    @property
    def connected(self) -> bool:
        return self._writer is not None and not self._writer.is_closing()

    def supports(self, extension: str) -> bool:
        return extension.lower() in self._extensions

    def _unavailable(self, exc: BaseException, stage: str) -> UpstreamUnavailable:
        self._drop()
        log.warning("next hop %s: %s failed: %r", self.server, stage, exc)
        if isinstance(exc, TimeoutError):
            return UpstreamUnavailable(replies.fmt(replies.UPSTREAM_TIMEOUT, server=self.server))
        why = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        if stage == "connect":
            return UpstreamUnavailable(replies.fmt(replies.UPSTREAM_UNREACHABLE, server=self.server, why=why))
        return UpstreamUnavailable(replies.fmt(replies.UPSTREAM_DROPPED, server=self.server))

    def _drop(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None
        self.in_transaction = False

    async def _reply(self, timeout: float) -> Answer:
        assert self._reader is not None
        lines: list[bytes] = []
        while True:
            line = await asyncio.wait_for(self._reader.readline(), timeout)
            if not line:
                raise ConnectionResetError("connection closed")
            lines.append(line.rstrip(b"\r\n"))
            if line[3:4] != b"-":
                break
        code = int(lines[-1][:3])
        text = "\n".join(l[4:].decode("utf-8", "replace") for l in lines)
        return Answer(code, text)

    async def _command(self, stage: str, line: bytes, timeout: float | None = None) -> Answer:
        if not self.connected:
            raise self._unavailable(ConnectionResetError("not connected"), stage)
        assert self._writer is not None
        try:
            self._writer.write(line + b"\r\n")
            await asyncio.wait_for(self._writer.drain(), timeout or self.timeouts.command)
            return await self._reply(timeout or self.timeouts.command)
        except (OSError, TimeoutError, ValueError) as exc:
            raise self._unavailable(exc, stage) from None

    async def connect(self) -> Answer | None:
        if self.connected:
            return None
        try:
            if self._unix:
                opening = asyncio.open_unix_connection(self._unix)
            else:
                opening = asyncio.open_connection(self._host, self._port)
            self._reader, self._writer = await asyncio.wait_for(opening, self.timeouts.connect)
            greeting = await self._reply(self.timeouts.connect)
        except (OSError, TimeoutError, ValueError) as exc:
            raise self._unavailable(exc, "connect") from None
        if greeting.code != 220:
            self._drop()
            return greeting
        answer = await self._command("connect", b"LHLO " + self._name.encode("ascii", "replace"))
        if not answer.ok:
            self._drop()
            return answer
        self._extensions = {l.split(" ")[0].lower() for l in answer.message.split("\n")[1:] if l}
        return None

    async def mail(self, sender: str, options: list[str], *, utf8: bool = False) -> Answer:
        if not self.connected:
            refused = await self.connect()
            if refused is not None:
                return refused
        addr = ("<%s>" % sender).encode("utf-8" if utf8 else "ascii", "surrogateescape")
        answer = await self._command("MAIL", b" ".join([b"MAIL FROM:" + addr, *(o.encode("ascii") for o in options)]))
        self.in_transaction = answer.ok
        self._accepted = 0
        return answer

    async def rcpt(self, recipient: str, options: list[str], *, utf8: bool = False) -> Answer:
        addr = ("<%s>" % recipient).encode("utf-8" if utf8 else "ascii", "surrogateescape")
        answer = await self._command("RCPT", b" ".join([b"RCPT TO:" + addr, *(o.encode("ascii") for o in options)]))
        if answer.ok:
            self._accepted += 1
        return answer

    async def data(self, content: bytes) -> list[Answer]:
        """Send the message; one answer per accepted recipient, in RCPT order."""
        start = await self._command("DATA", b"DATA")
        if start.code != 354:
            self.in_transaction = False
            return [start] * max(1, self._accepted)
        assert self._writer is not None
        lines = content.replace(b"\r\n", b"\n").split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        payload = b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n" for l in lines) + b".\r\n"
        try:
            self._writer.write(payload)
            await asyncio.wait_for(self._writer.drain(), self.timeouts.data)
            answers = [await self._reply(self.timeouts.data) for _ in range(max(1, self._accepted))]
        except (OSError, TimeoutError, ValueError) as exc:
            raise self._unavailable(exc, "DATA") from None
        self.in_transaction = False
        return answers

    async def rset(self) -> None:
        if not self.connected:
            return
        self.in_transaction = False
        try:
            answer = await self._command("RSET", b"RSET")
            if answer.code != 250:
                self._drop()
        except UpstreamUnavailable:
            pass

    async def close(self) -> None:
        if self.connected:
            try:
                await self._command("QUIT", b"QUIT", timeout=1.0)
            except UpstreamUnavailable:
                pass
        self._drop()


class _NextHopMixin(BlockDataReader):
    """Per-connection state: the next-hop session, closed when the client goes away; and
    DATA read in blocks with a total time limit (`data_timeout`, set by InboundServer)."""

    next_hop: "UpstreamSession | LmtpNextHop | None" = None

    def connection_lost(self, error: Exception | None) -> None:
        hop, self.next_hop = self.next_hop, None
        if hop is not None:
            # QUIT at the next hop aborts a half-done transaction there: nothing half-delivered.
            asyncio.get_running_loop().create_task(hop.close())
        super().connection_lost(error)  # type: ignore[misc]

    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's checks, then `_read_data`; a message that did not arrive whole (too
        slow, too big, a line over 998) is never annotated nor passed on."""
        if await self.check_helo_needed():  # type: ignore[attr-defined]
            return
        if await self.check_auth_needed("DATA"):  # type: ignore[attr-defined]
            return
        envelope: Envelope = self.envelope  # type: ignore[attr-defined]
        assert envelope is not None
        if not envelope.rcpt_tos:
            await self.push(str(replies.NEED_RCPT))  # type: ignore[attr-defined]
            return
        if arg:
            await self.push(str(replies.DATA_SYNTAX))  # type: ignore[attr-defined]
            return
        await self.push(str(replies.START_DATA))  # type: ignore[attr-defined]
        content, problem, _size = await self._read_data()
        handler: InboundHandler = self.event_handler  # type: ignore[attr-defined]
        if problem is not None or content is None:
            reply = handler._per_rcpt(envelope, str(problem))
            self._set_post_data_state()  # type: ignore[attr-defined]
            if self.data_timed_out:
                # The rest of the message is still on the wire: answer and hang up. Closing
                # the connection QUITs the next hop, which drops its half-done transaction.
                log.warning("inbound: DATA took longer than %gs; 451 and disconnect", self.data_timeout)
                await self.push(reply)  # type: ignore[attr-defined]
                transport = self.transport  # type: ignore[attr-defined]
                if transport is not None:
                    transport.close()
                return
            if self.next_hop is not None:
                await self.next_hop.rset()
            await self.push(reply)  # type: ignore[attr-defined]
            return
        envelope.content = envelope.original_content = content
        status = await self._call_handler_hook("DATA")  # type: ignore[attr-defined]
        self._set_post_data_state()  # type: ignore[attr-defined]
        await self.push(str(replies.OK) if status is MISSING else status)  # type: ignore[attr-defined]


class InboundSMTP(_NextHopMixin, SMTP):
    """SMTP towards the sending MTA."""


class InboundLMTP(_NextHopMixin, LMTP):
    """LMTP towards the local MTA (one DATA reply per recipient)."""


class InboundHandler:
    """aiosmtpd hooks of the inbound door (one instance shared by all connections)."""

    def __init__(
        self,
        annotator: Callable[..., Any],
        next_hop: UpstreamConfig,
        timeouts: TimeoutsConfig,
        *,
        lmtp: bool = False,
        hostname: str | None = None,
        auditor: Auditor | None = None,
        next_hop_lmtp: bool = False,
    ) -> None:
        self.annotator = annotator
        self.next_hop_lmtp = next_hop_lmtp
        self.next_hop_cfg = next_hop
        self.timeouts = timeouts
        self.lmtp = lmtp
        self.hostname = hostname
        self.auditor = auditor
        self._audit_pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="replyguard-inbound-audit")

    def close(self) -> None:
        self._audit_pool.shutdown(wait=True)

    async def _audit(self, session: Session, envelope: Envelope, outcome: str, reply: str,
                     annotation: Annotation | None) -> None:
        """One compliance record per DATA outcome (in arrival order, off the event loop)."""
        if self.auditor is None:
            return
        peer = session.peer
        info = EnvelopeInfo(
            door="inbound",
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            client_ip=peer[0] if isinstance(peer, tuple) and peer else "",
            helo=session.host_name or "",
        )
        detail = None
        if annotation is not None:
            detail = {
                "anonymity": annotation.sender.anonymity_value(),
                "sender_class": annotation.sender.sender_class,
                "category": "%s; score=%.2f" % (annotation.category, annotation.score),
                "authentication_results": annotation.authentication_results,
            }
        auditor = self.auditor
        try:
            await asyncio.get_running_loop().run_in_executor(
                self._audit_pool,
                lambda: auditor.record(envelope=info, outcome=outcome, reply=reply,
                                       message=annotation.parsed if annotation else None, detail=detail),
            )
        except Exception:  # delivered already; a second delivery would be worse than a gap
            log.exception("inbound: could not write the audit record (%s)", outcome)

    def _hop(self, server: Any) -> Any:
        if server.next_hop is None:
            cfg = self.next_hop_cfg
            if self.next_hop_lmtp:
                unix = cfg.host[len("unix:"):] if cfg.host.startswith("unix:") else None
                server.next_hop = LmtpNextHop(cfg.host, cfg.port, self.timeouts, local_hostname=self.hostname,
                                              unix_path=unix)
            else:
                server.next_hop = UpstreamSession(cfg, self.timeouts, local_hostname=self.hostname)
        return server.next_hop

    async def handle_MAIL(self, server: Any, session: Session, envelope: Envelope, address: str,
                          mail_options: list[str]) -> str:
        hop = self._hop(server)
        utf8 = "SMTPUTF8" in mail_options
        if hop.in_transaction:
            await hop.rset()
        try:
            if not hop.connected:
                refused = await hop.connect()
                if refused is not None:
                    return replies.from_upstream(refused.code, refused.message, utf8=utf8)
            options = _hop_options(hop, mail_options)
            if isinstance(options, replies.Reply):
                return str(options)
            answer = await hop.mail(address, options, utf8=utf8)
        except UpstreamUnavailable as exc:
            return str(exc.reply)
        if answer.ok:
            envelope.mail_from, envelope.mail_options = address, list(mail_options)
        return replies.from_upstream(answer.code, answer.message, utf8=utf8)

    async def handle_RCPT(self, server: Any, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        hop = self._hop(server)
        try:
            answer = await hop.rcpt(address, rcpt_options, utf8=bool(envelope.smtp_utf8))
        except UpstreamUnavailable as exc:
            envelope.mail_from, envelope.rcpt_tos = None, []
            return str(exc.reply)
        if answer.ok:
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.extend(rcpt_options)
        return replies.from_upstream(answer.code, answer.message, utf8=bool(envelope.smtp_utf8))

    async def handle_RSET(self, server: Any, session: Session, envelope: Envelope) -> str:
        if server.next_hop is not None:
            await server.next_hop.rset()
        return str(replies.OK)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        hop = self._hop(server)
        raw = envelope.original_content or b""
        peer = session.peer
        client_ip = peer[0] if isinstance(peer, tuple) and peer else ""
        try:
            annotation = await self.annotator(
                raw, client_ip=client_ip, helo=session.host_name or "", mail_from=envelope.mail_from or ""
            )
        except Exception:  # the pipeline failed: nothing goes on unannotated, the sender retries
            log.exception("annotation failed; answering 451")
            await hop.rset()
            reply = str(replies.INTERNAL_ERROR)
            await self._audit(session, envelope, "tempfail", reply, None)
            return self._per_rcpt(envelope, reply)
        try:
            result = await hop.data(annotation.output)
        except UpstreamUnavailable as exc:
            await self._audit(session, envelope, "tempfail", str(exc.reply), annotation)
            return self._per_rcpt(envelope, str(exc.reply))
        utf8 = bool(envelope.smtp_utf8)
        answers: list[Answer] = result if isinstance(result, list) else [result]
        texts = [replies.from_upstream(a.code, a.message, utf8=utf8) for a in answers]
        worst = next((a for a in answers if not a.ok), answers[0])
        outcome = "delivered" if worst.ok else ("tempfail" if 400 <= worst.code < 500 else "refused")
        await self._audit(session, envelope, outcome, "\r\n".join(texts), annotation)
        if self.lmtp and len(texts) == len(envelope.rcpt_tos):
            return "\r\n".join(texts)  # LMTP both sides: each recipient gets its own answer
        # One answer for all: the first failure, if any (documented: with an LMTP next hop
        # behind an SMTP listener, a mixed result makes the sender retry or bounce them all).
        return self._per_rcpt(envelope, texts[answers.index(worst)])

    def _per_rcpt(self, envelope: Envelope, reply: str) -> str:
        """LMTP answers DATA once per accepted recipient (RFC 2033 §4.2); SMTP once."""
        if not self.lmtp:
            return reply
        return "\r\n".join([reply] * max(1, len(envelope.rcpt_tos)))

    async def handle_exception(self, error: Exception) -> str:
        # The type and a clipped text only: an exception may carry message bytes.
        log.error("inbound session error: %s: %.200s", type(error).__name__, error)
        return str(replies.INTERNAL_ERROR)


def _hop_options(hop: UpstreamSession, options: list[str]) -> list[str] | replies.Reply:
    """BODY and SMTPUTF8 are passed on when the next hop speaks them; SIZE is dropped
    (our headers make the message bigger than the sender announced)."""
    out = []
    for opt in options:
        name = opt.partition("=")[0].upper()
        if name == "SIZE":
            continue
        if name == "BODY":
            if hop.supports("8bitmime"):
                out.append(opt)
            elif opt.upper() == "BODY=8BITMIME":
                return replies.EIGHTBIT_NOT_SUPPORTED_UPSTREAM
        elif name == "SMTPUTF8":
            if not hop.supports("smtputf8"):
                return replies.UTF8_NOT_SUPPORTED_UPSTREAM
            out.append(opt)
    return out


class InboundServer:
    """One listener; `start` binds it (port 0 → a free one) and returns the address."""

    def __init__(
        self,
        listen: str,
        handler: InboundHandler,
        *,
        lmtp: bool = False,
        hostname: str | None = None,
        data_size_limit: int = 50 * 1024 * 1024,
        idle_timeout: float = 300.0,
        data_timeout: float | None = None,
    ) -> None:
        self.host, self.port = split_hostport(listen)
        self.handler = handler
        self.lmtp = lmtp
        self.hostname = hostname or socket.gethostname()
        self.data_size_limit = data_size_limit
        self.idle_timeout = idle_timeout
        self.data_timeout = handler.timeouts.client_data if data_timeout is None else data_timeout
        self.server: asyncio.base_events.Server | None = None

    def _make(self) -> SMTP:
        cls = InboundLMTP if self.lmtp else InboundSMTP
        proto = cls(
            self.handler,
            data_size_limit=self.data_size_limit,
            enable_SMTPUTF8=True,
            hostname=self.hostname,
            ident="replyguard inbound",
            timeout=self.idle_timeout,
            loop=asyncio.get_running_loop(),
        )
        proto.data_timeout = self.data_timeout  # limits.timeouts.client_data, as on the submission door
        return proto

    async def start(self) -> tuple[str, int]:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(self._make, self.host, self.port)
        return self.server.sockets[0].getsockname()[:2]

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


async def serve_forever(
    listen: str,
    *,
    lmtp: bool,
    next_hop: UpstreamConfig,
    timeouts: TimeoutsConfig,
    annotator: Callable[..., Any],
    auditor: Auditor | None = None,
    next_hop_lmtp: bool = False,
) -> None:
    """`replyguard inbound`: run until SIGTERM / SIGINT."""
    handler = InboundHandler(annotator, next_hop, timeouts, lmtp=lmtp, auditor=auditor, next_hop_lmtp=next_hop_lmtp)
    server = InboundServer(listen, handler, lmtp=lmtp, idle_timeout=timeouts.client_idle)
    host, port = await server.start()
    log.info("inbound %s listening on %s:%d, next hop %s:%d", "LMTP" if lmtp else "SMTP", host, port,
             next_hop.host, next_hop.port)
    print("replyguard inbound: listening on %s:%d" % (host, port), flush=True)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()
        handler.close()
